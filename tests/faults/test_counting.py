"""Counting under churn: the live view count never goes down while views are flushed.

A writer thread counts views and flushes the buffer over and over while a
reader thread asks for the counts as the API shows them: every figure it
reads must be at least the one before, and at the end the totals hold every
view. With Redis (a redis-server of the test's own) and with the database's
buffer. On PostgreSQL only: the in-memory SQLite test database locks whole
tables across threads, which a real SQLite file in WAL mode does not
(test_sqlite_load.py covers that file under load).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from byline import readers, redisconn
from byline.articles.demo import load_demo
from byline.engagement import stats, viewbuffer
from byline.engagement.stats import figures_for
from byline.pagecache.store import reset_page_store
from tests.conftest import using_postgres
from tests.faults.servers import RedisServer, missing_redis

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not using_postgres(),
        reason="needs PostgreSQL (DATABASE_URL=postgres://...): the in-memory SQLite test "
        "database locks whole tables across threads",
    ),
]

VIEWS = 3000


def _churn(article_id: int) -> list[int]:
    """Views counted and flushed in one thread, counts read in another: what was read.

    No read may be stale (Redis unreadable: then the views buffered there are
    left out, and flagged so); the timeout is long enough for a loaded machine.
    """
    seen: list[int] = []
    done = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for n in range(VIEWS):
                viewbuffer.record_view(article_id)
                if n % 50 == 0:
                    viewbuffer.flush()
            viewbuffer.flush()
        except BaseException as error:
            errors.append(error)
        finally:
            done.set()
            connection.close()

    def reader() -> None:
        try:
            while not done.is_set():
                counts = stats.counts_json(article_id)
                assert "stale" not in counts
                seen.append(counts["views"])
            seen.append(stats.counts_json(article_id)["views"])
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return seen


def _assert_never_down(seen: list[int]) -> None:
    drops = [(a, b) for a, b in zip(seen, seen[1:], strict=False) if b < a]
    assert not drops, f"the count went down {len(drops)} times, first {drops[0]}"
    assert len(seen) > 10  # the reader really read while the writer flushed


def test_with_redis_the_view_count_never_goes_down_during_flushes(settings):
    """Redis buffer: a flush moves views to a batch and then to the totals, and a reader
    counts each view once at every step (the batches in flight, the applied tokens)."""
    if (reason := missing_redis()) is not None:
        pytest.skip(reason)
    server = RedisServer().start()
    try:
        settings.REDIS_URL = server.url()
        settings.BYLINE_REDIS_TIMEOUT = 5.0
        redisconn.reset()
        readers.reset_limits()
        reset_page_store()
        article, _ = load_demo()
        seen = _churn(article.pk)
        _assert_never_down(seen)
        assert seen[-1] == VIEWS
        assert figures_for(article.pk).views == VIEWS
    finally:
        server.close()
        redisconn.reset()
        reset_page_store()


def test_with_the_database_buffer_the_view_count_never_goes_down_during_flushes(settings):
    """Database buffer: the totals and the pending rows are read in one statement."""
    settings.REDIS_URL = ""
    redisconn.reset()
    article, _ = load_demo()
    seen = _churn(article.pk)
    _assert_never_down(seen)
    assert seen[-1] == VIEWS
