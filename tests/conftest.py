import os

import pytest
from hypothesis import settings as hypothesis_settings

from byline.articles.demo import load_demo
from tests.factory import make_editor

# Property-based tests (tests/test_hostile_requests.py): no example database in the
# working tree; "ci" replays the same examples every run (HYPOTHESIS_PROFILE=ci).
hypothesis_settings.register_profile("default", database=None)
hypothesis_settings.register_profile("ci", database=None, derandomize=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def using_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


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

    from byline.engagement import ratelimits

    cache.clear()
    ratelimits.reset()  # the in-process rate-limit counters too
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _e_mail_in_the_request(settings):
    """E-mails are sent in the request, so a test sees them in ``mailoutbox`` when the
    response is back (the background sending production uses has its own tests in
    tests/discussion/test_mail_delivery.py)."""
    settings.BYLINE_EMAIL_IN_BACKGROUND = False


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
