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
