import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from byline.articles.demo import load_demo
from tests.factory import make_editor

# Property-based tests (tests/test_hostile_requests.py): no example database in the
# working tree; "ci" replays the same examples every run (HYPOTHESIS_PROFILE=ci).
hypothesis_settings.register_profile("default", database=None)
hypothesis_settings.register_profile("ci", database=None, derandomize=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def worker_index() -> tuple[int, int]:
    """This pytest-xdist worker's number and the number of workers: (0, 1) without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return 0, 1
    return int(worker[2:]), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))


def worker_redis_url(url: str) -> str:
    """``url`` with this worker's Redis database: each worker flushes and counts in its own.

    ``BYLINE_TEST_REDIS_DBS`` (comma-separated database numbers) lists the ones a machine
    may use, in worker order; by default worker N takes the URL's database + N.
    """
    index, _ = worker_index()
    if not url or index == 0 and not os.environ.get("BYLINE_TEST_REDIS_DBS"):
        return url
    base, _, db = url.rpartition("/")
    if not db.isdigit():
        base, db = url.rstrip("/"), "0"
    given = [part for part in os.environ.get("BYLINE_TEST_REDIS_DBS", "").split(",") if part]
    if given:
        if index >= len(given):
            raise pytest.UsageError(
                f"BYLINE_TEST_REDIS_DBS names {len(given)} databases for more workers"
            )
        return f"{base}/{int(given[index])}"
    return f"{base}/{int(db) + index}"


def pytest_configure(config):
    """Each pytest-xdist worker gets its own Redis database and data folder.

    pytest-django already gives each worker its own test database (``test_<name>_gw0``);
    Redis keys and the page cache's generation file are shared by name, so a worker
    flushing or invalidating would change what another worker's test sees.
    """
    index, count = worker_index()
    if count == 1 and not os.environ.get("BYLINE_TEST_REDIS_DBS"):
        return
    from django.conf import settings

    url = worker_redis_url(settings.REDIS_URL)
    if url != settings.REDIS_URL:
        settings.REDIS_URL = url
        os.environ["REDIS_URL"] = url  # servers the tests start inherit it
        caches = settings.CACHES
        if caches["default"].get("LOCATION", "").startswith(("redis://", "rediss://")):
            caches["default"]["LOCATION"] = url
    if count > 1:
        settings.DATA_DIR = Path(settings.DATA_DIR) / f"test-worker-{index}"
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)


def using_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.fixture
def keep_test_connection():
    """Like Django's test client, keep the test's connection (and its transaction) open
    across requests sent straight to a WSGI application."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def demo_article(db):
    article, _ = load_demo()
    return article


@pytest.fixture
def editor(db):
    return make_editor()


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache, whichever backend is configured."""
    from django.core.cache import cache

    from byline import readers

    cache.clear()
    readers.reset_limits()  # the in-process rate-limit counters too
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_vote_caster_left():
    """Each test's batched votes are cast by a caster that stops with it.

    The caster thread keeps its own database connection; stopping it closes
    that connection before the test database is flushed or dropped.
    """
    yield
    from byline.engagement import batches

    batches.stop()


@pytest.fixture(autouse=True)
def _patient_redis(settings):
    """The suite tests behaviour, not timeouts: on a loaded CI machine Redis can stall
    longer than production's 0.5 s, which would open the breaker and move counters to
    memory mid-test. The fault tests (tests/faults) set short timeouts of their own."""
    settings.BYLINE_REDIS_TIMEOUT = 5.0
