"""One Redis connection pool per process for counters and rate limits (REDIS_URL)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from redis import Redis


# A Redis that stops answering fails a vote or a view after this long instead of
# holding its thread (and, for votes on PostgreSQL, its process's whole batch).
TIMEOUT_SECONDS = 5.0


@lru_cache(maxsize=1)
def _client_for(url: str) -> Redis:
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
    )


def redis_client() -> Redis | None:
    """The Redis client for counters, or None on the embedded tier (no REDIS_URL)."""
    url = settings.REDIS_URL
    return _client_for(url) if url else None
