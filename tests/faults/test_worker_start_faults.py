"""An app worker that starts while PostgreSQL is stopped or frozen (or Redis frozen)
serves pages at once, and takes the first comment once the database is back
(``byline.workerstart``: the spam model is loaded in the background as a worker starts).

``byline run --production`` (granian, one worker) runs against a PostgreSQL cluster and a
redis-server of the test's own. The test breaks one of them, kills the worker, and granian
starts a new one into the fault.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.faults.clients import Reader
from tests.faults.servers import AppServer, _children, app_on_own_postgres_and_redis, until
from tests.faults.test_database_faults import _article, _rows

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def stack():
    with app_on_own_postgres_and_redis(BYLINE_PRELOAD_SPAM_MODEL="on") as servers:
        yield servers


def workers(app: AppServer) -> set[int]:
    assert app.process is not None
    return set(_children(app.process.pid))


RESPAWNED = [float("-inf")]  # when granian last started a worker again


def start_a_new_worker(app: AppServer) -> None:
    """Kill the worker; granian starts another (``--respawn-failed-workers``) and says
    so once it has imported the application (connections are refused until then)."""
    # granian exits (all of it) when a worker dies within 5.5 s of being started again.
    time.sleep(max(0.0, RESPAWNED[0] + 6 - time.monotonic()))
    before = workers(app)
    started = app.log().count("Started worker-")
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.log().count("Started worker-") > started:
            RESPAWNED[0] = time.monotonic()
            return
        time.sleep(0.1)
    pytest.fail(f"granian started no new worker: {app.log()[-2000:]}")


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_a_worker_started_into_a_database_fault_serves_pages_and_then_comments(stack, fault):
    postgres, _, app = stack
    article_id, path = _article(postgres)
    reader = Reader(base=app.base)
    for page in ("/", path):
        assert reader.page(page).status == 200  # rendered, shared through Redis
    if fault == "stopped":
        postgres.stop()
    else:
        postgres.freeze()
    try:
        start_a_new_worker(app)
        for page in ("/", path, "/", path):
            assert reader.page(page).status == 200
    finally:
        postgres.start() if fault == "stopped" else postgres.thaw()
    words = f"The first comment after the database came back ({fault})."
    assert until(lambda: reader.comment(article_id, words).status == 302)
    assert _rows(postgres, "SELECT count(*) FROM discussion_comment WHERE body = %s", words) == 1
    assert "Traceback" not in app.log(), app.log()[-3000:]


def test_a_worker_started_while_redis_is_frozen_serves_pages_and_comments(stack):
    postgres, redis_server, app = stack
    article_id, path = _article(postgres)
    reader = Reader(base=app.base)
    redis_server.freeze()
    try:
        start_a_new_worker(app)
        for page in ("/", path, "/", path):
            assert reader.page(page).status == 200
        words = "A comment to a worker started while Redis was frozen."
        assert reader.comment(article_id, words).status == 302
    finally:
        redis_server.thaw()
    assert _rows(postgres, "SELECT count(*) FROM discussion_comment WHERE body = %s", words) == 1
    assert "Traceback" not in app.log(), app.log()[-3000:]
