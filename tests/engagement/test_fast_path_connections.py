"""The fast path's database connections: reused without a health check only while fresh.

A connection that answered a vote within ``TRUSTED_FOR`` seconds is used
without Django's ``SELECT 1`` health check: the request thread's own when
votes are cast one by one (``vote_layer.TRUSTED_FOR``), the vote caster's when
they are batched (``batches.TRUSTED_FOR``). These tests break the connection
under the app server (as a database restart would) and show what a reader
sees: within the window the vote that meets the broken connection is cast
again on a new one (``postgres.again_if_dropped``: a vote is safe to send
twice) and answered 200, counted once; after the window the health check
notices and the vote goes through. Both with and without batches.
"""

import json
import time

import pytest
from django.db import connection

from byline.engagement import batches, vote_layer
from byline.engagement.stats import figures_for
from byline.wsgi import application
from tests.conftest import postgres_only
from tests.engagement.factory import BROWSER
from tests.factory import make_article
from tests.pagecache.wsgi_client import call

pytestmark = [
    *postgres_only("breaks a server connection"),
    pytest.mark.django_db(transaction=True),
]


def vote(article_id: int, stars: int):
    return call(
        application,
        f"/api/articles/{article_id}/rating/",
        method="POST",
        headers={"Sec-Fetch-Site": "same-origin", "User-Agent": BROWSER},
        body=json.dumps({"stars": stars}).encode(),
        extra_environ={"CONTENT_TYPE": "application/json", "REMOTE_ADDR": "203.0.113.9"},
    )


def break_the_app_servers_connection() -> None:
    """End the server process behind the connection that cast the last vote, from outside it."""
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND (query LIKE '%%engagement_cast_votes%%' OR query LIKE '%%_figures(%%')"
        ).fetchall()
    assert ended == [(True,)]


@pytest.fixture(params=["batched", "one by one"])
def article(request, settings):
    settings.BYLINE_VOTE_BATCHES = request.param == "batched"
    return make_article()


def test_a_connection_broken_within_the_window_is_replaced_and_the_vote_cast_once(article):
    """The vote that meets the dropped connection is cast again on a new one (a vote
    states the reader's choice, so sending it twice changes nothing): 200, counted once."""
    assert vote(article.pk, 4).status == 200
    break_the_app_servers_connection()
    again = vote(article.pk, 5)
    assert again.status == 200, again.body
    assert json.loads(again.body)["mine"] == {"rating": 5}
    counts = figures_for(article.pk).rating_counts
    assert (counts[4], counts[5]) == (1, 1)  # two readers, each vote counted once
    assert vote(article.pk, 3).status == 200  # the new connection stays
    assert figures_for(article.pk).rating_count == 3


def test_after_the_window_the_health_check_replaces_a_broken_connection(article, monkeypatch):
    assert vote(article.pk, 4).status == 200
    break_the_app_servers_connection()
    monkeypatch.setattr(vote_layer, "TRUSTED_FOR", 0.0)
    monkeypatch.setattr(batches, "TRUSTED_FOR", 0.0)
    assert vote(article.pk, 3).status == 200
    assert figures_for(article.pk).rating_count == 2


def test_a_fast_vote_recycles_connections_as_a_request_does(article):
    """What ``request_started``/``request_finished`` do, the vote layer does as plain
    calls: a connection that outlived ``CONN_MAX_AGE`` is closed, the next opens anew."""
    connection.ensure_connection()
    old = connection.connection
    connection.close_at = time.monotonic() - 1  # as if CONN_MAX_AGE had passed
    assert vote(article.pk, 2).status == 200
    assert old.closed
    assert connection.connection is not old
    assert figures_for(article.pk).rating_count == 1
