"""Who is commenting, without storing who they are: the commenter cookie and stored hashes.

The raw IP address is never stored. It is hashed with a salt derived from the
site's secret key and the current UTC date, so the same address hashes the same
way for one day (enough for duplicate checks) and cannot be linked across
days; it is stored on comments, so it keeps its own derivation.

The reader's address (``client_ip``, honouring ``BYLINE_CLIENT_IP_HEADER``) and
rate limits (``hit``) come from the site's one module for them, ``byline.readers``.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

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
