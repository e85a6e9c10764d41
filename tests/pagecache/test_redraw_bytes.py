"""The page a published comment has drawn again (``page_layer.redraw``, with the parts its
article's pages keep for the generation: the story, the related stories) is the page a
full render draws, byte for byte, whatever the article and its discussion hold."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from byline.articles import related, story
from byline.articles.models import Article
from byline.discussion.actions import refresh_published
from byline.discussion.models import Comment
from byline.pagecache.invalidation import comments_changed
from tests.corpora import NAUGHTY, NEVER_IN_TEXT, XSS
from tests.discussion.factory import make_comment
from tests.factory import make_article, make_author, make_section, make_tag
from tests.pagecache.test_store import needs_redis
from tests.pagecache.wsgi_client import call

pytestmark = [pytest.mark.django_db, needs_redis]  # without Redis a comment moves everything

ORIGIN = "http://testserver"
EMBED = """A video of the launch:

<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" title="The launch"></iframe>
"""


def hostile(count: int) -> list[str]:
    """Strings of the naughty and XSS corpora a comment may hold."""
    texts = [t for t in NAUGHTY + XSS if t.strip() and not NEVER_IN_TEXT.search(t)]
    return texts[:: max(1, len(texts) // count)][:count]


def threads_and_replies(article: Article) -> None:
    first = make_comment(article, body="The first thread.")
    reply = make_comment(article, parent=first, body="A reply.")
    make_comment(article, parent=reply, body="A reply to the reply.")
    make_comment(article, body="A second thread.")


def many_threads(article: Article) -> None:
    for n in range(30):
        make_comment(article, body=f"Thread {n} of many.")


def held_and_removed(article: Article) -> None:
    make_comment(article, body="Shown.")
    make_comment(article, body="Held for a moderator.", status=Comment.Status.PENDING)
    make_comment(article, body="Spam, removed.", status=Comment.Status.SPAM)
    gone = make_comment(article, body="Trashed with a reply under it.")
    make_comment(article, parent=gone, body="The reply stays.")
    gone.status = Comment.Status.TRASH
    gone.save()


def hostile_comments(article: Article) -> None:
    for n, text in enumerate(hostile(12)):
        make_comment(article, body=f"{text} ({n})", author_name=text[:60] or f"Name {n}")


def closed(article: Article) -> None:
    make_comment(article, body="Said before the comments closed.")
    article.comment_state = Article.Comments.CLOSED
    article.save()


CASES: dict[str, tuple[dict, Callable[[Article], None]]] = {
    "no comments": ({}, lambda article: None),
    "threads and replies": ({}, threads_and_replies),
    "a discussion of several pages": ({}, many_threads),
    "held and removed comments": ({}, held_and_removed),
    "hostile names and bodies": ({}, hostile_comments),
    "comments closed": ({}, closed),
    "an article with an embed": ({"body": EMBED}, threads_and_replies),
}


@pytest.fixture
def site(page_cache, settings, tmp_path):
    settings.BYLINE_PAGE_FILES_DIR = str(tmp_path / "pages")
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 10
    section, tag = make_section("World", slug="world"), make_tag("Harbours", slug="harbours")
    author = make_author("Ada Quill", slug="ada", bio="Writes <b>about</b> ships.")
    make_article(
        "Ships come in", section=section, tags=[tag], authors=[author],
        published_at=timezone.now() - timedelta(hours=3),
    )  # fmt: skip
    return page_cache, {"section": section, "tags": [tag], "authors": [author]}


def served(app, url: str, *outcomes: str | None) -> bytes:
    """The page the page layer answers for ``url``, as it came (``outcomes``: None for a
    page it does not keep)."""
    response = call(app, url)
    assert response.status == 200 and response.headers.get("x-page-cache") in outcomes, url
    return response.body


def full_render(app, article: Article, url: str) -> bytes:
    """The page drawn anew with nothing its article keeps (story, related stories)."""
    cache.delete(story.cache_key(article.pk, ORIGIN))
    cache.delete(related.cache_key(article.pk))
    comments_changed(article.pk)  # its pages purged, not drawn again
    return served(app, url, "miss", None)


@pytest.mark.parametrize("case", CASES)
def test_a_redrawn_page_is_a_full_render_byte_for_byte(site, case):
    app, names = site
    fields, discuss = CASES[case]
    article = make_article("Harbour reopens", **names, **fields)
    discuss(article)
    refresh_published([article.pk])
    urls = [article.get_absolute_url()]
    if case == "a discussion of several pages":
        urls.append(urls[0] + "?cpage=2")
    for url in urls:  # kept, with the story and related stories
        served(app, url, "miss")
    before = served(app, urls[0], "hit")
    make_comment(article, body="The comment just published.")
    refresh_published([article.pk])  # its first page drawn again, in this request
    redrawn = served(app, urls[0], "hit")
    assert redrawn != before  # (its counters; the comment, unless on a later page)
    assert redrawn == full_render(app, article, urls[0])
    for url in urls[1:]:  # purged, drawn at the next request with what is kept
        assert served(app, url, "miss") == full_render(app, article, url)


def test_a_protected_articles_page_is_never_kept_or_redrawn(site):
    """Its page is the reader's own (the password form with its token): neither it nor
    its story is kept, before or after a comment."""
    app, names = site
    article = make_article("Members only", password="s3cret", **names)
    url = article.get_absolute_url()
    served(app, url, None)
    make_comment(article, body="Behind the password.")
    refresh_published([article.pk])
    served(app, url, None)
    assert cache.get(story.cache_key(article.pk, ORIGIN)) is None
