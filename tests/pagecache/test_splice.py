"""A reader's published comment has its article's page drawn again by splicing: only the
discussion, the counter under the headline and the JSON-LD comment count are drawn, into
the page the cache holds (``discussion.splice``). The page is the one a full render draws
at that moment, byte for byte; whenever the splice cannot be sure, the page is drawn whole."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from byline.articles.models import Article
from byline.discussion import splice
from byline.discussion.actions import moderate, refresh_published
from byline.discussion.models import Comment
from byline.pagecache import page_layer
from tests.discussion.factory import make_comment
from tests.factory import make_article
from tests.pagecache.test_redraw_bytes import full_render, hostile, served, site  # noqa: F401
from tests.pagecache.test_store import needs_redis

pytestmark = [pytest.mark.django_db, needs_redis]


@pytest.fixture
def spliced(monkeypatch):
    """What each splice gave: the new page's bytes, or None (drawn whole)."""
    given: list[bytes | None] = []

    def spy(article_id: int, environ: dict, body: bytes) -> bytes | None:
        given.append(splice.splice_comments(article_id, environ, body))
        return given[-1]

    monkeypatch.setattr(page_layer, "_splicer", spy)
    return given


def publish(article: Article, **fields) -> Comment:
    comment = make_comment(article, **fields)
    refresh_published([article.pk], [comment.thread_id])  # as ``post_comment`` does
    return comment


def new_thread(article: Article) -> None:
    publish(article, body="A new thread.")


def a_reply(article: Article) -> None:
    first = Comment.objects.filter(article=article).order_by("pk").first()
    publish(article, parent=first, body="A reply to the first.")


def a_deep_reply(article: Article) -> None:
    parent = Comment.objects.filter(article=article).order_by("pk").first()
    for depth in range(6):
        parent = make_comment(article, parent=parent, body=f"Down at {depth}.")
    publish(article, parent=parent, body="The deepest answer.")


def hostile_texts(article: Article) -> None:
    for n, text in enumerate(hostile(8)):
        publish(article, body=f"{text} ({n})", author_name=text[:60] or f"Name {n}")


def on_a_later_page(article: Article) -> None:
    for n in range(12):  # ten threads a page: this one lands on the second
        make_comment(article, body=f"Thread {n}.")
    publish(article, body="On the second page.")


def approved_after_closing(article: Article) -> None:
    held = make_comment(article, body="Held, then approved.", status=Comment.Status.PENDING)
    Article.objects.filter(pk=article.pk).update(comment_state=Article.Comments.CLOSED)
    moderate([held], "approve", moderator=None)


def an_edit(article: Article) -> None:
    comment = Comment.objects.filter(article=article).order_by("pk").first()
    Comment.objects.filter(pk=comment.pk).update(body_html="<p>Edited &amp; shorter.</p>")
    refresh_published([article.pk])


# (what the article holds before, what is published, whether the page is spliced)
CASES: dict[str, tuple[int, Callable[[Article], None], bool]] = {
    "the first comment (0 to 1)": (0, new_thread, True),
    "the second comment (1 to 2)": (1, new_thread, True),
    "a new thread": (3, new_thread, True),
    "a reply": (3, a_reply, True),
    "a deep reply": (2, a_deep_reply, True),
    "hostile names and bodies": (2, hostile_texts, True),
    "a thread on the discussion's second page": (0, on_a_later_page, True),
    "an approved comment edited": (2, an_edit, True),
    "approved once comments closed": (2, approved_after_closing, True),
}


@pytest.mark.parametrize("case", CASES)
def test_a_spliced_page_is_a_full_render_byte_for_byte(site, spliced, case):  # noqa: F811
    app, names = site
    before, change, splices = CASES[case]
    article = make_article("Harbour reopens", **names)
    for n in range(before):
        make_comment(article, body=f"Said before ({n}).")
    refresh_published([article.pk])
    url = article.get_absolute_url()
    served(app, url, "miss")
    old = served(app, url, "hit")
    change(article)
    page = served(app, url, "hit")  # drawn again in the publishing request
    assert page != old
    assert (spliced[-1] is not None) is splices
    if splices:
        assert spliced[-1] == page  # the page stored is the splice's
    assert page == full_render(app, article, url)


def test_a_comment_held_for_moderation_changes_nothing(site, spliced):  # noqa: F811
    app, names = site
    article = make_article("Harbour reopens", **names)
    url = article.get_absolute_url()
    served(app, url, "miss")
    old = served(app, url, "hit")
    make_comment(article, body="Waits for a moderator.", status=Comment.Status.PENDING)
    assert served(app, url, "hit") == old == full_render(app, article, url)
    assert spliced == []


def test_a_page_not_at_hand_is_drawn_whole(site, spliced):  # noqa: F811
    app, names = site
    article = make_article("Harbour reopens", **names)
    url = article.get_absolute_url()
    served(app, url, "miss")
    page_layer.page_store().memory.clear()
    page_layer.page_store().shared = None  # neither this worker's copy nor the shared one
    publish(article, body="A comment.")
    assert spliced == []
    assert served(app, url, "hit") == full_render(app, article, url)


def test_each_region_must_be_there_once():
    page = b'<head>"commentCount":1</head><!--comments-->1<!--/comments-->x'
    page += b"<!--discussion-->d<!--/discussion-->"
    assert splice._between(page, splice.COUNTER, 0) is not None
    assert splice._between(page, splice.DISCUSSION, 0) is not None
    assert splice._between(page + b"<!--discussion-->", splice.DISCUSSION, 0) is None
    assert splice._between(page.replace(b"<!--/comments-->", b""), splice.COUNTER, 0) is None
    assert splice.splice_comments(1, {}, page.replace(b'"commentCount":1', b"")) is None
    two = page.replace(b"</head>", b'"commentCount":2</head>')  # above the counter
    assert splice.splice_comments(1, {}, two) is None


def test_the_article_is_read_as_the_page_reads_it(site):  # noqa: F811
    """Once (no field of it read again later), and only if readers may open its page."""
    article = make_article("Harbour reopens")
    assert splice.reachable_article(article.pk).get_absolute_url() == article.get_absolute_url()
    later = make_article("Tomorrow", published_at=timezone.now() + timedelta(hours=1))
    draft = make_article("Not yet", status=Article.Status.DRAFT)
    for unseen in (later, draft):
        assert splice.reachable_article(unseen.pk) is None
    assert splice.reachable_article(draft.pk + 1000) is None


def test_the_splice_reads_the_article_once(site, spliced):  # noqa: F811
    app, names = site
    article = make_article("Harbour reopens", **names)
    url = article.get_absolute_url()
    served(app, url, "miss")
    with CaptureQueriesContext(connection) as captured:
        publish(article, body="A comment.")
    assert spliced[-1] is not None
    table = Article._meta.db_table
    queries = [q["sql"] for q in captured.captured_queries]
    reads = [sql for sql in queries if table in sql and sql.startswith("SELECT")]
    schedule = "\"status\" = 'scheduled'"  # the next publication time (the page's expiry)
    assert len([sql for sql in reads if schedule not in sql]) == 1, reads


def test_a_spliced_page_goes_when_its_copy_would_have(site, spliced):  # noqa: F811
    """What a splice does not draw (the views and votes under the headline, the engagement
    block, what the page's lifetime alone dates) is as old as the copy it was spliced into:
    the page is kept no longer than that copy was to be, then drawn whole. Else an article
    commented on more often than ``BYLINE_PAGE_CACHE_SECONDS`` would show its first
    render's figures for as long as the comments kept coming."""
    app, names = site
    article = make_article("Harbour reopens", **names)
    url = article.get_absolute_url()
    served(app, url, "miss")
    store = page_layer.page_store()
    key, generation = f"http://testserver{url}", store.current_generation()
    kept = store.get(key, generation)
    ending = time.time() + 30  # a copy near the end of its life
    store.set(key, replace(kept, expires_at=ending))
    publish(article, body="A comment.")
    assert spliced[-1] is not None
    page = store.get(key, store.current_generation())
    assert page is not None and page.body == spliced[-1]
    assert page.expires_at <= ending


def test_a_comment_quoting_the_pages_count_leaves_the_next_spliced(site, spliced):  # noqa: F811
    """A reader's text is only ever in the discussion, below the counter: what it quotes
    of the page's own markup (the JSON-LD count as it is written, the markers) is not
    taken for the page's. (Counted on the whole page, one comment holding
    ``"commentCount":0`` had every later comment's page drawn whole.)"""
    app, names = site
    article = make_article("Harbour reopens", **names)
    url = article.get_absolute_url()
    served(app, url, "miss")
    quoting = '"commentCount":0 <!--comments--> <!--/discussion-->'
    publish(article, body=quoting, author_name='"commentCount":7')
    assert served(app, url, "hit").count(b'"commentCount":0') == 1  # the reader's, as written
    publish(article, body="A later comment.")
    page = served(app, url, "hit")
    assert None not in spliced
    assert spliced[-1] == page == full_render(app, article, url)
    assert b'"commentCount":2' in page


def test_a_copy_another_worker_drew_again_is_spliced(site, spliced):  # noqa: F811
    """Comments come to any worker. One that kept the page in its memory before another
    worker's comment drew it again holds a copy that comment's purge put out of date;
    the copy that worker stored in Redis is current, and is the one spliced into. (Only
    the worker's own copy was looked at: with two workers taking turns, nearly every
    comment's page was drawn whole.)"""
    app, names = site
    article = make_article("Harbour reopens", **names)
    url = article.get_absolute_url()
    served(app, url, "miss")
    store = page_layer.page_store()
    key = f"http://testserver{url}"
    before = store.memory.get(key)  # this worker's copy
    publish(article, body="Through another worker.")  # drawn again, in Redis too
    store.memory.set(key, before)  # ... but not in this worker's memory
    assert not store.purges.current(before.scopes, before.mark)  # purged since
    publish(article, body="Through this worker.")
    assert len(spliced) == 2 and None not in spliced
    assert served(app, url, "hit") == spliced[-1] == full_render(app, article, url)
