"""The view log's folder keeps folding through PostgreSQL and Redis faults, exactly.

``byline flush_views --every 1`` (deploy/byline-views.service) folds a view log
that the test writes as nginx would, against a PostgreSQL cluster and a
redis-server of the test's own. With either service stopped, frozen (SIGSTOP)
or PostgreSQL restarted, the folder waits and logs; once the service is back,
the same process (never restarted) counts every new reader's view exactly once
and none of the readers seen before (tests/faults/viewfold.py).
"""

from __future__ import annotations

import time

import pytest

from tests.faults.servers import own_postgres_and_redis
from tests.faults.viewfold import FoldStack, fold_through

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def stack():
    with own_postgres_and_redis() as (postgres, redis_server):
        fold = FoldStack(postgres, redis_server).start()
        try:
            yield fold
        finally:
            fold.close()


def _exact(stack: FoldStack, result) -> None:
    assert result.problems == [], stack.log()[-3000:]
    assert result.stored == result.stored_later == result.sent
    assert result.folder_alive


def test_with_postgres_stopped_the_fold_waits_and_then_counts_every_view_once(stack):
    result = fold_through(stack, stack.postgres.stop, stack.postgres.start)
    _exact(stack, result)
    assert result.warnings > 0, stack.log()  # it said why it waits


def test_with_postgres_frozen_the_fold_waits_and_then_counts_every_view_once(stack):
    result = fold_through(stack, stack.postgres.freeze, stack.postgres.thaw)
    _exact(stack, result)


def test_with_postgres_restarted_the_fold_reconnects_by_itself(stack):
    def restart() -> None:
        stack.postgres.stop()
        stack.postgres.start()

    result = fold_through(stack, restart, lambda: None)
    _exact(stack, result)


def test_with_redis_stopped_the_fold_waits_and_then_counts_every_view_once(stack):
    result = fold_through(stack, stack.redis.stop, stack.redis.start, repeats=False)  # empty
    _exact(stack, result)
    assert result.warnings > 0


def test_with_redis_frozen_the_fold_waits_and_then_counts_every_view_once(stack):
    result = fold_through(stack, stack.redis.freeze, stack.redis.thaw)
    _exact(stack, result)


def test_with_postgres_stopped_the_folder_logs_a_line_a_while_not_one_a_second(stack):
    """PostgreSQL stopped for 12 s under ``flush_views --every 1``: one line when the
    flushes start failing, a reminder 10 s later (not a line a flush, no traceback),
    one line when the database can be written again; the views waited and counted."""
    before = len(stack.log().splitlines())
    started = time.monotonic()
    result = fold_through(stack, stack.postgres.stop, stack.postgres.start, broken_seconds=12)
    down = time.monotonic() - started
    _exact(stack, result)
    lines = stack.log().splitlines()[before:]
    back = [line for line in lines if line.startswith("The database can be written again")]
    waiting = [line for line in lines if line not in back]  # (none of them "flush failed")
    assert 2 <= len(waiting) <= 1 + down / 10, "\n".join(lines)
    assert all(line.startswith("views wait for the database (") for line in waiting), lines
    assert len(back) == 1, "\n".join(lines)
    assert not [line for line in lines if "Traceback" in line], "\n".join(lines)


def _ratings(stack: FoldStack) -> dict[str, int | None]:
    import psycopg

    try:
        with psycopg.connect(stack.postgres.url(stack.database), connect_timeout=10) as db:
            rows = db.execute(
                "SELECT reader, stars FROM engagement_rating WHERE article_id = %s",
                [stack.article_id],
            ).fetchall()
    except psycopg.OperationalError:  # still coming back
        return {}
    return dict(rows)


def _write_votes(stack: FoldStack, votes: list[tuple[str, int]]) -> None:
    """Rating lines as nginx's vote log has them, each reader from their own address."""
    from byline.engagement.votelog import SLOT_SECONDS

    now = time.time()
    with (stack.views / f"votes-{int(now) // SLOT_SECONDS}.log").open("a") as file:
        for reader, stars in votes:
            address = f"10.9.{int(reader[:2], 16)}.{int(reader[2:4], 16)}"
            file.write(f"{now:.3f}\t{stack.article_id}\trating\t={stars}\t{address}\tM\t{reader}\n")


def test_with_postgres_stopped_votes_wait_in_the_vote_log_and_are_cast_once(stack):
    """Votes nginx answered while PostgreSQL is stopped stay in the vote log (no 503 was
    possible: nginx answered 202); once it is back the same folder casts each of them,
    a reader's later vote winning, and none twice."""
    import secrets

    readers = [secrets.token_hex(16) for _ in range(12)]
    _write_votes(stack, [(reader, 4) for reader in readers[:6]])
    for _ in range(300):
        if len(_ratings(stack)) >= 6:
            break
        time.sleep(0.2)
    stack.postgres.stop()
    try:
        _write_votes(stack, [(reader, 2) for reader in readers])
        time.sleep(3)
    finally:
        stack.postgres.start()
    for _ in range(450):
        if _ratings(stack).get(readers[0]) == 2 and len(_ratings(stack)) >= 12:
            break
        time.sleep(0.2)
    time.sleep(2.5)  # two more folds: nothing cast twice
    ratings = _ratings(stack)
    assert {reader: ratings.get(reader) for reader in readers} == dict.fromkeys(readers, 2)
    import psycopg

    with psycopg.connect(stack.postgres.url(stack.database), connect_timeout=10) as db:
        (tallied,) = db.execute(
            "SELECT coalesce(sum(count), 0) FROM engagement_startally WHERE article_id = %s",
            [stack.article_id],
        ).fetchone()
    assert tallied == sum(stars is not None for stars in ratings.values()), stack.log()[-3000:]
    assert stack.folder is not None and stack.folder.poll() is None
