import pytest

from byline.antispam import store
from byline.antispam.backends import get_backend


@pytest.fixture(autouse=True)
def _fresh_filter():
    """Each test starts with no model loaded in this process and a fresh backend."""
    store.forget_loaded()
    get_backend.cache_clear()
    yield
    store.forget_loaded()
    get_backend.cache_clear()


@pytest.fixture
def local_filter(settings, db):
    settings.BYLINE_SPAM_BACKEND = "byline.antispam.backends.LocalFilterBackend"
    settings.BYLINE_SPAM_APPROVE_BELOW = 0.5
    settings.BYLINE_SPAM_SPAM_AT = 0.9
    settings.BYLINE_SPAM_FIRST_COMMENT = "publish"
    settings.BYLINE_SPAM_DISCARD_AT = 1.0
    return get_backend()
