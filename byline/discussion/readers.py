"""Who is commenting, without storing who they are: hashed IPs, reader keys, rate limits.

The raw IP address is never stored. It is hashed with a salt derived from the
site's secret key and the current UTC date, so the same address hashes the same
way for one day (enough for rate limits and duplicate checks) and cannot be
linked across days. Rate limits count in Django's cache (Redis in production,
process memory in the embedded tier).

The client address comes from the engagement app's ``client_ip`` so both apps
honour ``BYLINE_CLIENT_IP_HEADER`` behind a proxy. Comments keep their own
deterministic daily hash (secret key + date) because it is stored on comments
and compared across app servers without a shared cache.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

# One notion of "the reader's address" for the whole site: the socket's, or the
# trusted proxy's header named by BYLINE_CLIENT_IP_HEADER.
from byline.engagement.readers import (  # noqa: F401  (client_ip is re-exported for the views)
    client_ip,
    over_limit,
    seconds_left_in_window,
)

COMMENTER_COOKIE = "byline_commenter"
COMMENTER_SALT = "byline.discussion.commenter"
COMMENTER_MAX_AGE = 60 * 60 * 24 * 30


def hash_ip(ip: str, day: str | None = None) -> str:
    """A salted hash of ``ip`` that changes every UTC day; '' when there is no address."""
    if not ip:
        return ""
    day = day or timezone.now().strftime("%Y-%m-%d")
    return salted_hmac(f"byline.reader-ip.{day}", ip, algorithm="sha256").hexdigest()[:32]


def hash_key(value: str) -> str:
    """A non-reversible key for a cookie token or an e-mail address."""
    return hashlib.sha256(f"byline.discussion:{value}".encode()).hexdigest()


def commenter_token(request: HttpRequest) -> str:
    """The commenter's random token from their signed cookie, or '' if they have none."""
    try:
        return request.get_signed_cookie(COMMENTER_COOKIE, default="", salt=COMMENTER_SALT)
    except BadSignature:
        return ""


def new_commenter_token() -> str:
    return secrets.token_urlsafe(24)


def set_commenter_cookie(response: HttpResponse, token: str, secure: bool) -> None:
    response.set_signed_cookie(
        COMMENTER_COOKIE,
        token,
        salt=COMMENTER_SALT,
        max_age=COMMENTER_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def hit(scope: str, key: str, limit: int, window: int) -> int:
    """Count one attempt for ``key``; return 0 if within ``limit`` per ``window`` seconds,
    else the seconds until the window ends. The counting is the site's one rate limiter
    (``engagement.readers.over_limit``: Redis when configured, else the cache)."""
    if not key or not over_limit(scope, [key], limit, window):
        return 0
    return max(1, seconds_left_in_window(window))
