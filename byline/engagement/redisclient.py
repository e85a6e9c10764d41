"""The Redis client for counters and rate limits: the site's one pool (``byline.redisconn``).

Its timeout is short (``BYLINE_REDIS_TIMEOUT``) and a circuit breaker stops
calling a Redis that just failed; every caller here catches ``redis.RedisError``
and carries on in its degraded mode (see docs/deploy.md, "When a service fails").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from byline import redisconn

if TYPE_CHECKING:
    from redis import Redis


def redis_client() -> Redis | None:
    """The Redis client for counters, or None on the embedded tier (no REDIS_URL)."""
    return redisconn.redis_client()


def redis_available() -> bool:
    """Whether Redis is configured and not known to be down right now."""
    return redisconn.available()
