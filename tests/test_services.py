"""The production services, when configured, are the ones the suite really uses."""

import os
import sqlite3
import subprocess
import sys

import pytest
from django.core.cache import cache, caches
from django.db import connection


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="PostgreSQL not configured: set DATABASE_URL=postgres://... to run this test",
)
@pytest.mark.django_db
def test_the_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        assert cursor.fetchone()[0]


def test_the_embedded_default_is_sqlite_in_wal_mode(tmp_path):
    """A fresh site's SQLite file uses write-ahead logging, so readers never block writers."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["BYLINE_DATA_DIR"] = str(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "byline", "migrate", "-v0"], env=env, check=True, timeout=120
    )
    with sqlite3.connect(tmp_path / "byline.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.redis
@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="Redis not configured: set REDIS_URL=redis://... to run this test",
)
def test_the_cache_is_redis_when_configured():
    from django.core.cache.backends.redis import RedisCache

    assert isinstance(caches["default"], RedisCache)
    cache.set("byline:test", {"a": 1}, 5)
    assert cache.get("byline:test") == {"a": 1}
