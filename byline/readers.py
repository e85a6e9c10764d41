"""Who is a reader, and how often they may act: a signed cookie, a salted IP hash, rate limits.

The site's one home for reader identity and rate limiting: the engagement app
(votes, views), the discussion app (comments, the comment-data page) and the
articles app (password attempts) all use these plain functions.

- ``reader_id(request)``: the reader's id from the cookie (signed by the app, or an
  id nginx minted: ``reader_from_cookie``), or None.
  Reading never sets anything, so a plain GET stays cacheable.
- ``reader_from_cookie(value)``: the same from the cookie's value alone;
  ``new_reader_id()`` for a reader's first action.
- ``remember_reader(response, reader)``: set the cookie on the response to an
  action (a POST), never on a page.
- ``client_ip(request)`` and ``ip_hash(request)`` (``client_ip_of(environ)`` and
  ``hash_ip(ip)`` without a request): the address (socket, or the
  header named by ``BYLINE_CLIENT_IP_HEADER`` behind a proxy) and its salted
  hash. The salt is an HMAC of the secret key and the UTC date: every worker
  and every restart agree on it, and yesterday's hashes cannot be linked to
  today's; no raw IP is ever stored.
- ``commenter_token(request)``, ``new_commenter_token()``,
  ``set_commenter_cookie(response, token, secure)``: the commenter's own signed
  cookie (a random token; comments store its ``hash_key``, which lets the same
  browser see its pending comments and edit its own for a few minutes).
- ``over_limit(scope, identities, limit, per_seconds)``: count one hit for
  each identity in a sliding window and say whether any went past the limit
  (``over_limit_and`` also reads a Redis hash field in the same round trip,
  ``hits_and_reads`` does it for a batch of requests);
  ``seconds_left_in_window(per_seconds)`` for the 429's ``Retry-After``;
  ``hits([(scope, key, limit), ...], window)`` counts one attempt under each
  key (a comment: the reader, the e-mail address, the IP) in one round trip and
  answers the seconds to wait (0: go ahead), for forms that re-render with a
  message.

The rate limits are the ``limits`` library's sliding-window counter
(``SlidingWindowCounterRateLimiter``): the count is the current window's hits
plus the previous window's, weighted by how much of it is still inside the
last ``per_seconds``, so there is no burst of twice the limit across a window
boundary as with fixed windows. A hit over the limit is refused and not
counted.

- **With Redis** the counters live there (``limits``' ``RedisStorage`` on the
  site's one pool, so the short timeout and the breaker of ``byline.redisconn``
  apply), shared by every app server. Whatever one call counts (a comment's
  keys, the vote caster's batch) takes one round trip: ``limits``' own acquire
  script for each counter and the reads, sent down one pipeline.
- **Without Redis**, or while it fails (stopped, frozen, out of memory), the
  counters live in this process (``limits``' ``MemoryStorage``): limits keep
  holding, per worker instead of per site, until Redis is back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, parse_cookie
from django.utils.http import http_date
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from byline import redisconn

try:  # hmac.digest's own fast path, without its checks (called once a view log line)
    from _hashlib import hmac_digest as _hmac_digest
except ImportError:  # a Python without OpenSSL's: the same HMAC, slower
    _hmac_digest = hmac.digest

COOKIE_SALT = "byline.engagement.reader"  # kept: existing cookies stay valid
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
READER_ID_LENGTH = 32  # hex characters
LIMITS_KEY_PREFIX = "byline:ratelimit"
Count = tuple[RateLimitItem, str, str]  # one hit to count: (rule, scope, identity)
LimitRequest = tuple[list[Count], tuple[str, str] | None]  # (hits, hash field to read)


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
    """The reader's id in the cookie's value, or None (absent, tampered with): a value
    the app signed (``cookie_value``), or a bare id of 32 lowercase hex digits, which
    nginx mints (``$request_id``) for a vote it answers itself (deploy/nginx.conf).

    Taking a bare id unsigned is safe: an id is 128 bits from a CSPRNG and the cookie is
    HttpOnly, so another reader's id cannot be guessed, and one stolen could be sent as
    its signed value just as well. Choosing an id of one's own is what clearing the
    cookie already does (a new reader each time); what bounds a client's votes is the
    per-address limit (``BYLINE_VOTES_PER_MINUTE``), never the reader id."""
    if not value:
        return None
    if _is_reader_id(value):
        return value
    try:
        reader = _signer().unsign(value)
    except signing.BadSignature:
        return None
    return reader if _is_reader_id(reader) else None


def _is_reader_id(value: str) -> bool:
    return len(value) == READER_ID_LENGTH and all(c in "0123456789abcdef" for c in value)


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


def reader_cookie_header(reader: str) -> str:
    """The ``Set-Cookie`` value ``remember_reader`` gives a reader, built without a response
    (a layer that answers without Django: the vote layer). Django's own header with the
    reader's value and expiry put in: a response and its cookie cost ~0.1 ms of a vote."""
    head, middle, tail = _cookie_parts(settings.BYLINE_READER_COOKIE, settings.SECURE_COOKIES)
    return head + cookie_value(reader) + middle + http_date(time.time() + COOKIE_MAX_AGE) + tail


_VALUE, _EXPIRES = "\x00value\x00", "\x00expires\x00"


@lru_cache(maxsize=4)
def _cookie_parts(name: str, secure: bool) -> tuple[str, str, str]:
    """``remember_reader``'s header cut around the value and the expiry."""
    response = HttpResponse()
    response.set_cookie(
        name, "v", max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax", secure=secure
    )
    morsel = response.cookies[name]
    morsel.set(name, _VALUE, _VALUE)  # as set: a signed value is never quoted
    morsel["expires"] = _EXPIRES
    head, rest = morsel.output(header="").strip().split(_VALUE)
    middle, tail = rest.split(_EXPIRES)
    return head, middle, tail


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


def utc_now() -> datetime:
    """The time the day's salt follows (a seam: a test sets it to just before midnight)."""
    return datetime.now(UTC)


def _today() -> str:
    return utc_now().date().isoformat()


@lru_cache(maxsize=4)
def _salt_for(day: str, secret_key: str) -> bytes:
    """The day's salt: an HMAC of the secret key and the UTC date, the same in every
    worker and after every restart, and unguessable without the key."""
    return hmac.new(
        secret_key.encode(), f"byline.engagement.ip-salt:{day}".encode(), "sha256"
    ).digest()


def ip_hash(request: HttpRequest) -> str:
    """A salted hash of the reader's IP; the salt changes every UTC day."""
    return hash_ip(client_ip(request))


def hash_ip(ip: str, day: str | None = None) -> str:
    """The salted hash of an IP address: today's salt, or ``day``'s (YYYY-MM-DD, for a
    comment imported with the address it was posted from that day)."""
    return ip_hasher(day)(ip)


def ip_hasher(day: str | None = None) -> Callable[[str], str]:
    """``hash_ip`` with the day's salt looked up once, for hashing many addresses (the
    view log's fold: a few µs a line saved)."""
    salt = _salt_for(day or _today(), settings.SECRET_KEY)
    digest = hmac.digest

    def hashed(ip: str) -> str:
        return digest(salt, ip.encode(), "sha256").hex()[:32]  # one call: no HMAC object

    return hashed


def ip_bytes_hasher(day: str | None = None) -> Callable[[bytes], str]:
    """``ip_hasher`` for an address as bytes (nginx's view log): the same hash as the
    address decoded as ASCII (a byte that is not is replaced, as ``hash_ip`` of the
    decoded text has it), without the text in between (~1 µs a line of the fold)."""
    salt = _salt_for(day or _today(), settings.SECRET_KEY)
    digest = _hmac_digest

    def hashed(ip: bytes) -> str:
        if not ip.isascii():
            ip = ip.decode("ascii", "replace").encode()
        return digest(salt, ip, "sha256").hex()[:32]

    return hashed


COMMENTER_COOKIE = "byline_commenter"
COMMENTER_SALT = "byline.discussion.commenter"
COMMENTER_MAX_AGE = 60 * 60 * 24 * 30


def hash_key(value: str) -> str:
    """A non-reversible key for a commenter's token or an e-mail address (stored on
    comments and used as a rate-limit key)."""
    return hashlib.sha256(f"byline.discussion:{value}".encode()).hexdigest()


def commenter_token(request: HttpRequest) -> str:
    """The commenter's random token from their signed cookie, or '' if they have none."""
    try:
        token = request.get_signed_cookie(COMMENTER_COOKIE, default="", salt=COMMENTER_SALT)
    except signing.BadSignature:
        return ""
    return token or ""


def new_commenter_token() -> str:
    return secrets.token_urlsafe(24)


# The remembered details ("Save my name": name, e-mail, website; byline/discussion/views.py
# sets and reads them), HttpOnly beside the commenter cookie.
REMEMBER_COOKIE = "byline_comment_author"
# The script-readable mark of a browser with something in its comment session: set
# beside the two HttpOnly cookies above (the commenter's, the remembered details), so
# that the page's script asks for the session when the discussion comes into view only
# in the browsers of readers who commented (discussion.js); everyone else asks when they
# use the form. It holds "1": no identity, nothing private. A posted comment sets it for
# as long as the longer-lived of those cookies; the session's answer and the view beacon
# (nginx's as well, deploy/nginx.conf) put it back for a browser holding one of them
# without it (``mark_session``), for the commenter cookie's 30 days.
SESSION_MARKER = "byline_has_session"


def set_session_marker(response: HttpResponse, max_age: int, secure: bool) -> None:
    """The marker, for ``max_age`` seconds, with the path and SameSite of the cookies it
    marks; not HttpOnly: the page's script reads it."""
    response.set_cookie(SESSION_MARKER, "1", max_age=max_age, samesite="Lax", secure=secure)


def may_want_marking(raw_cookies: str) -> bool:
    """A raw Cookie header that may carry a commenter cookie or remembered details without
    the marker: two substring tests, so that nearly every beacon parses no cookie."""
    return SESSION_MARKER not in raw_cookies and (
        COMMENTER_COOKIE in raw_cookies or REMEMBER_COOKIE in raw_cookies
    )


def mark_session(
    response: HttpResponse, cookies: Mapping[str, str], secure: bool, *, unmark: bool = True
) -> None:
    """Put the marker right when it disagrees with the reader's cookies: one of them
    without the marker (they commented before the marker existed, or the reader or an
    extension removed it) is marked again, for the commenter cookie's 30 days: a browser
    does not send a cookie's expiry, so the marker cannot be given exactly what its
    cookies have left; 30 days at most outlives the commenter cookie by what it has
    lived, and when it ends before the remembered details, the next beacon marks the
    browser again. With ``unmark`` (the session's answer, not the beacon), the marker
    without either cookie (both expired or deleted) is removed. Only a reader who
    already holds one of these cookies, or the marker, ever gets a Set-Cookie here."""
    commenter = COMMENTER_COOKIE in cookies or REMEMBER_COOKIE in cookies
    if commenter and SESSION_MARKER not in cookies:
        set_session_marker(response, COMMENTER_MAX_AGE, secure)
    elif unmark and not commenter and SESSION_MARKER in cookies:
        response.delete_cookie(SESSION_MARKER, samesite="Lax")


def session_marker_headers(
    cookies: Mapping[str, str], secure: bool, *, unmark: bool = True
) -> list[tuple[str, str]]:
    """The ``Set-Cookie`` headers ``mark_session`` would set, for an answer written
    without Django's request cycle (the session and beacon layers)."""
    response = HttpResponse()
    mark_session(response, cookies, secure, unmark=unmark)
    return [("Set-Cookie", morsel.OutputString()) for morsel in response.cookies.values()]


def beacon_marker(raw_cookies: str, secure: bool) -> list[tuple[str, str]]:
    """What the view beacon's answer sets, from the request's Cookie header: the marker
    for a browser holding a commenter cookie or remembered details without it
    (``mark_session``, never removing it), as nginx's beacon does; nothing for anyone
    else, whose cookies are not even parsed."""
    if not may_want_marking(raw_cookies):
        return []
    return session_marker_headers(parse_cookie(raw_cookies), secure, unmark=False)


def set_commenter_cookie(response: HttpResponse, token: str, secure: bool) -> None:
    """Set the commenter cookie on the answer to a posted comment (HttpOnly, SameSite=Lax)."""
    response.set_signed_cookie(
        COMMENTER_COOKIE,
        token,
        salt=COMMENTER_SALT,
        max_age=COMMENTER_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def over_limit(scope: str, identities: Iterable[str], limit: int, per_seconds: int = 60) -> bool:
    """Count one hit for each identity; True if any has had more than ``limit`` in the
    last ``per_seconds`` (a sliding window, see the module docstring).

    Every identity is counted even when an earlier one is already over, so a
    reader cannot dodge the IP limit by changing cookies. The counters live in
    Redis when it is there (shared by every app server), else in this process.
    """
    return over_limit_and(scope, identities, limit, per_seconds)[0]


def over_limit_and(
    scope: str,
    identities: Iterable[str],
    limit: int,
    per_seconds: int = 60,
    read: tuple[str, str] | None = None,
) -> tuple[bool, bytes | None]:
    """``over_limit()``, and with Redis a hash field ``read`` = (key, field) in the same call.

    The field's value is the second item (None without Redis, while Redis is
    down, or when the field is absent), so a request that must both count a hit
    and read something from Redis waits for Redis once.
    """
    ((over, value),) = hits_and_reads(scope, [(identities, read)], limit, per_seconds)
    return over, value


def hits_and_reads(
    scope: str,
    requests: list[tuple[Iterable[str], tuple[str, str] | None]],
    limit: int,
    per_seconds: int = 60,
) -> list[tuple[bool, bytes | None]]:
    """``over_limit_and()`` for many requests (identities, read), in one Redis round trip.

    Each request's hits are counted in order, as if it had been sent alone
    after the ones before it; it gets whether any of its identities went over
    the limit and the field it asked to read. Never raises for Redis: while
    Redis fails, limits are counted in this process and nothing is read.
    """
    rule = _limit_item(limit, per_seconds)
    return _count([([(rule, scope, i) for i in identities], read) for identities, read in requests])


def seconds_left_in_window(per_seconds: int = 60) -> int:
    """Seconds until the current rate-limit window ends (for a Retry-After header)."""
    return per_seconds - int(datetime.now(UTC).timestamp()) % per_seconds


def hits(keys: Iterable[tuple[str, str, int]], window: int) -> int:
    """Count one attempt for each (scope, key, limit) that has a key, in one Redis round
    trip; return 0 if each is within its ``limit`` per ``window`` seconds, else the
    seconds until the window ends (for the form's message and ``Retry-After``).

    Every key is counted even when another is already over, as ``over_limit`` does.
    """
    counts = [(_limit_item(limit, window), scope, key) for scope, key, limit in keys if key]
    if not counts:
        return 0
    ((over, _),) = _count([(counts, None)])
    return max(1, seconds_left_in_window(window)) if over else 0


# The counters behind the rate limits (``limits``).

_lock = threading.Lock()
_memory: SlidingWindowCounterRateLimiter | None = None


@lru_cache(maxsize=32)
def _limit_item(limit: int, per_seconds: int) -> RateLimitItem:
    """``limit`` hits per ``per_seconds``."""
    return RateLimitItemPerSecond(limit, per_seconds, namespace="byline")


def _memory_limiter() -> SlidingWindowCounterRateLimiter:
    """This process's limiter (embedded tier, and while Redis fails)."""
    global _memory
    if _memory is None:
        with _lock:
            if _memory is None:
                _memory = SlidingWindowCounterRateLimiter(MemoryStorage())
    return _memory


@lru_cache(maxsize=4)
def _redis_storage(set_up: redisconn.Redis_) -> RedisStorage:
    return RedisStorage(set_up.url, connection_pool=set_up.pool, key_prefix=LIMITS_KEY_PREFIX)


def reset_limits() -> None:
    """Forget the in-process counters (tests)."""
    global _memory
    with _lock:
        _memory = None
    _redis_storage.cache_clear()


def _count(requests: list[LimitRequest]) -> list[tuple[bool, bytes | None]]:
    """Count each request's hits and read its field: in Redis in one round trip while it
    answers, else in this process (and nothing is read)."""
    found = redisconn.set_up()
    if found is not None and not found.breaker.is_open:
        try:
            return _hits_in_redis(_redis_storage(found), requests)
        except redis.RedisError as error:
            if not isinstance(error, redisconn.RedisUnavailable):
                redisconn.refused(error, "rate limits", "counting in this process")
    return _hits_in_memory(requests)


def _hits_in_redis(
    storage: RedisStorage, requests: list[LimitRequest]
) -> list[tuple[bool, bytes | None]]:
    script = storage.lua_acquire_sliding_window
    client: Any = storage.get_connection()
    commands: list[tuple[Any, ...]] = []
    for counts, read in requests:
        for rule, scope, identity in counts:
            key = rule.key_for(scope, identity)
            commands.append(
                (
                    "EVALSHA",
                    script.sha,
                    2,
                    storage.prefixed_key(storage._previous_window_key(key)),
                    storage.prefixed_key(storage._current_window_key(key)),
                    rule.amount,
                    rule.get_expiry(),
                    1,
                )
            )
        if read is not None:
            commands.append(("HGET", *read))
    for attempt in range(2):
        # One round trip, as a pipeline would send them, without building one.
        replies = redisconn.round_trip(client, commands)
        if attempt == 0 and any(isinstance(r, redis.exceptions.NoScriptError) for r in replies):
            client.script_load(script.script)  # a new or flushed Redis
            continue
        break
    answers = iter(replies)
    result: list[tuple[bool, bytes | None]] = []
    refused: list[Exception] = []
    for counts, read in requests:
        over = False
        for _ in counts:
            reply = next(answers)
            if isinstance(reply, Exception):
                refused.append(reply)
            over = not reply or over
        value = next(answers) if read is not None else None
        if isinstance(value, Exception):
            raise value
        result.append((over, value))
    if refused:  # Redis answers but will not count (out of memory): count here, keep the reads
        redisconn.refused(refused[0], "rate limits", "counting in this process")
        counted = _hits_in_memory(requests)
        return [(over, value) for (over, _), (_, value) in zip(counted, result, strict=True)]
    redisconn.wrote()
    return result


def _hits_in_memory(requests: list[LimitRequest]) -> list[tuple[bool, bytes | None]]:
    limiter = _memory_limiter()
    return [
        (not all([limiter.hit(rule, scope, identity) for rule, scope, identity in counts]), None)
        for counts, _ in requests
    ]


def remaining_hits(scope: str, identity: str, limit: int, per_seconds: int = 60) -> int:
    """How many more hits ``identity`` may make now (where the counting happens now)."""
    rule = _limit_item(limit, per_seconds)
    found = redisconn.set_up()
    if found is not None and not found.breaker.is_open:
        try:
            limiter = SlidingWindowCounterRateLimiter(_redis_storage(found))
            return limiter.get_window_stats(rule, scope, identity).remaining
        except redis.RedisError:
            pass
    return _memory_limiter().get_window_stats(rule, scope, identity).remaining
