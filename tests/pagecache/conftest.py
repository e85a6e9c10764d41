import pytest
from django.core.handlers.wsgi import WSGIHandler

from byline.pagecache import rules, store
from byline.pagecache.page_layer import PageCacheApp
from tests.conftest import kept_test_connection


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
    try:
        with kept_test_connection():
            yield PageCacheApp(LazyDjango())
    finally:
        store.reset_page_store()
        rules.rules.cache_clear()
