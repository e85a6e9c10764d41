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
from collections import Counter

import psycopg
import pytest

from tests.faults.clients import Reader, Reply
from tests.faults.servers import app_on_own_postgres_and_redis, until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

CLIENT_SECONDS = 15


@pytest.fixture(scope="module")
def stack():
    # Every test here votes, its readers one address to the rate limit (this machine).
    with app_on_own_postgres_and_redis(
        BYLINE_DATABASE_TIMEOUT="30", BYLINE_VOTES_PER_MINUTE="1000"
    ) as (postgres, _, app):
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


def _demo_article(postgres) -> int:
    with psycopg.connect(postgres.url()) as connection:
        row = connection.execute("SELECT id FROM articles_article ORDER BY id LIMIT 1").fetchone()
    return int(row[0])


def _reactions(postgres, article_id: int) -> list[str]:
    with psycopg.connect(postgres.url()) as connection:
        rows = connection.execute(
            "SELECT reaction FROM engagement_reaction WHERE article_id = %s", (article_id,)
        ).fetchall()
    return [row[0] for row in rows]


def test_with_postgres_frozen_a_vote_just_after_another_gets_its_503_within_seconds(stack):
    """The vote caster skips the health check of a connection that cast a batch less
    than 30 s ago (``batches.TRUSTED_FOR``). A vote that meets a server frozen
    since gets its 503 with Retry-After in about 2 s (its statement unanswered for
    1 s, then no new connection let in within 1 s), long before the 30 s deadline;
    sent again after the thaw, it is where the reader wanted."""
    postgres, app = stack
    article_id = _demo_article(postgres)
    voter = Reader(base=app.base, ip="198.51.100.60", timeout=CLIENT_SECONDS)
    assert voter.react(article_id, "happy").status == 200
    postgres.freeze()  # within the 30 s the caster trusts its connection
    try:
        frozen = voter.react(article_id, "sad")
    finally:
        postgres.thaw()
    assert frozen.status == 503, frozen.text
    assert int(frozen.headers["retry-after"]) > 0
    assert frozen.json()["error"]["status"] == 503
    assert until(lambda: voter.react(article_id, "sad").status == 200, 60)
    assert _reactions(postgres, article_id) == ["sad"]
    assert "Traceback" not in app.log(), app.log()[-3000:]


def test_votes_answered_503_while_postgres_is_frozen_are_not_cast_when_it_thaws(stack):
    """Votes a few seconds after the readers' last ones (their connections trusted,
    no health check: ``TRUSTED_FOR``) meet a frozen server: each is answered 503, and
    none is in the database after the thaw. A vote's statement sent into the frozen
    server runs when it thaws, after its reader was told it was not taken: it does
    nothing then, past its cut-off by the server's clock (``byline.postgres.cutoff``)."""
    postgres, app = stack
    article_id = _demo_article(postgres)
    voters = [
        Reader(base=app.base, ip=f"198.51.100.{80 + n}", timeout=CLIENT_SECONDS) for n in range(6)
    ]
    for voter in voters:
        assert voter.react(article_id, "happy").status == 200
    before = Counter(_reactions(postgres, article_id))
    time.sleep(3)  # a pause in the reading, shorter than a connection is trusted
    answers: list[Reply] = []
    threads = [
        threading.Thread(target=lambda v=v: answers.append(v.react(article_id, "sad")))
        for v in voters
    ]
    postgres.freeze()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        postgres.thaw()
    assert [answer.status for answer in answers] == [503] * 6
    probe = Reader(base=app.base, ip="198.51.100.99", timeout=CLIENT_SECONDS)
    assert until(lambda: probe.react(article_id, "angry").status == 200, 60)
    stored = Counter(_reactions(postgres, article_id))
    stored.subtract(before)
    assert +stored == Counter({"angry": 1})  # no "sad": not one was cast
    assert "Traceback" not in app.log(), app.log()[-3000:]


def test_a_vote_stuck_behind_a_lock_is_not_taken_for_a_frozen_server(stack):
    """A vote on a trusted connection that waits behind a lock for longer than the
    server is given to let a new connection in is cast once the lock goes: the
    server let one in, so it is slow, not frozen."""
    postgres, app = stack
    article_id = _demo_article(postgres)
    voter = Reader(base=app.base, ip="198.51.100.61", timeout=CLIENT_SECONDS)
    assert voter.rate(article_id, 2).status == 200
    answers: list[Reply] = []
    with psycopg.connect(postgres.url()) as holder:
        holder.execute("LOCK TABLE engagement_rating IN ACCESS EXCLUSIVE MODE")
        waiting = threading.Thread(target=lambda: answers.append(voter.rate(article_id, 5)))
        waiting.start()
        try:
            assert until(lambda: _waiting_for_a_lock(postgres) == 1, 12)
            time.sleep(3)  # past the statement's 1 s and the new connection's 1 s
        finally:
            holder.rollback()
    waiting.join()
    assert [answer.status for answer in answers] == [200]
    with psycopg.connect(postgres.url()) as connection:
        stars = connection.execute(
            "SELECT stars FROM engagement_rating WHERE article_id = %s", (article_id,)
        ).fetchall()
    assert stars == [(5,)]
    assert "Traceback" not in app.log(), app.log()[-3000:]


def test_a_vote_just_after_postgres_restarted_is_cast_on_a_new_connection(stack):
    """The caster's trusted connection died with the server it talked to (restarted
    within ``TRUSTED_FOR`` of the last vote, no health check): the vote that meets it is
    cast again on a new connection (``postgres.again_if_dropped``: a vote is safe to
    send twice) and answered 200, with no restart of the app; each vote counted once."""
    postgres, app = stack
    article_id = _demo_article(postgres)
    first, *others = [
        Reader(base=app.base, ip=f"198.51.100.{70 + n}", timeout=CLIENT_SECONDS) for n in range(4)
    ]
    assert first.react(article_id, "happy").status == 200
    before = Counter(_reactions(postgres, article_id))
    postgres.stop("immediate")
    postgres.start()  # about 0.3 s: within the 30 s the connection is trusted
    after = first.react(article_id, "sad")
    assert after.status == 200, after.text
    assert after.json()["mine"] == {"reaction": "sad"}
    assert [other.react(article_id, "angry").status for other in others] == [200, 200, 200]
    stored = Counter(_reactions(postgres, article_id))
    stored.subtract(before)
    assert +stored == Counter({"angry": 3, "sad": 1})  # and the first's "happy" is gone
    assert stored["happy"] == -1
    assert "Traceback" not in app.log(), app.log()[-3000:]
