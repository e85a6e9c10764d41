"""Django's cache on Redis that degrades instead of failing.

``ResilientRedisCache`` is Django's ``RedisCache`` on the connection pool of
``byline.redisconn`` (short timeout, circuit breaker), and, like django-redis
with ``IGNORE_EXCEPTIONS``, a Redis error never reaches the caller: while
Redis fails (or its breaker is open) every call goes to a small cache in this
process's memory instead. So the navigation is still cached, a view is still
counted once per reader and worker, and a flush is still due once per
interval: per process rather than per site, until Redis is back.
"""

from __future__ import annotations

from typing import Any

import redis
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from byline import redisconn


class _SharedPoolClient(RedisCacheClient):
    """Django's client, with the pool of ``byline.redisconn`` for each server."""

    def _get_connection_pool(self, write: bool) -> Any:
        index = self._get_connection_pool_index(write)
        found = redisconn.set_up(self._servers[index])
        assert found is not None
        return found.pool

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        """A client on the pool, made once per pool (Django makes one per call, and a
        ``redis.Redis`` builds its table of reply parsers every time)."""
        pool = self._get_connection_pool(write)
        kept = self.__dict__.get("_kept_client")
        if kept is None or kept[0] is not pool:
            kept = self._kept_client = (pool, self._client(connection_pool=pool))
        return kept[1]


# The calls Redis refuses while it is out of memory (its "denyoom" commands); a read or
# a delete taken then does not mean Redis takes writes again.
WRITES = frozenset({"add", "set", "incr", "set_many"})


def _degrading(name: str) -> Any:
    writes = name in WRITES

    def method(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
        if redisconn.available(self._servers[0]):
            try:
                answer = getattr(RedisCache, name)(self, *args, **kwargs)
            except redis.RedisError as error:
                if not isinstance(error, redisconn.RedisUnavailable):
                    redisconn.refused(error, f"cache {name}", "using process memory")
            else:
                if writes:
                    redisconn.wrote()
                return answer
        return getattr(self.fallback, name)(*args, **kwargs)

    method.__name__ = name
    return method


class ResilientRedisCache(RedisCache):
    """``RedisCache`` whose errors (and an open breaker) fall back to process memory."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _SharedPoolClient
        self.fallback = LocMemCache(
            "byline-redis-fallback",
            {
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "TIMEOUT": params.get("TIMEOUT", 300),
                "OPTIONS": {"MAX_ENTRIES": 10_000},
            },
        )

    add = _degrading("add")
    get = _degrading("get")
    set = _degrading("set")
    touch = _degrading("touch")
    delete = _degrading("delete")
    get_many = _degrading("get_many")
    has_key = _degrading("has_key")
    incr = _degrading("incr")
    set_many = _degrading("set_many")
    delete_many = _degrading("delete_many")

    def validate_key(self, key: str) -> None:
        """Nothing to check: Redis takes any key. (Django's check warns of the keys
        memcached refuses, character by character: ~2 µs a key, and a discussion's draw
        asks for a hundred keys at once, ``discussion.shapes``.) The process-memory
        fallback checks its own."""

    def clear(self) -> bool:
        self.fallback.clear()
        return bool(_degrading("clear")(self))
