"""An app server's PostgreSQL connections are kept across requests, however long.

Each request thread keeps its connection (``conn_max_age=None`` in
``byline/settings.py``): a new backend costs the server a fork and a few ms of
CPU warming its caches, more than the requests it then serves. What Django
does around every request (``request_started``/``request_finished`` close a
connection that is too old, or that failed) runs here as it runs in the app
server; the clock is moved on an hour, as a long quiet night would. A
connection the server dropped (a restart) is still replaced at the next
request: the health check at its first query finds it gone.
"""

import time

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection, connections
from django.db.backends.base import base

from tests.conftest import postgres_only

pytestmark = [
    *postgres_only("counts PostgreSQL backends"),
    pytest.mark.django_db(transaction=True),
]


def a_request() -> int:
    """What one request does with the database around its work: the backend it used."""
    request_started.send(sender=None)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]
    finally:
        request_finished.send(sender=None)


def an_hour_later(monkeypatch) -> None:
    real = time.monotonic
    monkeypatch.setattr(base.time, "monotonic", lambda: real() + 3600)


def test_the_primary_and_each_replica_keep_their_connections():
    for alias, config in connections.settings.items():
        if config["ENGINE"] == "byline.postgres":
            assert config["CONN_MAX_AGE"] is None, alias
            assert config["CONN_HEALTH_CHECKS"] is True, alias


def test_a_thread_serves_its_requests_on_one_backend_however_long_it_runs(monkeypatch):
    first = a_request()
    assert a_request() == first
    an_hour_later(monkeypatch)
    assert a_request() == first


def test_a_connection_the_server_dropped_is_replaced_at_the_next_request():
    first = a_request()
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [first])
    second = a_request()
    assert second != first
    assert a_request() == second
