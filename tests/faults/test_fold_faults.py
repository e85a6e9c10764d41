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
