import pytest

from tests.factory import make_article


@pytest.fixture(autouse=True)
def _first_comments_wait(settings):
    """These tests follow comments through the moderation queue, so a first comment
    waits (BYLINE_SPAM_FIRST_COMMENT=hold); the default, which publishes what the
    spam check finds genuine, has its own test in test_posting.py."""
    settings.BYLINE_SPAM_FIRST_COMMENT = "hold"


@pytest.fixture
def article(db):
    return make_article("A story worth discussing")


@pytest.fixture
def dummy_spam(settings):
    """The test spam backend: approves everything and records what it is taught."""
    from byline.antispam.backends import get_backend

    settings.BYLINE_SPAM_BACKEND = "byline.antispam.backends.DummyBackend"
    get_backend.cache_clear()
    yield get_backend()
    get_backend.cache_clear()
