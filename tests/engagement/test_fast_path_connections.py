"""The fast path's database connections: reused without a health check only while fresh.

A connection that answered a vote within ``TRUSTED_FOR`` seconds is used
without Django's ``SELECT 1`` health check: the request thread's own when
votes are cast one by one (``vote_layer.TRUSTED_FOR``), the vote caster's when
they are batched (``batches.TRUSTED_FOR``). These tests break the connection
under the app server (as a database restart would) and show what a reader
sees: within the window one vote fails as a JSON 503 (with Retry-After: the
database connection was lost, a retry is safe) and nothing is counted,
the next one works; after the window the health check notices and the vote
goes through. Both with and without batches.
"""

import json

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


def test_a_connection_broken_within_the_window_fails_one_vote_cleanly(article):
    assert vote(article.pk, 4).status == 200
    break_the_app_servers_connection()
    failed = vote(article.pk, 5)
    assert failed.status == 503 and int(failed.headers["retry-after"]) > 0
    assert "try again" in json.loads(failed.body)["error"]["message"]
    retried = vote(article.pk, 5)
    assert retried.status == 200
    counts = figures_for(article.pk).rating_counts
    assert counts[4] + counts[5] == 2  # two readers: the failed vote wrote nothing


def test_after_the_window_the_health_check_replaces_a_broken_connection(article, monkeypatch):
    assert vote(article.pk, 4).status == 200
    break_the_app_servers_connection()
    monkeypatch.setattr(vote_layer, "TRUSTED_FOR", 0.0)
    monkeypatch.setattr(batches, "TRUSTED_FOR", 0.0)
    assert vote(article.pk, 3).status == 200
    assert figures_for(article.pk).rating_count == 2
