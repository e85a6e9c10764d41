"""A thread's shape is kept in the cache between renders, and never outlives a change.

Each test renders a long thread's pages (the article's page, where it folds, and the
thread's own pages), so its shape is cached; changes the comments through one of
the write paths (a reader's post, moderation of one comment and of several, an
edit, a delete, an import); and checks that every page then shows the change
(counts, folding, reply links, permalinks) and is exactly the page a site without
any cached shape renders.

Without Redis a comment change moves the page cache's generation, which every shape's
key holds too; with Redis (the PostgreSQL run) only the article's token moves: these
tests fail there if a write path forgets to drop it.
"""

import io
import os
import re

import pytest
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from byline.articles.models import Article
from byline.discussion import shapes, threads
from byline.discussion.actions import delete_comments, edit_comment
from byline.discussion.models import Comment
from tests.discussion.factory import make_comment, post_comment
from tests.discussion.test_moderation import bulk
from tests.wordpress import wxr_factory as wx

pytestmark = pytest.mark.django_db

SHOWN = re.compile(r'id="comment-(\d+)"')
# The threads a render reads (``threads.THREADS``, ``db.AnyOf``: one parameter, the ids'
# array on PostgreSQL, a JSON array elsewhere).
THREADS_READ = re.compile(
    r'"thread_id" (?:= ANY\(\'\{([\d,]+)\}\'::bigint\[\]\)'
    r"|IN \(SELECT value FROM json_each\('\[([\d,]+)\]'\)\))"
)
MORE = re.compile(r'<p class="more-replies"><a href="[^"]+">(\d+) more repl')


@pytest.fixture(autouse=True)
def _small_folds(settings):
    settings.BYLINE_COMMENT_THREAD_FOLD = 2
    settings.BYLINE_COMMENT_THREAD_PAGE_SIZE = 4


def chain(article, replies: int, email: str = "ada@example.org") -> list[Comment]:
    """A root and ``replies`` replies, each answering the one before (past the depth
    limit the page shows them at the deepest level)."""
    comments = [make_comment(article, author_email=email)]
    for _ in range(replies):
        comments.append(make_comment(article, parent=comments[-1], author_email=email))
    return comments


def addresses(article, root) -> list[str]:
    base = article.get_absolute_url()
    thread = f"{base}?thread={root.pk}"
    return [base, thread, f"{thread}&tpage=2", f"{thread}&tpage=3", f"{thread}&tpage=4"]


def render(client, article, root) -> list[str]:
    return [client.get(address).content.decode() for address in addresses(article, root)]


def shown(pages: list[str]) -> set[int]:
    return {int(pk) for page in pages for pk in SHOWN.findall(page)}


def as_if_nothing_was_cached(client, article, root, pages: list[str]) -> None:
    """The pages are the ones a site with no cached shape renders."""
    cache.clear()
    assert pages == render(client, article, root)


@pytest.fixture
def thread(client, article):
    comments = chain(article, 8)
    render(client, article, comments[0])  # the shapes are kept
    return comments


def test_a_shape_is_read_once_for_all_the_pages_of_its_thread(client, article, thread):
    """The second render of each page reads no shape: one query fewer than the first."""
    root = thread[0]
    shapes.forget(Comment, article_id=article.pk)
    first, second = [], []
    for address in addresses(article, root):
        for counts in (first, second):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(address).status_code == 200
            counts.append(len(captured.captured_queries))
    assert first[0] == second[0] + 1  # the article's page read it; nothing since
    assert first[1:] == second[1:]  # the thread's own pages found it kept


class Reads:
    """A ``read`` for ``shapes.cached``: each thread a shape of its root alone; notes
    which threads it was asked for."""

    def __init__(self) -> None:
        self.asked: list[list[int]] = []

    def __call__(self, missing: list[int]) -> shapes.Skeleton:
        self.asked.append(list(missing))
        return shapes.Skeleton({pk: [pk] for pk in missing}, {})


def test_after_a_change_the_shapes_asked_for_are_read_together_and_kept(article):
    """The first render after a change makes the article's token: every shape it asks for
    is read (one call), then kept; the next render reads only a thread not kept yet."""
    read = Reads()
    shapes.forget(Comment, article_id=article.pk)
    first = shapes.cached(article.pk, [1, 2], read)
    second = shapes.cached(article.pk, [1, 2, 3], read)
    third = shapes.cached(article.pk, [3, 2], read)
    assert read.asked == [[1, 2], [3]]
    assert first.orders == {1: [1], 2: [2]}
    assert second.orders == {1: [1], 2: [2], 3: [3]}
    assert third.orders == {3: [3], 2: [2]}


def test_a_change_in_a_transaction_drops_the_shapes_again_once_it_commits(
    article, django_capture_on_commit_callbacks
):
    """A shape read while the change is not committed yet (another render, reading the
    database as it was) is never read after the commit."""
    read = Reads()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        shapes.forget(Comment, article_id=article.pk)
        shapes.cached(article.pk, [1], read)  # kept under the token of the moment
        shapes.cached(article.pk, [1], read)
        assert read.asked == [[1]]
    shapes.cached(article.pk, [1], read)
    assert read.asked == [[1], [1]]


def test_a_change_of_one_thread_has_that_thread_alone_read_again(article):
    """A reader's comment changes its own thread: the next render reads that shape alone;
    a change of the article's comments at large (moderation, an edit) reads them all."""
    read = Reads()
    shapes.forget(Comment, article_id=article.pk)
    shapes.cached(article.pk, [1, 2, 3], read)
    shapes.forget(Comment, article_id=article.pk, threads=[2])
    assert shapes.cached(article.pk, [1, 2, 3], read).orders == {1: [1], 2: [2], 3: [3]}
    shapes.forget(Comment, article_id=article.pk)
    shapes.cached(article.pk, [1, 2, 3], read)
    assert read.asked == [[1, 2, 3], [2], [1, 2, 3]]


def test_a_thread_s_shape_read_before_its_change_committed_is_read_again_after(
    article, django_capture_on_commit_callbacks
):
    read = Reads()
    shapes.cached(article.pk, [1, 2], read)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        shapes.forget(Comment, article_id=article.pk, threads=[1])
        shapes.cached(article.pk, [1, 2], read)  # another render, before the commit
    shapes.cached(article.pk, [1, 2], read)
    assert read.asked == [[1, 2], [1], [1]]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="Redis not configured")
def test_a_threads_change_reaches_the_workers_of_the_code_before_thread_tokens(article):
    """During the rolling deploy that brings thread tokens, a worker of the code before
    keys every shape of the article by the whole article token (``thread-shapes:<id>``)
    and reads no thread token: a comment posted through a new worker changes that token
    for it too (its kept shapes are never read again), while this code keeps the
    article's other threads (only the token's base counts here), and a TTL."""
    read = Reads()
    shapes.cached(article.pk, [1, 2], read)
    key = shapes._token_key(article.pk)
    before = cache.get(key)  # what an old worker's shape keys hold
    shapes.forget(Comment, article_id=article.pk, threads=[1])
    after = cache.get(key)
    assert after is not None and after != before
    assert after[: shapes.BASE] == before[: shapes.BASE]
    backend = caches["default"]  # (its time to live kept)
    assert 0 < backend._cache.get_client().pttl(backend.make_key(key)) <= shapes.KEEP_SECONDS * 1000
    assert shapes.cached(article.pk, [1, 2], read).orders == {1: [1], 2: [2]}
    assert read.asked == [[1, 2], [1]]
    shapes.forget(Comment, article_id=article.pk)  # any other change: every shape
    assert cache.get(key) is None
    shapes.cached(article.pk, [1, 2], read)
    assert read.asked == [[1, 2], [1], [1, 2]]
    cache.set(key, "not a token of ours")  # stored otherwise: dropped, as by any change
    shapes.forget(Comment, article_id=article.pk, threads=[2])
    assert cache.get(key) is None


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="Redis not configured")
def test_a_threads_change_gives_it_a_new_token_the_next_draw_reads_it_under(article):
    """A comment's thread gets a new token in the change's own round trip (not none):
    its redraw reads the thread again, and writes nothing to the cache before reading
    it; the token expires as a token made by a draw does."""
    read = Reads()
    shapes.cached(article.pk, [1, 2], read)
    key = shapes._thread_token_key(article.pk, 1)
    before = cache.get(key)
    shapes.forget(Comment, article_id=article.pk, threads=[1])
    after = cache.get(key)
    assert after is not None and after != before and len(after) == len(before)
    backend = caches["default"]
    assert 0 < backend._cache.get_client().pttl(backend.make_key(key)) <= shapes.KEEP_SECONDS * 1000
    written = []
    real = type(backend).set_many
    try:
        type(backend).set_many = lambda self, data, *a, **k: (
            written.append(sorted(data)) or real(self, data, *a, **k)
        )
        assert shapes.cached(article.pk, [1, 2], read).orders == {1: [1], 2: [2]}
    finally:
        type(backend).set_many = real
    assert read.asked == [[1, 2], [1]]
    assert written == [[f"thread-shape:{shapes.hooks.site_generation()}:{article.pk}:1"]]
    assert shapes.cached(article.pk, [1, 2], read).orders == {1: [1], 2: [2]}
    assert read.asked == [[1, 2], [1]]


def test_an_address_s_made_up_thread_leaves_nothing_in_the_cache(article):
    """``?thread=`` with any number: no token (nor shape) is kept for what is no thread."""
    shapes.cached(article.pk, [1], Reads())
    before = cache.get(shapes._thread_token_key(article.pk, 987654))
    shapes.cached(article.pk, [987654], lambda missing: shapes.Skeleton({}, {}))
    assert before is None
    assert cache.get(shapes._thread_token_key(article.pk, 987654)) is None
    assert cache.get(shapes._thread_token_key(article.pk, 1)) is not None


def test_a_readers_comment_has_its_own_thread_alone_read_again(client, article, thread, settings):
    """Posted, a reply's thread is read again for the page; the article's other threads
    are not (with Redis; without it the purge moves the generation: all are)."""
    other = make_comment(article)
    client.get(article.get_absolute_url())  # both shapes kept
    post_comment(client, article, body="Another reply", parent=thread[-1].pk)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(article.get_absolute_url()).content.decode()
    read = [
        {int(pk) for pk in "".join(found).split(",")}
        for query in captured.captured_queries
        for found in THREADS_READ.findall(query["sql"])
    ]
    assert read == [{thread[0].pk} if settings.REDIS_URL else {thread[0].pk, other.pk}]
    assert MORE.search(page).group(1) == "7"  # type: ignore[union-attr]
    pages = render(client, article, thread[0])
    assert Comment.objects.get(body="Another reply").pk in shown(pages)
    as_if_nothing_was_cached(client, article, thread[0], pages)


def test_a_thread_read_alone_has_the_shape_it_has_read_with_others(article):
    """A published comment's redraw reads its own thread alone (``threads.THREADS``,
    one statement written once for any number of threads, as several are read); the
    shape is the one the article's threads read together give: a removed comment with
    an approved reply as a placeholder, a held comment and its replies out, the replies
    in the order of the conversation."""
    root = make_comment(article)
    reply = make_comment(article, parent=root)
    removed = make_comment(article, parent=reply)
    make_comment(article, parent=removed)
    removed.status = Comment.Status.TRASH
    removed.save(update_fields=["status"])
    held = make_comment(article, parent=root, status=Comment.Status.PENDING)
    make_comment(article, parent=held)
    make_comment(article, parent=root)
    other = make_comment(article)
    make_comment(article, parent=other)
    shapes.forget(Comment, article_id=article.pk)
    with CaptureQueriesContext(connection) as captured:
        alone = threads._skeleton(article.pk, [root.pk])
    assert ["".join(found) for q in captured for found in THREADS_READ.findall(q["sql"])] == [
        str(root.pk)
    ]
    shapes.forget(Comment, article_id=article.pk)
    with CaptureQueriesContext(connection) as captured:
        together = threads._skeleton(article.pk, [root.pk, other.pk])
    assert ["".join(found) for q in captured for found in THREADS_READ.findall(q["sql"])] == [
        f"{root.pk},{other.pk}"
    ]
    assert alone.orders == {root.pk: together.orders[root.pk]}
    assert alone.removed == {removed.pk: reply.pk} == together.removed
    assert len(alone.orders[root.pk]) == 5  # root, reply, removed, its reply, the last


def test_a_readers_reply_shows_at_once(client, article, thread):
    root, last = thread[0], thread[-1]
    before = MORE.search(render(client, article, root)[0])
    assert before and before.group(1) == "6"
    response = post_comment(client, article, body="A late reply", parent=last.pk)
    reply = Comment.objects.get(body="A late reply")
    assert reply.status == Comment.Status.APPROVED, response
    pages = render(client, article, root)
    assert reply.pk in shown(pages)
    assert MORE.search(pages[0]).group(1) == "7"  # type: ignore[union-attr]
    reader = Client()  # not its author, who gets the comment's own page
    landing = reader.get(reply.get_absolute_url())["Location"]
    assert reply.pk in shown([reader.get(landing).content.decode()])
    as_if_nothing_was_cached(client, article, root, pages)


def test_one_comment_moderated_away_takes_its_place_in_the_thread(editor_client, article, thread):
    """A reply trashed: it becomes a placeholder (its replies stay), one reply fewer."""
    root = thread[0]
    bulk(editor_client, "move_to_trash", thread[4])
    editor_client.logout()
    pages = render(editor_client, article, root)
    assert thread[4].pk in shown(pages)  # as "This comment was removed."
    assert "This comment was removed." in "".join(pages)
    assert MORE.search(pages[0]).group(1) == "5"  # type: ignore[union-attr]
    as_if_nothing_was_cached(editor_client, article, root, pages)


def test_several_comments_moderated_at_once(editor_client, article, thread):
    """The last two replies marked spam: neither is shown, nor counted."""
    root = thread[0]
    bulk(editor_client, "mark_spam", thread[-1], thread[-2])
    editor_client.logout()
    pages = render(editor_client, article, root)
    assert not {thread[-1].pk, thread[-2].pk} & shown(pages)
    assert MORE.search(pages[0]).group(1) == "4"  # type: ignore[union-attr]
    as_if_nothing_was_cached(editor_client, article, root, pages)


def test_a_held_comment_approved_joins_its_thread(editor_client, article, thread):
    root = thread[0]
    held = make_comment(article, parent=thread[-1], status=Comment.Status.PENDING)
    render(editor_client, article, root)
    bulk(editor_client, "approve", held)
    editor_client.logout()
    pages = render(editor_client, article, root)
    assert held.pk in shown(pages)
    as_if_nothing_was_cached(editor_client, article, root, pages)


def test_an_edit_that_holds_a_comment_takes_it_and_its_replies_out(client, article, thread):
    root = thread[0]
    comment = thread[6]
    comment.body = "Edited: now it waits for a moderator."
    comment.status = Comment.Status.PENDING
    edit_comment(comment, None, previous_status=Comment.Status.APPROVED)
    pages = render(client, article, root)
    assert not {c.pk for c in thread[6:]} & shown(pages)  # it, and its replies wait with it
    as_if_nothing_was_cached(client, article, root, pages)


def test_a_deleted_comment_goes_with_its_replies(client, article, thread):
    root = thread[0]
    gone = {c.pk for c in thread[5:]}
    delete_comments([thread[5]])
    pages = render(client, article, root)
    assert not gone & shown(pages)
    assert {c.pk for c in thread[:5]} <= shown(pages)
    as_if_nothing_was_cached(client, article, root, pages)


def test_an_import_that_adds_replies_to_a_thread(
    client, tmp_path, django_capture_on_commit_callbacks
):
    """A WordPress export imported again with a reply more: the reply shows."""

    def export(replies: int):
        comments = [wx.comment(1, "The first word.", date_gmt="2014-06-11 09:00:00")]
        for n in range(2, replies + 2):
            when = f"2014-06-11 {9 + n:02}:00:00"
            comments.append(wx.comment(n, f"Reply {n}.", parent=n - 1, date_gmt=when))
        path = wx.write(tmp_path, wx.wxr(wx.item(1, "A long debate", comments=tuple(comments))))
        with django_capture_on_commit_callbacks(execute=True):  # its announcement
            call_command("import_wxr", str(path), "--no-progress", stdout=io.StringIO())

    export(6)
    article = Article.objects.get(headline="A long debate")
    root = Comment.objects.get(article=article, parent=None)
    assert len(shown(render(client, article, root))) == 7
    export(7)
    pages = render(client, article, root)
    newest = Comment.objects.get(article=article, body="Reply 8.")
    assert newest.pk in shown(pages)
    as_if_nothing_was_cached(client, article, root, pages)
