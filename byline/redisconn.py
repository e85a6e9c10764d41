"""The one way Byline talks to Redis: a short timeout and a circuit breaker.

Every user of Redis — the page cache, Django's cache (``byline.cache``), the
view buffer, rate limits and the vote caster — gets its connections from the
pool built here, so one rule holds for all of them:

- **Short timeouts, no retries.** Connecting and each answer wait at most
  ``BYLINE_REDIS_TIMEOUT`` (0.5 s); redis-py's own retries are off, so a
  request never waits on Redis for longer than one timeout.
- **A circuit breaker.** The first connection error or timeout opens it:
  for the next ``BYLINE_REDIS_RETRY_SECONDS`` every command fails at once
  with ``RedisUnavailable`` (no socket is touched), and a background thread
  pings Redis once per interval. The first good answer closes the breaker;
  nothing needs a restart. A Redis that answers with an error (out of memory
  under ``maxmemory``, a missing script) is alive: that does not open it.

Callers catch ``redis.RedisError`` (``RedisUnavailable`` is one) and carry on
in their degraded mode, documented beside each (docs/deploy.md has the table).
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from byline.logthrottle import ThrottledLog, reason_of

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger("byline.redis")


class RedisUnavailable(redis.ConnectionError):
    """Redis failed a moment ago: the breaker is open and nothing was sent."""


class Breaker:
    """Open after a failure; a background probe closes it when Redis answers again."""

    def __init__(self, retry_seconds: float, probe: Any = None) -> None:
        self.retry_seconds = retry_seconds
        self.probe = probe  # a callable that raises while Redis is still down
        self._open = False
        self._lock = threading.Lock()
        self._prober: threading.Thread | None = None

    @property
    def is_open(self) -> bool:
        return self._open

    def failed(self, error: BaseException) -> None:
        with self._lock:
            if not self._open:
                logger.warning(
                    "Redis failed (%s): working without it, probing every %.1f s",
                    error,
                    self.retry_seconds,
                )
            self._open = True
            if self.probe is not None and (self._prober is None or not self._prober.is_alive()):
                self._prober = threading.Thread(
                    target=self._probe_until_back, name="byline-redis-probe", daemon=True
                )
                self._prober.start()

    def succeeded(self) -> None:
        if self._open:
            with self._lock:
                if self._open:
                    logger.warning("Redis answers again: using it")
                self._open = False

    def _probe_until_back(self) -> None:
        while self._open:
            time.sleep(self.retry_seconds)
            try:
                self.probe()
            except Exception:  # noqa: S112  (still down: try again next interval)
                continue
            self.succeeded()


_TRANSPORT_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError)


class _Guarded:
    """Mixin for a redis-py connection class: consult and feed the breaker."""

    breaker: Breaker  # set on the class made for each pool

    def connect(self) -> None:
        if self.breaker.is_open:
            raise RedisUnavailable("Redis is unavailable (circuit open)")
        try:
            super().connect()  # type: ignore[misc]
        except _TRANSPORT_ERRORS as error:
            self.breaker.failed(error)
            raise

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if self.breaker.is_open:
            self.disconnect()  # type: ignore[attr-defined]
            raise RedisUnavailable("Redis is unavailable (circuit open)")
        try:
            super().send_packed_command(command, check_health)  # type: ignore[misc]
        except _TRANSPORT_ERRORS as error:
            self.breaker.failed(error)
            raise

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            response = super().read_response(*args, **kwargs)  # type: ignore[misc]
        except redis.ResponseError:
            self.breaker.succeeded()  # it answered: alive, if unhappy
            raise
        except _TRANSPORT_ERRORS as error:
            self.breaker.failed(error)
            raise
        self.breaker.succeeded()
        return response


def _guarded_class(base: type, breaker: Breaker) -> type:
    return type(f"Guarded{base.__name__}", (_Guarded, base), {"breaker": breaker})


class Redis_:
    """The process's Redis set-up for one URL: the pool, a client, the breaker."""

    def __init__(self, url: str, timeout: float, retry_seconds: float) -> None:
        self.url = url
        self.timeout = timeout
        self.breaker = Breaker(retry_seconds, probe=self._ping)
        kwargs = redis.connection.parse_url(url)
        base = kwargs.pop("connection_class", redis.Connection)
        self.connection_class = _guarded_class(base, self.breaker)
        self.options: dict[str, Any] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 0),
            "health_check_interval": 0,
        }
        self.pool = redis.ConnectionPool.from_url(
            url, connection_class=self.connection_class, **self.options
        )
        self.client: Redis = redis.Redis(connection_pool=self.pool)

    def _ping(self) -> None:
        probe = redis.Redis.from_url(
            self.url,
            socket_timeout=self.timeout,
            socket_connect_timeout=self.timeout,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            probe.ping()
        finally:
            probe.close()


_lock = threading.Lock()
_set_ups: dict[tuple[str, float, float], Redis_] = {}


def set_up(url: str | None = None) -> Redis_ | None:
    """The Redis set-up for ``url`` (default: ``REDIS_URL``), or None without Redis."""
    from django.conf import settings

    url = settings.REDIS_URL if url is None else url
    if not url:
        return None
    key = (url, settings.BYLINE_REDIS_TIMEOUT, settings.BYLINE_REDIS_RETRY_SECONDS)
    found = _set_ups.get(key)
    if found is None:
        with _lock:
            found = _set_ups.get(key)
            if found is None:
                found = _set_ups[key] = Redis_(url, key[1], key[2])
    return found


def redis_client(url: str | None = None) -> Redis | None:
    """The shared Redis client (short timeout, breaker), or None on the embedded tier."""
    found = set_up(url)
    return found.client if found is not None else None


@lru_cache(maxsize=16)
def script(client: Redis, source: str) -> Any:
    """A Lua script sent by its SHA (redis-py loads it again after a Redis restart)."""
    return client.register_script(source)


def round_trip(client: Redis, commands: list[tuple[Any, ...]]) -> list[Any]:
    """Send ``commands`` in one round trip on one of ``client``'s pooled connections; their
    replies in order, an error reply (``redis.ResponseError``) in its place.

    What ``client.pipeline(transaction=False).execute(raise_on_error=False)`` returns,
    for commands whose replies need no conversion (scripts' replies, ``HGET``), without
    building a pipeline (its object, its command stack, its callbacks and events: about
    half of a lone vote's rate-limit call, 0.1-0.2 ms of CPU). A connection error
    disconnects the connection and is raised (the breaker saw it: ``_Guarded``).
    """
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        connection.send_packed_command(connection.pack_commands(commands))
        replies: list[Any] = []
        for _ in commands:
            try:
                replies.append(connection.read_response())
            except redis.ResponseError as error:  # read in full: the next reply follows
                replies.append(error)
    except BaseException:
        connection.disconnect()
        raise
    finally:
        pool.release(connection)
    return replies


# Redis that answers but refuses writes (out of memory under ``maxmemory`` with
# ``noeviction``) is alive, so the breaker stays closed and every request meets the
# refusal: its callers carry on without it (rate limits count in this process, the cache
# keeps the value in process memory) and say so here, one line per
# ``LOG_EVERY_SECONDS`` per process counting the refusals, and one line when a write
# is taken again (``byline.logthrottle``), not a line a request.
refusals = ThrottledLog(logger, "refused commands", again="takes commands again")
REDIS = "Redis"


def refused(error: BaseException, what: str, instead: str) -> None:
    """Redis answered ``what`` (a write: "rate limits", "cache set") with ``error``;
    the caller does ``instead``."""
    reason = f"{what}: {reason_of(error)}"
    refusals.failure(REDIS, reason, "Redis refused a command (%s); %s", reason, instead)


def wrote() -> None:
    """A write was taken: if Redis refused writes until now, one line says it is over."""
    if refusals.down:  # nearly always empty: no call, no lock
        refusals.answered(REDIS)


def available(url: str | None = None) -> bool:
    """Whether Redis is configured and its breaker closed (worth asking right now)."""
    found = set_up(url)
    return found is not None and not found.breaker.is_open


def reset() -> None:
    """Forget every pool and breaker (tests, or after the settings changed)."""
    with _lock:
        for found in _set_ups.values():
            found.breaker._open = False  # stops its prober
            found.pool.disconnect()
        _set_ups.clear()
    script.cache_clear()
