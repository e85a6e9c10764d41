"""What a reader's comment costs the database: the POST and what it does after the commit.

The article is read without its text (a comment needs its id, headline and state),
the discussion's counts with plain queries (no server-side cursor: three round trips,
and outside a transaction a copy of the whole result), and the page cache is told
once when the change is already committed.
"""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from byline.discussion import threads
from byline.discussion.models import Comment
from byline.discussion.threads import refresh_shown
from byline.pagecache.purges import REDIS_PREFIX
from byline.pagecache.store import redis_client, reset_page_store
from tests.discussion.factory import make_comment, post_comment
from tests.pagecache.test_store import needs_redis


@pytest.fixture
def published_at_once(settings):
    settings.BYLINE_SPAM_FIRST_COMMENT = "publish"
    settings.BYLINE_COMMENT_MIN_SECONDS = 0


@pytest.mark.django_db(transaction=True)
def test_a_comment_reads_neither_the_article_text_nor_through_a_cursor(
    client, article, published_at_once
):
    for _ in range(3):
        make_comment(article)
    with CaptureQueriesContext(connection) as captured:
        response = post_comment(client, article, json=True)
    assert response.status_code == 201, response.content
    statements = [query["sql"] for query in captured.captured_queries]
    article_reads = [sql for sql in statements if 'FROM "articles_article"' in sql]
    assert article_reads and not any('"body_html"' in sql for sql in article_reads)
    cursors = [sql for sql in statements if sql.lstrip().upper().startswith("DECLARE")]
    assert not [sql for sql in cursors if '"discussion_comment"' in sql]
    assert Comment.objects.approved().filter(article=article).count() == 4


@pytest.mark.django_db
def test_a_discussion_longer_than_a_chunk_is_counted_whole(article, monkeypatch):
    monkeypatch.setattr(threads, "CHUNK", 2)
    root = make_comment(article)
    for _ in range(3):
        make_comment(article, parent=root)
    make_comment(article)
    held = make_comment(article, status=Comment.Status.PENDING)
    make_comment(article, parent=held)  # under a held comment: not shown
    assert refresh_shown([article.pk]) == {article.pk: 5}


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_committed_comment_sends_one_purge(
    client, article, published_at_once, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    redis = redis_client(os.environ["REDIS_URL"])
    redis.flushdb()
    reset_page_store()
    try:
        response = post_comment(client, article, json=True)
        assert response.status_code == 201, response.content
        purges = redis.zrange(REDIS_PREFIX + "purges", 0, -1)
        assert [entry.decode().partition("|")[2] for entry in purges] == [
            f"comments:{article.pk},comment-counts"
        ]
    finally:
        reset_page_store()
        redis.flushdb()


def _statements(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_a_reply_is_inserted_with_its_thread_and_a_new_thread_points_at_itself(
    client, article, published_at_once
):
    """A reply's thread is its parent's, known before the INSERT: no second statement.
    A new thread's id is its own, known only after it: one UPDATE, as before."""
    root = make_comment(article)
    middle = make_comment(article, parent=root)
    with CaptureQueriesContext(connection) as captured:
        response = post_comment(client, article, json=True, parent=str(middle.pk))
    assert response.status_code == 201, response.content
    reply = Comment.objects.get(pk=response.json()["id"])
    assert (reply.parent_id, reply.thread_id, reply.depth) == (middle.pk, root.pk, 2)
    statements = _statements(captured)
    assert not [sql for sql in statements if sql.startswith('UPDATE "discussion_comment"')]

    response = post_comment(client, article, json=True, body="A new thread of its own.")
    assert response.status_code == 201, response.content
    new_thread = Comment.objects.get(pk=response.json()["id"])
    assert new_thread.thread_id == new_thread.pk


@pytest.mark.django_db(transaction=True)
def test_a_new_form_token_is_looked_up_with_the_duplicate_check_without_reading_a_comment(
    client, article, published_at_once
):
    """Almost every form's token is new: its lookup reads the token's row alone (the
    comment it posted is read only when it was spent, to answer a double submit), in the
    statement that asks whether the same words were posted here already: one read."""
    with CaptureQueriesContext(connection) as captured:
        response = post_comment(client, article, json=True)
    assert response.status_code == 201, response.content
    statements = _statements(captured)
    lookups = [
        sql
        for sql in statements
        if sql.startswith("SELECT") and '"discussion_spentformtoken"' in sql
    ]
    assert len(lookups) == 1
    assert "JOIN" not in lookups[0] and 'EXISTS (SELECT 1 FROM "discussion_comment"' in lookups[0]
    assert not [sql for sql in statements if sql.startswith('SELECT 1 FROM "discussion_comment"')]
    assert not [sql for sql in statements if sql.startswith('SELECT "discussion_comment"."id"')]


@pytest.mark.django_db(transaction=True)
def test_a_comment_writes_the_removed_threads_when_the_stored_number_is_out_of_date(
    client, article, published_at_once
):
    """A removed thread the article's number does not hold (a moderator's refresh racing
    another wrote a stale one): the next comment's count finds it and writes it."""
    root = make_comment(article, status=Comment.Status.TRASH)
    make_comment(article, parent=root)
    type(article).objects.filter(pk=article.pk).update(removed_threads=0)
    response = post_comment(client, article, json=True, body="Another thought entirely.")
    assert response.status_code == 201, response.content
    article.refresh_from_db()
    assert article.removed_threads == 1
