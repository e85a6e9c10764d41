"""Password-protected articles: the reader enters the password once, a signed cookie remembers it.

An article with a ``password`` is reachable at its address but shows only its
headline and a form until the reader gives the password. The form posts (with
Django's CSRF token: the page is never cached, so it can carry one) to
``unlock``; the right password sets a cookie signed with the site's secret,
scoped to that article's path, holding the article's id and a digest of its
password, so changing the password locks everyone out again. Attempts are
counted per reader address and article in the cache and refused past
``MAX_ATTEMPTS`` in ``ATTEMPT_WINDOW`` seconds.

Nothing protected is ever public: ``Article.objects.published()`` leaves these
articles out, so they are in no listing, feed, sitemap, search or API answer;
the page is marked ``private, no-store`` (the page cache never stores it) and
carries no structured data and no description.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from byline.articles.models import Article

log = logging.getLogger(__name__)

SALT = "byline.articles.unlock"
COOKIE_PREFIX = "byline_unlock_"
COOKIE_MAX_AGE = 10 * 24 * 3600  # as long as WordPress remembers a post password
MAX_ATTEMPTS = 10
ATTEMPT_WINDOW = 15 * 60


def cookie_name(article: Article) -> str:
    return f"{COOKIE_PREFIX}{article.pk}"


def _digest(article: Article) -> str:
    return hashlib.sha256(f"{article.pk}:{article.password}".encode()).hexdigest()[:32]


def _vouches_for(signed: str, salt: str, article: Article) -> bool:
    """Whether ``signed`` (the unlock cookie, or the pass) was given for this article's
    current password, within ``COOKIE_MAX_AGE``."""
    if not signed:
        return False
    try:
        data = signing.loads(signed, salt=salt, max_age=COOKIE_MAX_AGE)
    except signing.BadSignature:
        return False
    return (
        isinstance(data, dict)
        and data.get("a") == article.pk
        and hmac.compare_digest(str(data.get("h", "")), _digest(article))
    )


def is_unlocked(request: HttpRequest, article: Article) -> bool:
    """Whether this reader may read ``article``: it has no password, or their cookie is good."""
    if not article.password:
        return True
    return _vouches_for(request.COOKIES.get(cookie_name(article), ""), SALT, article)


def password_matches(article: Article, given: str) -> bool:
    return bool(article.password) and hmac.compare_digest(
        given.encode("utf-8", "replace"), article.password.encode("utf-8", "replace")
    )


def remember(response: HttpResponse, article: Article, *, secure: bool) -> None:
    """Set the cookie that unlocks ``article`` for this reader (only on its own path)."""
    response.set_cookie(
        cookie_name(article),
        signing.dumps({"a": article.pk, "h": _digest(article)}, salt=SALT, compress=True),
        max_age=COOKIE_MAX_AGE,
        path=article.get_absolute_url(),
        httponly=True,
        samesite="Lax",
        secure=secure or settings.SESSION_COOKIE_SECURE,
    )


def _attempts_key(ip: str, article: Article) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()[:24]
    return f"byline:unlock:{article.pk}:{digest}"


def too_many_attempts(ip: str, article: Article) -> bool:
    """Count one attempt; True when this address tried too often lately.

    A cache that is down never locks readers out: the password is still needed.
    """
    key = _attempts_key(ip, article)
    try:
        if cache.add(key, 1, ATTEMPT_WINDOW):
            return False
        return cache.incr(key) > MAX_ATTEMPTS
    except Exception:  # noqa: BLE001 (a dead cache degrades to no limit)
        log.warning("the cache is unavailable: password attempts are not limited", exc_info=True)
        return False


def forget_attempts(ip: str, article: Article) -> None:
    try:
        cache.delete(_attempts_key(ip, article))
    except Exception:  # noqa: BLE001
        log.warning("the cache is unavailable", exc_info=True)


def never_cache_publicly(response: HttpResponse) -> HttpResponse:
    """Keep a protected page out of every shared cache (ours, nginx's, a CDN's)."""
    patch_cache_control(response, private=True, no_store=True, no_cache=True)
    response["X-Robots-Tag"] = "noindex"
    return response


PASS_SALT = "byline.articles.unlock.comments"  # noqa: S105 (a salt, not a secret)


def reader_pass(article: Article) -> str:
    """A signed pass, put into the unlocked page's comment form and session address.

    The unlock cookie is scoped to the article's own path, so the comment
    endpoints (``/comments/…``) never see it; this pass, only ever in a page shown
    to a reader who gave the password (never cached), proves the same. It stops
    working when the password changes or after as long as the cookie lasts.
    """
    return signing.dumps({"a": article.pk, "h": _digest(article)}, salt=PASS_SALT, compress=True)


def may_read(request: HttpRequest, article: Article, given_pass: str = "") -> bool:
    """Whether this reader may read ``article`` and its comments: it has no password,
    their unlock cookie is good, or they hold the pass of the unlocked page."""
    if not article.password or is_unlocked(request, article):
        return True
    return _vouches_for(given_pass[:1000], PASS_SALT, article)
