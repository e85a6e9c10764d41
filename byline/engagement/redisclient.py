"""One Redis connection pool per process for counters and rate limits (REDIS_URL)."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=1)
def _client_for(url: str):
    import redis

    return redis.Redis.from_url(url)


def redis_client():
    """The Redis client for counters, or None on the embedded tier (no REDIS_URL)."""
    url = settings.REDIS_URL
    return _client_for(url) if url else None
