"""Django's cache on Redis (``byline/cache.py``)."""

import os

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="Redis not configured: set REDIS_URL=redis://..."
)


def test_every_cache_call_goes_through_one_client_on_the_shared_pool():
    """Django makes a new ``redis.Redis`` per call (each builds its reply parsers): ours is
    made once, on the pool every Redis user of the process shares, and still answers."""
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client
    cache.set("byline:test-cache", "kept", 5)
    assert cache.get("byline:test-cache") == "kept"
    assert cache._cache.get_client(write=True) is client
    cache.delete("byline:test-cache")
