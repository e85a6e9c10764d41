"""PostgreSQL frozen: the first requests that meet it are not held for the whole deadline.

Nothing tells a frozen server from a slow one until a wait runs out, so the
first requests after a freeze used to wait ``BYLINE_DATABASE_TIMEOUT`` + 1 s
each (6 s by default) before a worker's breaker opened. A live server answers
the health check Django runs at a request's first query (``SELECT 1``) at once
however slow its queries are, and lets a new connection in within
milliseconds: so the health check waits ``byline.postgres.PROBE_SECONDS`` (1 s)
and a new connection 2 s, and a frozen server is found out that soon, while a
slow query still has the whole deadline.

The deadline here is 30 s and each client gives up after 15 s: a request that
waited for the deadline would fail the test.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from tests.faults.clients import Reader, Reply
from tests.faults.servers import app_on_own_postgres_and_redis, until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

CLIENT_SECONDS = 15


@pytest.fixture(scope="module")
def stack():
    with app_on_own_postgres_and_redis(BYLINE_DATABASE_TIMEOUT="30") as (postgres, _, app):
        yield postgres, app


def _searches(
    app, count: int, word: str, timeout: float = CLIENT_SECONDS
) -> tuple[list[threading.Thread], list[Reply]]:
    """``count`` searches at once, each from its own reader; started, not joined."""
    answers: list[Reply] = []
    readers = [
        Reader(base=app.base, ip=f"198.51.100.{n + 20}", timeout=timeout) for n in range(count)
    ]
    threads = [
        threading.Thread(target=lambda r=r, n=n: answers.append(r.page(f"/search/?q={word}{n}")))
        for n, r in enumerate(readers)
    ]
    for thread in threads:
        thread.start()
    return threads, answers


def _waiting_for_a_lock(postgres) -> int:
    """Statements waiting for a lock (asked afresh: a transaction sees one snapshot)."""
    with psycopg.connect(postgres.url(), autocommit=True) as watcher:
        row = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        ).fetchone()
    return row[0] if row else 0


def test_searches_wait_for_postgres_side_by_side_not_one_after_another(stack):
    """Three searches stuck behind a lock all reach PostgreSQL: none waits in the app
    for another (Python 3.11's functools.cached_property held one lock for every
    search result, so the other searches of a worker queued behind a slow one)."""
    postgres, app = stack
    with psycopg.connect(postgres.url()) as holder:
        holder.execute("LOCK TABLE articles_article IN ACCESS EXCLUSIVE MODE")
        threads, answers = _searches(app, 3, "side", timeout=28)  # within the deadline
        try:
            side_by_side = until(lambda: _waiting_for_a_lock(postgres) == 3, 20)
            waiting = _waiting_for_a_lock(postgres)
        finally:
            holder.rollback()
    for thread in threads:
        thread.join()
    statuses = [answer.status for answer in answers]
    assert side_by_side, f"{waiting} waiting in PostgreSQL; answers {statuses}"
    assert statuses == [200, 200, 200]


def test_with_postgres_frozen_the_first_requests_are_answered_within_seconds(stack):
    """Requests that meet a frozen server get their 503 (with Retry-After) from the
    health check of a kept connection or a new connection's time-out, long before
    the 30 s deadline; after the thaw the same server answers them."""
    postgres, app = stack
    threads, answers = _searches(app, 6, "warm")  # the threads' connections are open
    for thread in threads:
        thread.join()
    assert [answer.status for answer in answers] == [200] * 6
    postgres.freeze()
    try:
        threads, answers = _searches(app, 6, "frozen")
        for thread in threads:
            thread.join()
    finally:
        postgres.thaw()
    assert [answer.status for answer in answers] == [503] * 6
    assert all(int(answer.headers["retry-after"]) > 0 for answer in answers)
    assert "health check within 1 s" in app.log()
    reader = Reader(base=app.base)
    assert until(lambda: reader.page("/search/?q=thawed").status == 200, 60)
    assert "Traceback" not in app.log(), app.log()[-3000:]


def test_a_slow_query_is_not_taken_for_a_frozen_server(stack):
    """A search stuck behind a lock for longer than the health check's and the
    connection's time-outs is answered once the lock goes, and so is one that
    starts while it waits: a busy server is not a frozen one."""
    postgres, app = stack
    with psycopg.connect(postgres.url()) as holder:
        holder.execute("LOCK TABLE articles_article IN ACCESS EXCLUSIVE MODE")
        first, answers = _searches(app, 1, "slow")
        try:
            assert until(lambda: _waiting_for_a_lock(postgres) == 1, 12)
            second, more = _searches(app, 1, "meanwhile")
            assert until(lambda: _waiting_for_a_lock(postgres) == 2, 12)
            time.sleep(3)  # past the health check's 1 s and a connection's 2 s
        finally:
            holder.rollback()
    for thread in first + second:
        thread.join()
    assert [answer.status for answer in answers + more] == [200, 200]
    assert "Traceback" not in app.log(), app.log()[-3000:]
