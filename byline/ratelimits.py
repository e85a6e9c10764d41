"""Rate limits: the ``limits`` library's sliding-window counter, in Redis or in memory.

The algorithm is ``limits``' sliding window counter (``SlidingWindowCounterRateLimiter``):
the count is the current window's hits plus the previous window's, weighted
by how much of it is still inside the last ``per_seconds``, so there is no
burst of twice the limit across a window boundary as with fixed windows. A
hit over the limit is refused and not counted.

- **With Redis** the counters live there (``limits``' ``RedisStorage`` on the
  site's one pool, so the short timeout and the breaker of ``byline.redisconn``
  apply), shared by every app server. A batch of requests (the vote caster's)
  is counted in one round trip: ``limits``' own acquire script for each
  counter and the reads, sent down one pipeline.
- **Without Redis**, or while it fails (stopped, frozen, out of memory), the
  counters live in this process (``limits``' ``MemoryStorage``): limits keep
  holding, per worker instead of per site, until Redis is back.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

import redis
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from byline import redisconn

logger = logging.getLogger(__name__)

KEY_PREFIX = "byline:ratelimit"
Request = tuple[list[str], tuple[str, str] | None]  # (identities, hash field to read)

_lock = threading.Lock()
_memory: SlidingWindowCounterRateLimiter | None = None


@lru_cache(maxsize=32)
def item(limit: int, per_seconds: int) -> RateLimitItem:
    """``limit`` hits per ``per_seconds``."""
    return RateLimitItemPerSecond(limit, per_seconds, namespace="byline")


def memory_limiter() -> SlidingWindowCounterRateLimiter:
    """This process's limiter (embedded tier, and while Redis fails)."""
    global _memory
    if _memory is None:
        with _lock:
            if _memory is None:
                _memory = SlidingWindowCounterRateLimiter(MemoryStorage())
    return _memory


@lru_cache(maxsize=4)
def _redis_storage(set_up: redisconn.Redis_) -> RedisStorage:
    return RedisStorage(set_up.url, connection_pool=set_up.pool, key_prefix=KEY_PREFIX)


def reset() -> None:
    """Forget the in-process counters (tests)."""
    global _memory
    with _lock:
        _memory = None
    _redis_storage.cache_clear()


def hit_many(
    scope: str, requests: list[Request], limit: int, per_seconds: int
) -> list[tuple[bool, bytes | None]]:
    """Count one hit on each identity of each request, in order; per request, whether
    any identity was over ``limit`` and the hash field it asked to read."""
    rule = item(limit, per_seconds)
    found = redisconn.set_up()
    if found is not None and not found.breaker.is_open:
        try:
            return _hit_many_in_redis(_redis_storage(found), scope, requests, rule)
        except redis.RedisError as error:
            if not isinstance(error, redisconn.RedisUnavailable):
                logger.warning("rate limits: Redis failed (%s); counting in this process", error)
    return _hit_many_in_memory(scope, requests, rule)


def _hit_many_in_redis(
    storage: RedisStorage, scope: str, requests: list[Request], rule: RateLimitItem
) -> list[tuple[bool, bytes | None]]:
    script = storage.lua_acquire_sliding_window
    client: Any = storage.get_connection()
    for attempt in range(2):
        pipe = client.pipeline(transaction=False)
        for identities, read in requests:
            for identity in identities:
                key = rule.key_for(scope, identity)
                pipe.evalsha(
                    script.sha,
                    2,
                    storage.prefixed_key(storage._previous_window_key(key)),
                    storage.prefixed_key(storage._current_window_key(key)),
                    rule.amount,
                    rule.get_expiry(),
                    1,
                )
            if read is not None:
                pipe.hget(*read)
        replies: list[Any] = pipe.execute(raise_on_error=False)
        if attempt == 0 and any(isinstance(r, redis.exceptions.NoScriptError) for r in replies):
            client.script_load(script.script)  # a new or flushed Redis
            continue
        break
    answers = iter(replies)
    result: list[tuple[bool, bytes | None]] = []
    refused: list[Exception] = []
    for identities, read in requests:
        over = False
        for _ in identities:
            reply = next(answers)
            if isinstance(reply, Exception):
                refused.append(reply)
            over = not reply or over
        value = next(answers) if read is not None else None
        if isinstance(value, Exception):
            raise value
        result.append((over, value))
    if refused:  # Redis answers but will not count (out of memory): count here, keep the reads
        logger.warning(
            "rate limits: Redis refused to count (%s); counting in this process", refused[0]
        )
        counted = _hit_many_in_memory(scope, requests, rule)
        return [(over, value) for (over, _), (_, value) in zip(counted, result, strict=True)]
    return result


def _hit_many_in_memory(
    scope: str, requests: list[Request], rule: RateLimitItem
) -> list[tuple[bool, bytes | None]]:
    limiter = memory_limiter()
    return [
        (not all([limiter.hit(rule, scope, identity) for identity in identities]), None)
        for identities, _ in requests
    ]


def remaining(scope: str, identity: str, limit: int, per_seconds: int = 60) -> int:
    """How many more hits ``identity`` may make now (where the counting happens now)."""
    rule = item(limit, per_seconds)
    found = redisconn.set_up()
    if found is not None and not found.breaker.is_open:
        try:
            limiter = SlidingWindowCounterRateLimiter(_redis_storage(found))
            return limiter.get_window_stats(rule, scope, identity).remaining
        except redis.RedisError:
            pass
    return memory_limiter().get_window_stats(rule, scope, identity).remaining
