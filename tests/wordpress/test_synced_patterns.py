"""A synced pattern (WordPress's reusable block, ``<!-- wp:block {"ref":N} /-->``) shows
its content in the imported article, as WordPress shows it: the pattern's own text is
in the export as a ``wp_block`` item, not in the post. A pattern WordPress would not
show (a draft, trashed or password-protected one) shows nothing, as there."""

from __future__ import annotations

import pytest

from byline.articles.models import Article
from tests.wordpress.test_import import run_import
from tests.wordpress.wxr_factory import item, write, wxr

pytestmark = pytest.mark.django_db

DONATE = (
    "<!-- wp:paragraph -->\n<p>Support our journalism: "
    '<a href="https://news.example/donate/">give monthly</a>.</p>\n<!-- /wp:paragraph -->'
)


def pattern(wp_id: int, text: str, status: str = "publish") -> str:
    return item(wp_id, f"Pattern {wp_id}", text, post_type="wp_block", status=status)


def test_a_synced_pattern_shows_its_content_where_the_post_uses_it(tmp_path):
    body = (
        "<!-- wp:paragraph --><p>The story.</p><!-- /wp:paragraph -->\n\n"
        '<!-- wp:block {"ref":77} /-->\n\n'
        "<!-- wp:paragraph --><p>The end.</p><!-- /wp:paragraph -->\n\n"
        '<!-- wp:block {"ref":78} /-->'
    )
    nested = (
        '<!-- wp:block {"ref":77} /-->\n\n'
        "<!-- wp:paragraph --><p>Newsletter.</p><!-- /wp:paragraph -->"
    )
    run_import(
        write(tmp_path, wxr(item(1, content=body), pattern(77, DONATE), pattern(78, nested)))
    )
    html = Article.objects.get().body_html
    assert html.index("The story.") < html.index("Support our journalism") < html.index("The end.")
    assert (
        '<a href="https://news.example/donate/" rel="noopener noreferrer">give monthly</a>' in html
    )
    assert html.count("Support our journalism") == 2  # and once more inside pattern 78
    assert "Newsletter." in html
    assert "wp:block" not in html


def test_patterns_wordpress_would_not_show_show_nothing(tmp_path):
    body = "<p>Story.</p>\n\n" + "".join(
        f'<!-- wp:block {{"ref":{n}}} /-->\n\n' for n in (80, 81, 99)
    )
    drafted = pattern(80, "<p>SECRET draft pattern</p>", status="draft")
    selfref = pattern(81, '<p>Loop.</p><!-- wp:block {"ref":81} /-->')
    run_import(write(tmp_path, wxr(item(1, content=body), drafted, selfref)))
    html = Article.objects.get().body_html
    assert "SECRET" not in html
    assert 1 <= html.count("Loop.") <= 4  # a pattern that uses itself ends
