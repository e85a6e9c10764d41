"""Which requests may be answered from the page cache, and under which key.

Only an anonymous GET or HEAD qualifies: no session or messages cookie, no
``Authorization`` header. Other cookies (the engagement app's reader cookie, a
CSRF cookie) do not change the page, so they do not stop a hit. The key holds
the scheme, host and path, so a page rendered for one host or for HTTPS is
never replayed to another; hosts Django refuses never get a page stored.

A query string keeps a page out of the cache, except the page numbers
(``page=N`` and ``before=ID`` of listings; ``cpage=N``, ``thread=N`` and ``tpage=N`` of a
discussion), the order of a discussion (``sort=`` and a short lowercase word:
the view decides which words it knows) and the tracking parameters that campaigns add (``utm_*``,
``fbclid`` …), which are dropped from the key: they do not change the page,
and caching every variant would let anyone fill the cache. For the same reason
a view stores a numbered page only under its one canonical address (a number
out of range or written ``007`` is answered, not stored): see
``discussion.templatetags``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from urllib.parse import parse_qsl

from django.http.cookie import parse_cookie

from byline.parsing import parse_id

TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "ref"})
PAGE_PARAMETERS = ("page", "before", "cpage", "thread", "tpage")
WORD_PARAMETERS = ("sort",)
KEY_PARAMETERS = (*PAGE_PARAMETERS, *WORD_PARAMETERS)  # in the order the key writes them
MAX_WORD_LENGTH = 16
MAX_KEY_LENGTH = 1024


@dataclass(frozen=True)
class Rules:
    session_cookies: frozenset[str]
    proxy_ssl_header: tuple[str, str] | None
    ssl_redirect: bool


@cache
def rules() -> Rules:
    """Read once per process, on the first request (never at import time)."""
    from django.conf import settings

    return Rules(
        session_cookies=frozenset({settings.SESSION_COOKIE_NAME, "messages"}),
        proxy_ssl_header=settings.SECURE_PROXY_SSL_HEADER,
        ssl_redirect=settings.SECURE_SSL_REDIRECT,
    )


def is_anonymous(environ: dict) -> bool:
    """No session, messages cookie or credentials: the page is the same as everyone's."""
    if "HTTP_AUTHORIZATION" in environ:
        return False
    cookie_header = environ.get("HTTP_COOKIE")
    if not cookie_header:
        return True
    names = rules().session_cookies
    return not any(name in names for name in parse_cookie(cookie_header))


def scheme(environ: dict) -> str:
    header = rules().proxy_ssl_header
    if header is not None:
        value = environ.get(header[0])
        if value is not None:
            return "https" if value.split(",")[0].strip() == header[1] else "http"
    return environ.get("wsgi.url_scheme", "http")


def _query_key(query: str) -> str | None:
    """The part of the query string that selects the page, or None: not cacheable."""
    kept: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name.startswith("utm_") or name in TRACKING_PARAMETERS:
            continue
        if name in PAGE_PARAMETERS and name not in kept and (number := parse_id(value)):
            kept[name] = str(number)
            continue
        if name in WORD_PARAMETERS and name not in kept and _is_word(value):
            kept[name] = value
            continue
        return None
    parts = [f"{name}={kept[name]}" for name in KEY_PARAMETERS if name in kept]
    return "?" + "&".join(parts) if parts else ""


def _is_word(value: str) -> bool:
    """A short run of ASCII lowercase letters (``sort=newest``): nothing to escape in a key."""
    short = 0 < len(value) <= MAX_WORD_LENGTH
    return short and value.isascii() and value.isalpha() and value.islower()


def page_key(environ: dict) -> str | None:
    """The cache key for this request, or None when it must go to Django."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return None
    if not is_anonymous(environ):
        return None
    url_scheme = scheme(environ)
    if url_scheme != "https" and rules().ssl_redirect:
        return None
    query = environ.get("QUERY_STRING", "")
    query_key = _query_key(query) if query else ""
    if query_key is None:
        return None
    host = (environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")).lower()
    path = environ.get("PATH_INFO", "/")
    if "\x00" in path or "\x00" in host:
        return None  # Django refuses it (byline.errors); never a key or a file name
    key = f"{url_scheme}://{host}{path}{query_key}"
    return key if len(key) <= MAX_KEY_LENGTH else None
