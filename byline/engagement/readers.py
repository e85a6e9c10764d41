"""Who is a reader: a signed first-party cookie, a salted IP hash, and rate limits.

Plain functions other apps reuse (the discussion app for its own limits):

- ``reader_id(request)``: the reader's id from the signed cookie, or None.
  Reading never sets anything, so a plain GET stays cacheable.
- ``reader_id_or_new(request)``: the id, or a fresh one for a first action.
- ``remember_reader(response, reader)``: set the cookie on the response to an
  action (a POST), never on a page.
- ``client_ip(request)`` and ``ip_hash(request)``: the address (socket, or the
  header named by ``BYLINE_CLIENT_IP_HEADER`` behind a proxy) and its salted
  hash. The salt is random, kept only in the cache and replaced every UTC
  day, so yesterday's hashes cannot be linked to today's and no raw IP is
  ever stored.
- ``over_limit(scope, identities, limit, per_seconds)``: count one hit for
  each identity in a fixed window and say whether any went past the limit;
  ``seconds_left_in_window(per_seconds)`` for the 429's ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from byline.engagement.redisclient import redis_client

COOKIE_SALT = "byline.engagement.reader"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
READER_ID_LENGTH = 32  # hex characters


def reader_id(request: HttpRequest) -> str | None:
    """The reader's id from the signed cookie, or None (absent, tampered with)."""
    value = request.get_signed_cookie(settings.BYLINE_READER_COOKIE, default=None, salt=COOKIE_SALT)
    if value and len(value) == READER_ID_LENGTH and all(c in "0123456789abcdef" for c in value):
        return value
    return None


def new_reader_id() -> str:
    return secrets.token_hex(READER_ID_LENGTH // 2)


def reader_id_or_new(request: HttpRequest) -> tuple[str, bool]:
    """The reader's id and whether it is new (then ``remember_reader`` must be called)."""
    existing = reader_id(request)
    return (existing, False) if existing else (new_reader_id(), True)


def remember_reader(response: HttpResponse, reader: str) -> None:
    """Set the signed first-party cookie on the response to a reader's action."""
    response.set_signed_cookie(
        settings.BYLINE_READER_COOKIE,
        reader,
        salt=COOKIE_SALT,
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
    header = settings.BYLINE_CLIENT_IP_HEADER
    if header:
        value = request.headers.get(header, "")
        candidates = [part.strip() for part in value.split(",") if part.strip()]
        if candidates:
            return candidates[-1]
    return request.META.get("REMOTE_ADDR") or "unknown"


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
    digest = hmac.new(_salt_for(_today()), client_ip(request).encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def over_limit(scope: str, identities: Iterable[str], limit: int, per_seconds: int = 60) -> bool:
    """Count one hit for each identity in the current window; True if any is past ``limit``.

    Fixed windows of ``per_seconds``; the counters live in Redis when
    REDIS_URL is set (one round trip, shared by every app server), else in
    the cache. Every identity is counted
    even when an earlier one is already over, so a reader cannot dodge the
    IP limit by changing cookies.
    """
    window = int(datetime.now(UTC).timestamp()) // per_seconds
    keys = [f"byline:ratelimit:{scope}:{identity}:{window}" for identity in identities]
    client = redis_client()
    if client is not None:  # one round trip for every counter
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.incr(key)
            pipe.expire(key, per_seconds + 1)
        return any(hits > limit for hits in pipe.execute()[0::2])
    over = False
    for key in keys:
        cache.add(key, 0, timeout=per_seconds + 1)
        try:
            hits = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=per_seconds + 1)
            hits = 1
        over = over or hits > limit
    return over


def seconds_left_in_window(per_seconds: int = 60) -> int:
    """Seconds until the current rate-limit window ends (for a Retry-After header)."""
    return per_seconds - int(datetime.now(UTC).timestamp()) % per_seconds
