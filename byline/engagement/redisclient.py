"""One Redis connection pool per process for counters and rate limits (REDIS_URL)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from redis import Redis


@lru_cache(maxsize=1)
def _client_for(url: str) -> Redis:
    import redis

    return redis.Redis.from_url(url)


def redis_client() -> Redis | None:
    """The Redis client for counters, or None on the embedded tier (no REDIS_URL)."""
    url = settings.REDIS_URL
    return _client_for(url) if url else None
