"""Arabic, Hebrew or Persian in an English page: a reader's comment or a paragraph of
an article written right to left reads right to left, its full stop at its end (on the
left), as a browser shows ``dir="auto"`` text; the site's own lines stay left to right."""

from __future__ import annotations

import pytest

from byline.discussion.models import Comment
from tests.discussion.factory import make_comment
from tests.factory import make_article

ARABIC = "شكرا على هذا التقرير. أتفق مع الكاتب تماما."


@pytest.fixture
def mixed_article():
    article = make_article(
        "Readers from Mosul answer",
        body=f"An English paragraph first.\n\n{ARABIC}\n\n- {ARABIC}",
    )
    make_comment(article, body=ARABIC, status=Comment.Status.APPROVED)
    return article


def ends_on_the_left(page, selector: str) -> bool:
    """Whether the element's closing full stop sits left of the word it ends."""
    return page.locator(selector).first.evaluate(
        """el => {
          const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
          let last = null, node;
          while ((node = walker.nextNode())) if (node.textContent.trim()) last = node;
          const end = last.textContent.trimEnd().length;
          const box = (from, to) => {
            const range = document.createRange();
            range.setStart(last, from);
            range.setEnd(last, to);
            return range.getBoundingClientRect();
          };
          return box(end - 1, end).right <= box(end - 2, end - 1).left + 1;
        }"""
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_right_to_left_paragraphs_and_comments_read_right_to_left(new_page, mixed_article, width):
    page = new_page(width=width)
    page.goto(mixed_article.get_absolute_url())
    assert ends_on_the_left(page, ".body p:nth-of-type(2)")
    assert ends_on_the_left(page, ".body li")
    assert ends_on_the_left(page, ".comment-content p")
    assert not ends_on_the_left(page, ".body p:nth-of-type(1)")
