import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections
from hypothesis import settings as hypothesis_settings

from byline import db
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
    """Fast password hashing; each pytest-xdist worker gets its own Redis database and
    data folder.

    pytest-django already gives each worker its own test database (``test_<name>_gw0``);
    Redis keys and the page cache's generation file are shared by name, so a worker
    flushing or invalidating would change what another worker's test sees.
    """
    from django.conf import settings

    # Passwords are hashed with MD5 in the tests (Django's advice for test speed):
    # production's PBKDF2 costs about 0.25 s of CPU for each user a test makes or
    # signs in. What a hasher is chosen for production is not what these tests test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The suite's database patience from the start (tests/test_suite_connection.py): the
    # connection the tests share is opened before any test's fixtures run.
    settings.BYLINE_DATABASE_TIMEOUT = PATIENT_DATABASE_SECONDS
    index, count = worker_index()
    if count == 1 and not os.environ.get("BYLINE_TEST_REDIS_DBS"):
        return

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


def postgres_only(why: str) -> list[pytest.MarkDecorator]:
    """A module's ``pytestmark`` when it runs on PostgreSQL only (skipped elsewhere): ``why``."""
    reason = f"needs PostgreSQL (DATABASE_URL=postgres://...): {why}"
    return [pytest.mark.postgres, pytest.mark.skipif(not using_postgres(), reason=reason)]


def run_together(work, count: int) -> None:
    """Run ``work(n)`` in ``count`` threads released together, each closing its database
    connections; re-raise the first failure."""
    barrier = threading.Barrier(count)

    def one(n: int) -> None:
        try:
            barrier.wait(timeout=60)
            work(n)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        for future in [pool.submit(one, n) for n in range(count)]:
            future.result()


@contextmanager
def kept_test_connection():
    """Like Django's test client, keep the test's connection (and its transaction) open
    across requests sent straight to a WSGI application."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def keep_test_connection():
    """``kept_test_connection`` for the whole test."""
    with kept_test_connection():
        yield


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

    from byline import logthrottle, readers
    from byline.pagecache import store

    cache.clear()
    # With Redis the page store's process half read the Redis just emptied: its purge
    # log (a new one starts at a random number, often below the one read) and its
    # generation. Kept, they would see "Redis emptied" at their next read, mid-test, and
    # move the generation under the test's pages, shapes and navigation.
    store.reset_page_store()
    readers.reset_limits()  # the in-process rate-limit counters too
    logthrottle.forget_failures()  # and the failures a test before logged
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
def _production_hashers_for_other_processes(request):
    """A ``servers`` test's app servers are processes of their own, with production's
    password hashers: the users it makes for them to sign in are hashed the same way."""
    if request.node.get_closest_marker("servers"):
        from django.conf import global_settings

        settings = request.getfixturevalue("settings")
        settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _patient_redis(settings):
    """The suite tests behaviour, not timeouts: on a loaded CI machine Redis can stall
    longer than production's 0.5 s, which would open the breaker and move counters to
    memory mid-test. The fault tests (tests/faults) set short timeouts of their own."""
    settings.BYLINE_REDIS_TIMEOUT = 5.0
    # Likewise the database's deadline, in the tests that import byline.wsgi (which
    # turns it on in this process); tests/faults/test_database_deadline.py tests it.
    settings.BYLINE_DATABASE_TIMEOUT = PATIENT_DATABASE_SECONDS


# How long a statement of the suite may run once byline.wsgi is imported (production's
# BYLINE_DATABASE_TIMEOUT is 5 s; a loaded CI machine can take longer).
PATIENT_DATABASE_SECONDS = 60.0


# The suites that start servers of their own (granian, nginx, redis-server, a PostgreSQL
# cluster made by initdb) and wait on them for minutes in all: marked ``servers``, run by
# `make test-servers` (and CI), not by `make test`. Whole modules, named here once.
SERVER_SUITES = (
    "tests/deploy/test_readers.py",
    "tests/deploy/test_slow_clients.py",
    "tests/deploy/test_votelog.py",
    "tests/faults/test_database_deadline.py",
    "tests/faults/test_database_faults.py",
    "tests/faults/test_database_first_seconds.py",
    "tests/faults/test_download_faults.py",
    "tests/faults/test_fold_faults.py",
    "tests/faults/test_frozen_page_files.py",
    "tests/faults/test_purge_across_servers.py",
    "tests/faults/test_purge_faults.py",
    "tests/faults/test_redis_faults.py",
    "tests/faults/test_splice_faults.py",
    "tests/faults/test_sqlite_load.py",
    "tests/faults/test_sqlite_lock.py",
    "tests/faults/test_worker_start_faults.py",
    "tests/pagecache/test_deploy_version.py",
    "tests/pagecache/test_scale_out.py",
)


def pytest_itemcollected(item):
    if item.nodeid.split("::", 1)[0] in SERVER_SUITES:
        item.add_marker(pytest.mark.servers)


# The longest tests (tens of seconds each), started first: pytest-xdist's workers then
# share out everything else around them instead of one worker running a long test alone
# at the end. A name that no longer matches is harmless; `--durations=30` shows the list.
LONGEST_FIRST = (
    "tests/discussion/test_hostile_input.py::test_hostile_strings_never_break_the_site_or_run",
    "tests/test_hostile_requests.py::test_every_pattern_takes_every_sharp_value",
    "tests/test_hostile_requests.py::test_no_hostile_request_gets_a_5xx",
    "tests/antispam/test_command.py::test_retrain_says_what_it_stored",
    "tests/media/test_pages_and_demo.py::test_the_pages_with_pictures_embeds_and_menus_are_valid",
    "tests/antispam/test_classifier.py::test_the_shipped_model_is_what_build_seed_makes",
    "tests/test_html_valid.py::test_pages_pass_the_nu_html_checker",
    "tests/antispam/test_command.py::test_migrate_retrains_a_stored_model",
    "tests/antispam/test_robust.py::test_a_corrupt_stored_model_falls_back",
    "tests/antispam/test_learning.py::test_retrain_rebuilds_from_the_corpus",
    "tests/wordpress/test_import.py::test_the_byline_command_accepts_the_hyphenated_name",
    "tests/antispam/test_memory.py::test_serving_pages_does_not_load_the_model",
    "tests/test_chrome.py::test_the_demo_server_shows_readers_its_own_404",
)


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        return next(
            (n for n, name in enumerate(LONGEST_FIRST) if item.nodeid.startswith(name)),
            len(LONGEST_FIRST),
        )

    items.sort(key=rank)  # stable: every other test keeps its place


@pytest.fixture
def lagging_replica(monkeypatch):
    """Reads go to a replica ("replica_1") unless the primary is asked for; it is not set
    up here, so a read sent there fails, as one that lags would answer from before."""
    monkeypatch.setattr(db, "replica_aliases", lambda: ["replica_1"])
    db.unpin()  # what request_started does
    yield
    db.unpin()
