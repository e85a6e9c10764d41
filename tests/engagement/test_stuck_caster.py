"""A vote behind a caster stuck in the database is answered in bounded time (PostgreSQL).

In a process that serves readers (``postgres.serve``) every wait for the server
is bounded by ``BYLINE_DATABASE_TIMEOUT`` (a lock by the server's
``statement_timeout``, a frozen server by the connection's own deadline:
``tests/faults/test_database_first_seconds.py``). So the caster's batch, and the
one-at-a-time lock it casts under (``batches._casting``), are held at most that
long: the vote it holds and the votes queued behind it are answered, a JSON 503
with ``Retry-After`` when their time ran out (nothing cast: they may be sent
again), never left waiting. Here the caster is really stuck: another connection
holds the votes' table locked.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection, connections

from byline import postgres
from byline.engagement import batches
from byline.engagement.stats import figures_for
from byline.wsgi import application
from tests.conftest import postgres_only
from tests.engagement.test_fast_path import Browser
from tests.factory import make_article

pytestmark = [
    *postgres_only("the caster casts on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

DEADLINE = 2


@pytest.fixture
def serving(monkeypatch, settings):
    """An app server's process, with a 2 s deadline, votes through the caster."""
    monkeypatch.setattr(postgres, "_serving", True)
    settings.BYLINE_DATABASE_TIMEOUT = DEADLINE
    settings.BYLINE_VOTE_BATCHES = True
    connection.close()  # the next one is opened with the deadline
    yield
    batches.stop()
    connection.close()


@pytest.mark.parametrize("alone", [False, True], ids=["through the caster", "cast alone"])
def test_votes_behind_a_batch_stuck_in_the_database_get_a_503_in_bounded_time(
    serving, monkeypatch, alone
):
    monkeypatch.setattr(batches, "CAST_WHEN_IDLE", alone)
    article = make_article()
    path = f"/api/articles/{article.pk}/rating/"
    readers = [Browser(application, f"203.0.113.{n}") for n in (1, 2, 3)]
    assert readers[0].send("POST", path, {"stars": 4}).status == 200
    answers: dict[int, tuple[float, object]] = {}

    def vote(n: int) -> None:
        began = time.monotonic()
        answer = readers[n].send("POST", path, {"stars": 5})
        answers[n] = (time.monotonic() - began, answer)

    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("LOCK TABLE engagement_rating IN ACCESS EXCLUSIVE MODE")
            threads = [threading.Thread(target=vote, args=(n,)) for n in (1, 2)]
            for thread in threads:  # the second behind the first, stuck
                thread.start()
                time.sleep(0.2)
            bound = batches.wait_seconds() * 2
            for thread in threads:
                thread.join(bound + 5)
            assert not any(thread.is_alive() for thread in threads), "a vote still waits"
            other.rollback()
    finally:
        other.close()
    for seconds, answer in answers.values():
        assert seconds < bound
        assert answer.status == 503, answer.body
        assert int(answer.headers["retry-after"]) > 0
        assert json.loads(answer.body)["error"]["code"] == "unavailable"
    assert figures_for(article.pk).rating_counts[5] == 0  # told "not taken": true
    again = readers[1].send("POST", path, {"stars": 5})
    assert again.status == 200, again.body
    assert figures_for(article.pk).rating_counts[5] == 1
