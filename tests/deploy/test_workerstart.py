"""A production worker loads the spam model as it starts, and starts whatever happens."""

from __future__ import annotations

import logging

import pytest

from byline import workerstart
from byline.antispam import store
from byline.antispam.backends import get_backend


@pytest.fixture
def backend(settings):
    def use(path: str) -> None:
        settings.BYLINE_SPAM_BACKEND = path
        get_backend.cache_clear()

    yield use
    get_backend.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_the_worker_start_loads_the_model_the_first_check_uses(backend):
    backend("byline.antispam.backends.LocalFilterBackend")
    store.forget_loaded()
    workerstart.start().join(60)
    assert store.loaded is not None
    version, model = store.current()
    assert store.loaded[3] is model  # the first check finds it loaded


@pytest.mark.django_db
def test_another_backend_never_loads_the_model(backend):
    backend("byline.antispam.backends.DummyBackend")
    store.forget_loaded()
    assert workerstart.warm_spam_model() is False
    assert store.loaded is None


def test_a_failure_is_logged_and_the_worker_goes_on(backend, caplog):
    """Here the database refuses every query (no database access is allowed outside
    a database test), as it would while it is down at start."""
    backend("byline.antispam.backends.LocalFilterBackend")
    store.forget_loaded()
    with caplog.at_level(logging.WARNING, logger="byline"):
        workerstart.warm_safely()  # raises nothing
    assert store.loaded is None
    said = [r.getMessage() for r in caplog.records]
    assert any("Could not warm the spam model" in m or "shipped model" in m for m in said)


@pytest.mark.parametrize(
    ("production", "preload", "started"),
    [(True, True, True), (True, False, False), (False, True, False)],
)
def test_only_a_production_worker_preloads_and_only_if_the_site_wants_it(
    settings, monkeypatch, production, preload, started
):
    """A test importing the application, or a site without comments
    (BYLINE_PRELOAD_SPAM_MODEL=false), keeps its workers small."""
    settings.PRODUCTION = production
    settings.BYLINE_PRELOAD_SPAM_MODEL = preload
    calls = []
    monkeypatch.setattr(workerstart, "start", lambda: calls.append("started"))
    workerstart.start_if_wanted()
    assert bool(calls) is started


@pytest.fixture
def fresh_page_store():
    from byline.pagecache.store import reset_page_store

    reset_page_store()
    yield
    reset_page_store()


def test_a_production_worker_writing_page_files_builds_its_page_store_as_it_starts(
    settings, tmp_path, fresh_page_store
):
    """Its polling (which keeps the code's claim on nginx's folder fresh) runs from the start,
    not from the worker's first page request; nothing else builds one early."""
    from byline.pagecache import store

    settings.PRODUCTION, settings.BYLINE_PAGE_FILES_DIR = False, str(tmp_path / "pages")
    assert workerstart.start_page_store_if_wanted() is False
    settings.PRODUCTION, settings.BYLINE_PAGE_FILES_DIR = True, ""
    assert workerstart.start_page_store_if_wanted() is False
    assert store._store is None
    settings.BYLINE_PAGE_FILES_DIR = str(tmp_path / "pages")
    assert workerstart.start_page_store_if_wanted() is True
    built = store._store
    assert built is not None and built.stop_polling is not None
    assert store.page_store() is built  # the one the first page request finds


def test_a_page_store_that_cannot_be_built_at_start_is_logged_and_the_worker_goes_on(
    settings, tmp_path, fresh_page_store, caplog
):
    settings.PRODUCTION, settings.BYLINE_PAGE_FILES_DIR = True, str(tmp_path / "pages")
    settings.REDIS_URL = "nonsense://"  # redis-py refuses it: whatever fails, it is logged
    with caplog.at_level(logging.WARNING, logger="byline.workerstart"):
        assert workerstart.start_page_store_if_wanted() is False
    assert "page store was not built early" in caplog.text
