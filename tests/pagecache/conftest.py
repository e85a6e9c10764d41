import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from byline.pagecache import rules, store
from byline.pagecache.page_layer import PageCacheApp


class LazyDjango:
    """Django's WSGI handler, built on the first request so a test's settings apply."""

    def __init__(self) -> None:
        self.handler = None

    def __call__(self, environ, start_response):
        if self.handler is None:
            self.handler = WSGIHandler()
        return self.handler(environ, start_response)


@pytest.fixture
def page_cache(settings, tmp_path):
    """Byline's real WSGI stack (page cache in front of Django) with a fresh store.

    Like Django's test client, it keeps the test's database connection open
    across requests so each test stays inside its transaction.
    """
    settings.DATA_DIR = tmp_path
    settings.BYLINE_PAGE_CACHE_SYNC_SECONDS = 0
    store.reset_page_store()
    rules.rules.cache_clear()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield PageCacheApp(LazyDjango())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        store.reset_page_store()
        rules.rules.cache_clear()
