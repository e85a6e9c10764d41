"""Long threads fold: the article page stays bounded, the rest is a plain link away."""

import re

import pytest

from byline.pagecache.decorators import STORABLE
from byline.pagecache.rules import _query_key
from tests.discussion.factory import make_comment

pytestmark = pytest.mark.django_db

SHOWN = re.compile(r'id="comment-(\d+)"')


def long_thread(article, replies: int):
    """A root and ``replies`` replies, each answering the previous one or the root."""
    root = make_comment(article)
    comments = [root]
    for n in range(replies):
        parent = comments[-1] if n % 3 and comments[-1].depth < 3 else root
        comments.append(make_comment(article, parent=parent))
    return comments


def shown(response) -> list[int]:
    return [int(pk) for pk in SHOWN.findall(response.content.decode())]


def test_a_long_thread_folds_after_the_configured_replies(client, article, settings):
    """30 replies, fold at 10: the root and 10 replies, then "20 more replies" linking to
    the thread's own page at the first hidden reply; no script needed."""
    settings.BYLINE_COMMENT_THREAD_FOLD = 10
    comments = long_thread(article, 30)
    other = make_comment(article)
    response = client.get(article.get_absolute_url())
    ids = shown(response)
    assert len(ids) == 12 and other.pk in ids and comments[0].pk in ids
    html = response.content.decode()
    hidden = [c.pk for c in comments if c.pk not in ids]
    assert len(hidden) == 20
    link = re.search(r'<p class="more-replies"><a href="([^"]+)">20 more replies', html)
    assert link, html
    assert link.group(1).startswith(f"?thread={comments[0].pk}#comment-")
    whole = client.get(article.get_absolute_url() + f"?thread={comments[0].pk}")
    assert sorted(shown(whole)) == sorted(c.pk for c in comments)
    assert f'href="?thread={comments[0].pk}&replyto=' in whole.content.decode()


def test_a_thread_of_its_own_is_paged_and_every_reply_has_a_permalink(client, article, settings):
    """250 replies, 100 a page: three pages, each bounded; the permalink of the last reply
    lands on the page that shows it."""
    settings.BYLINE_COMMENT_THREAD_FOLD = 5
    settings.BYLINE_COMMENT_THREAD_PAGE_SIZE = 100
    comments = long_thread(article, 250)
    root = comments[0]
    base = article.get_absolute_url()
    seen: list[int] = []
    for page in (1, 2, 3):
        query = f"?thread={root.pk}" + (f"&tpage={page}" if page > 1 else "")
        ids = shown(client.get(base + query))
        assert len(ids) <= 100
        seen += ids
    assert sorted(seen) == sorted(c.pk for c in comments)
    last = comments[-1]
    landing = client.get(last.get_absolute_url())
    assert landing.status_code == 302
    assert landing["Location"].endswith(f"#comment-{last.pk}")
    assert "thread=" in landing["Location"]
    assert last.pk in shown(client.get(landing["Location"]))
    early = comments[2]  # within the fold: the article's own page
    assert client.get(early.get_absolute_url())["Location"] == f"{base}#comment-{early.pk}"


def test_only_canonical_discussion_addresses_are_cached(client, article, settings):
    """The page cache keys page numbers; the view stores a page only under its one
    address, so made-up numbers cannot fill the cache."""
    assert _query_key("cpage=2") == "?cpage=2"
    assert _query_key("tpage=3&thread=7") == "?thread=7&tpage=3"
    assert _query_key("replyto=5") is None
    settings.BYLINE_COMMENT_THREAD_FOLD = 2
    comments = long_thread(article, 5)
    base = article.get_absolute_url()
    good = client.get(f"{base}?thread={comments[0].pk}")
    assert good.wsgi_request.META.get(STORABLE) is True
    for query in (f"?thread={comments[0].pk}&tpage=9", f"?thread={comments[1].pk}", "?cpage=7"):
        response = client.get(base + query)
        assert response.status_code == 200
        assert response.wsgi_request.META.get(STORABLE) is False, query
