"""Who is a reader: a signed first-party cookie, a salted IP hash, and rate limits.

Plain functions other apps reuse (the discussion app for its own limits):

- ``reader_id(request)``: the reader's id from the signed cookie, or None.
  Reading never sets anything, so a plain GET stays cacheable.
- ``reader_from_cookie(value)``: the same from the cookie's value alone;
  ``new_reader_id()`` for a reader's first action.
- ``remember_reader(response, reader)``: set the cookie on the response to an
  action (a POST), never on a page.
- ``client_ip(request)`` and ``ip_hash(request)`` (``client_ip_of(environ)`` and
  ``hash_ip(ip)`` without a request): the address (socket, or the
  header named by ``BYLINE_CLIENT_IP_HEADER`` behind a proxy) and its salted
  hash. The salt is random, kept only in the cache and replaced every UTC
  day, so yesterday's hashes cannot be linked to today's and no raw IP is
  ever stored.
- ``over_limit(scope, identities, limit, per_seconds)``: count one hit for
  each identity in a fixed window and say whether any went past the limit
  (``over_limit_and`` also reads a Redis hash field in the same round trip);
  ``seconds_left_in_window(per_seconds)`` for the 429's ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from byline.engagement.redisclient import redis_client

COOKIE_SALT = "byline.engagement.reader"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
READER_ID_LENGTH = 32  # hex characters


def reader_id(request: HttpRequest) -> str | None:
    """The reader's id from the signed cookie, or None (absent, tampered with)."""
    return reader_from_cookie(request.COOKIES.get(settings.BYLINE_READER_COOKIE))


def _signer() -> signing.Signer:
    """Signs the cookie with SECRET_KEY (and checks it with SECRET_KEY_FALLBACKS too)."""
    return _signer_for(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


@lru_cache(maxsize=2)
def _signer_for(secret_key: str, fallbacks: tuple[str, ...]) -> signing.Signer:
    return signing.Signer(key=secret_key, fallback_keys=list(fallbacks), salt=COOKIE_SALT)


def cookie_value(reader: str) -> str:
    """The signed value of the reader cookie for this reader."""
    return _signer().sign(reader)


def reader_from_cookie(value: str | None) -> str | None:
    """The reader's id in a signed cookie's value, or None (absent, tampered with)."""
    if not value:
        return None
    try:
        reader = _signer().unsign(value)
    except signing.BadSignature:
        return None
    if len(reader) == READER_ID_LENGTH and all(c in "0123456789abcdef" for c in reader):
        return reader
    return None


def new_reader_id() -> str:
    return secrets.token_hex(READER_ID_LENGTH // 2)


def remember_reader(response: HttpResponse, reader: str) -> None:
    """Set the signed first-party cookie on the response to a reader's action."""
    response.set_cookie(
        settings.BYLINE_READER_COOKIE,
        cookie_value(reader),
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SECURE_COOKIES,
    )


def client_ip(request: HttpRequest) -> str:
    """The reader's IP address: the proxy's header when configured, else the socket's.

    With a header such as ``X-Forwarded-For`` the last address is taken, the
    one the trusted proxy itself appended.
    """
    return client_ip_of(request.META)


def client_ip_of(environ: Mapping[str, Any]) -> str:
    """``client_ip()`` from a WSGI environ (or a request's ``META``)."""
    header = settings.BYLINE_CLIENT_IP_HEADER
    if header:
        value = str(environ.get("HTTP_" + header.upper().replace("-", "_"), ""))
        candidates = [part.strip() for part in value.split(",") if part.strip()]
        if candidates:
            return candidates[-1]
    return str(environ.get("REMOTE_ADDR") or "unknown")


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


@lru_cache(maxsize=2)
def _salt_for(day: str) -> bytes:
    key = f"engagement:ip-salt:{day}"
    cache.add(key, secrets.token_hex(32), timeout=2 * 24 * 3600)
    salt = cache.get(key)
    if salt is None:  # the cache lost it between add and get; still never unsalted
        salt = secrets.token_hex(32)
        cache.set(key, salt, timeout=2 * 24 * 3600)
    return bytes.fromhex(salt)


def ip_hash(request: HttpRequest) -> str:
    """A salted hash of the reader's IP; the salt changes every UTC day."""
    return hash_ip(client_ip(request))


def hash_ip(ip: str) -> str:
    """The salted hash of an IP address (today's salt)."""
    digest = hmac.new(_salt_for(_today()), ip.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def over_limit(scope: str, identities: Iterable[str], limit: int, per_seconds: int = 60) -> bool:
    """Count one hit for each identity in the current window; True if any is past ``limit``.

    Fixed windows of ``per_seconds``; the counters live in Redis when
    REDIS_URL is set (one round trip, shared by every app server), else in
    the cache. Every identity is counted
    even when an earlier one is already over, so a reader cannot dodge the
    IP limit by changing cookies.
    """
    return over_limit_and(scope, identities, limit, per_seconds)[0]


# Counts one hit on each counter (KEYS[1..n], n = ARGV[2]), sets a new counter's
# expiry (ARGV[1] seconds), and reads one hash field (KEYS[n + 1], ARGV[3]) if asked:
# one command, so one round trip and one reply to parse whatever the number of keys.
def over_limit_and(
    scope: str,
    identities: Iterable[str],
    limit: int,
    per_seconds: int = 60,
    read: tuple[str, str] | None = None,
) -> tuple[bool, bytes | None]:
    """``over_limit()``, and with Redis a hash field ``read`` = (key, field) in the same call.

    The field's value is the second item (None without Redis, or when the
    field is absent), so a request that must both count a hit and read
    something from Redis waits for Redis once.
    """
    if redis_client() is not None:
        ((hits, value),) = hits_and_reads(scope, [(identities, read)], per_seconds)
        return hits > limit, value
    window = int(datetime.now(UTC).timestamp()) // per_seconds
    keys = [f"byline:ratelimit:{scope}:{identity}:{window}" for identity in identities]
    over = False
    for key in keys:
        cache.add(key, 0, timeout=per_seconds + 1)
        try:
            hits = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=per_seconds + 1)
            hits = 1
        over = over or hits > limit
    return over, None


# ``over_limit_and`` for many requests in one command: request i has n_i counters
# (ARGV[2 + 2i - 1]) followed by one hash key, and a field to read (ARGV[2 + 2i];
# empty: none). Returns, per request, its highest count and the field's value.
_COUNT_MANY = """
local m = tonumber(ARGV[2])
local k, result = 1, {}
for i = 1, m do
    local n, field = tonumber(ARGV[1 + 2 * i]), ARGV[2 + 2 * i]
    local most = 0
    for j = 1, n do
        local hits = redis.call('INCR', KEYS[k])
        if hits == 1 then redis.call('EXPIRE', KEYS[k], ARGV[1]) end
        if hits > most then most = hits end
        k = k + 1
    end
    result[2 * i - 1] = most
    result[2 * i] = false
    if field ~= '' then result[2 * i] = redis.call('HGET', KEYS[k], field) end
    k = k + 1
end
return result
"""


@lru_cache(maxsize=4)
def _count_many_script(client: Any) -> Any:
    return client.register_script(_COUNT_MANY)


def hits_and_reads(
    scope: str,
    requests: list[tuple[Iterable[str], tuple[str, str] | None]],
    per_seconds: int = 60,
) -> list[tuple[int, bytes | None]]:
    """``over_limit_and()`` for many requests (identities, read) in one Redis command.

    Needs Redis. Each request's hits are counted in order, as if it had been
    sent alone after the ones before it; it gets the highest count among its
    identities (over the limit when above it) and the field it asked to read.
    """
    client = redis_client()
    assert client is not None, "over_limits_and needs Redis"
    window = int(datetime.now(UTC).timestamp()) // per_seconds
    keys: list[str] = []
    args: list[int | str] = [per_seconds + 1, len(requests)]
    for identities, read in requests:
        counters = [f"byline:ratelimit:{scope}:{identity}:{window}" for identity in identities]
        keys += counters
        keys.append(read[0] if read is not None else counters[0])
        args += [len(counters), read[1] if read is not None else ""]
    replies = _count_many_script(client)(keys=keys, args=args)
    return [
        (int(replies[2 * i]), replies[2 * i + 1] if 2 * i + 1 < len(replies) else None)
        for i in range(len(requests))
    ]


def seconds_left_in_window(per_seconds: int = 60) -> int:
    """Seconds until the current rate-limit window ends (for a Retry-After header)."""
    return per_seconds - int(datetime.now(UTC).timestamp()) % per_seconds
