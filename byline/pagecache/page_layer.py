"""The page layer: a WSGI layer that answers cached pages before Django runs.

The site's dispatcher (``byline.wsgi_layer``) sends it every GET and HEAD outside
the article API; it wraps Django.

On a hit nothing of Django's request cycle runs: no middleware, no URL
resolving, no template, no query. The stored response is the one Django's
full stack produced for an anonymous reader, so it already carries the
security headers (X-Frame-Options, X-Content-Type-Options, Referrer-Policy,
Cross-Origin-Opener-Policy, and Strict-Transport-Security over HTTPS when
configured). The layer adds what makes the copy cacheable downstream:
``ETag``, ``Last-Modified``, ``Cache-Control: public``, ``X-Accel-Expires``
for nginx, and it answers ``If-None-Match`` / ``If-Modified-Since`` with 304.

A miss goes through Django as usual; if the view was marked with
``cached_page`` and the response is a plain anonymous 200 (no Set-Cookie, not
private), it is stored under the generation read *before* rendering, so a
change that lands during the render leaves the copy already stale.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from django.utils.http import http_date, parse_http_date_safe

from byline.db import reading_from_primary
from byline.logthrottle import ThrottledLog
from byline.pagecache.decorators import EXPIRES_AT, SHOWS, STORABLE
from byline.pagecache.decorators import comments_of as comments_scope
from byline.pagecache.files import UNREADABLE
from byline.pagecache.flights import STALE, STORED, UNSTORED, Flight
from byline.pagecache.rules import page_key, rules
from byline.pagecache.store import Page, PageStore, page_store
from byline.wsgi_layer import WSGIApp

logger = logging.getLogger("byline.pagecache")
# Stale copies served because a page could not be drawn (the database down): every reader
# of an expired page meets it, so a line a while counting them, not a line a reader.
stale_copies = ThrottledLog(logger, "stale copies served", again="are drawn again")
PAGES = "pages"

# Headers the layer writes itself on every replay.
OWN_HEADERS = frozenset(
    {"content-length", "date", "etag", "last-modified", "cache-control", "expires"}
)
# Headers a 304 repeats (RFC 9110 §15.4.5), besides the security ones.
NOT_MODIFIED_DROPS = frozenset({"content-type", "content-length", "content-language"})
# A response that varies on anything else cannot be one copy for everyone.
SAFE_VARY = frozenset({"cookie", "accept-encoding"})


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    weak = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == weak for tag in header.split(","))


def not_modified(environ: dict, page: Page) -> bool:
    """RFC 9110 §13.1: If-None-Match wins; If-Modified-Since only without it."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        return _etag_matches(if_none_match, page.etag)
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if since is not None:
        parsed = parse_http_date_safe(since)
        return parsed is not None and page.last_modified <= parsed
    return False


def storable(status: str, headers: list[tuple[str, str]]) -> bool:
    if not status.startswith("200"):
        return False
    for name, value in headers:
        lowered = name.lower()
        if lowered == "set-cookie":
            return False
        if lowered == "cache-control" and any(
            word in value.lower() for word in ("private", "no-store", "no-cache")
        ):
            return False
        if lowered == "vary" and not {v.strip().lower() for v in value.split(",")} <= SAFE_VARY:
            return False
    return True


def next_publication_time(environ: dict | None = None) -> float | None:
    """When the next scheduled article comes due (a Unix time), or None: the articles
    app answers (it owns the schedule), or the page whose ``environ`` is given, if its
    render read it from the database (with the site's navigation)."""
    from byline.articles.navigation import UPCOMING, next_publication_time

    if environ is not None and UPCOMING in environ:
        return environ[UPCOMING]
    return next_publication_time()


class PageCacheApp:
    """Wrap a WSGI application (Django's) with the page cache."""

    def __init__(self, app: WSGIApp, store: PageStore | None = None) -> None:
        self.app = app
        self._store = store
        self._settings: tuple[bool, int, int, int] | None = None
        # The next publication time read under a generation (``next_publication``).
        self._upcoming: tuple[str, float | None] | None = None

    @property
    def store(self) -> PageStore:
        return self._store if self._store is not None else page_store()

    def settings(self) -> tuple[bool, int, int, int]:
        """(enabled, max-age, lifetime, nginx seconds), read on first use."""
        if self._settings is None:
            from django.conf import settings

            self._settings = (
                settings.BYLINE_PAGE_CACHE,
                settings.BYLINE_PAGE_CACHE_MAX_AGE,
                settings.BYLINE_PAGE_CACHE_SECONDS,
                settings.BYLINE_PAGE_CACHE_NGINX_SECONDS,
            )
        return self._settings

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not self.settings()[0]:
            return self.app(environ, start_response)
        key = page = None
        try:
            key = page_key(environ)
            if key is not None:
                generation = self.store.current_generation()
                page = self.store.get(key, generation)
        except Exception:  # the cache must never be why a page fails
            logger.exception("page cache: lookup failed")
            key = None
        if key is None:  # (outside the try: the application's own errors are not retried)
            return self.app(environ, start_response)
        if page is not None:
            return self.replay(page, environ, start_response, "hit")
        return self.render_once(key, generation, environ, start_response)

    def render_once(
        self, key: str, generation: str, environ: dict, start_response: Callable
    ) -> Iterable[bytes]:
        """Render the page unless another request is rendering it: then wait for it and
        answer the page it stored, or the stale copy when it served that (``flights``;
        a render of our own if it stored none)."""
        store = self.store
        lead = environ.get("REQUEST_METHOD") != "HEAD"  # a HEAD's answer is never kept
        with store.flights.flight(key, generation, lead) as flight:
            if not flight.leads:
                page = None
                try:
                    if flight.outcome == STALE:  # the database failed the leader just now
                        page = store.stale(key)
                    else:
                        page = store.get(key, store.current_generation())
                except Exception:  # the cache must never be why a page fails
                    logger.exception("page cache: lookup failed")
                if page is not None:
                    outcome = "stale" if flight.outcome == STALE else "hit"
                    return self.replay(page, environ, start_response, outcome)
            return self.render(key, generation, environ, start_response, flight)

    def render(
        self,
        key: str,
        generation: str,
        environ: dict,
        start_response: Callable,
        flight: Flight | None = None,
    ) -> Iterable[bytes]:
        """Render the page through Django, store it if it may be kept, and say how it
        ended to the requests following this one (``flight``)."""
        told = flight if flight is not None else Flight(leads=True)
        captured: list = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers, exc_info]
            return lambda data: None  # Django never uses write()

        mark = self.store.purge_mark()  # before the database is read
        # Read what is stored from the primary: a lagging replica would put an
        # old copy under the new generation (or miss a newly scheduled article).
        with reading_from_primary():
            result = self.app(environ, capture)
            status, headers, exc_info = captured
            if status[:1] == "5" and (stale := self.store.stale(key)) is not None:
                # Stale-if-error: the page could not be rendered (the database is
                # down): the last good copy is better than an error page.
                close = getattr(result, "close", None)
                if close is not None:
                    close()
                stale_copies.failure(
                    PAGES, status, "page cache: %s for %s, serving a stale copy", status, key
                )
                told.outcome = STALE
                return self.replay(stale, environ, start_response, "stale")
            if not (environ.get(STORABLE) and storable(status, headers)):
                told.outcome = UNSTORED
                start_response(status, headers, exc_info)
                return result
            try:
                body = b"".join(result)
                upcoming = self.next_publication(environ, generation)
                # A page may say when it goes out of date by itself (comments closing).
                own = environ.get(EXPIRES_AT)
                if isinstance(own, float):
                    upcoming = own if upcoming is None else min(upcoming, own)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()  # ends Django's request: after our query, so it is tidied too
        if stale_copies.down:  # nearly always empty: no call, no lock
            stale_copies.answered(PAGES)
        page = self.build(status, headers, body, generation, upcoming)
        shows = environ.get(SHOWS)
        if shows:
            page = replace(page, scopes=tuple(sorted(shows)), mark=mark)
        self.store.set(key, page)
        told.outcome = STORED
        return self.replay(page, environ, start_response, "miss")

    def splice(self, key: str, generation: str, environ: dict, article_id: int) -> bool:
        """Store the page of ``key`` with only what ``article_id``'s comments change drawn
        again (``splice_comments_with``), from its current copy: the bytes a whole render
        would give, its other parts as they were. False (nothing stored) when it cannot
        tell: no current copy, a copy that does not show those comments, the splicer
        unsure or failing. Its expiry (no later than the copy's), scopes and mark are taken
        as ``render`` takes them."""
        splicer = _splicer
        if splicer is None:
            return False
        store = self.store
        mark = store.purge_mark()  # before the database is read
        try:
            stored = store.get(key, generation)
            if stored is None or stored.status[:3] != "200" or not stored.scopes:
                return False
            if comments_scope(article_id) not in stored.scopes:
                return False
            with reading_from_primary():
                body = splicer(article_id, environ, stored.body)
            if body is None:
                return False
            upcoming = self.next_publication(environ, generation)
        except Exception:  # drawn whole instead
            logger.exception("page cache: cannot splice the comments of %s", key)
            return False
        own = environ.get(EXPIRES_AT)
        if isinstance(own, float):
            upcoming = own if upcoming is None else min(upcoming, own)
        page = self.build(stored.status, list(stored.headers), body, generation, upcoming)
        # What was not drawn again (the figures under the headline, what only the page's
        # lifetime dates) is as old as the copy: kept no longer than it was to be.
        page = replace(page, expires_at=min(page.expires_at, stored.expires_at))
        scopes = set(stored.scopes) | set(environ.get(SHOWS) or ())
        self.store.set(key, replace(page, scopes=tuple(sorted(scopes)), mark=mark))
        return True

    def next_publication(self, environ: dict, generation: str | None = None) -> float | None:
        """When the next scheduled article comes due; if unknown, soon (keep pages briefly).
        A page that read it while rendering (its navigation) left it in ``environ``; else
        the time read for an earlier page of ``generation`` (the page cache's, read before
        the render), while it has not come due: every change of the schedule (an article
        saved or deleted) moves the generation on, on every worker, and an article coming
        due is past the time kept. (A comment's redraw finds the navigation and the
        related stories kept, so it read the schedule again at each comment.) Nothing is
        kept while the generation cannot be read (Redis down: a new one at each retry)."""
        from byline.articles.navigation import UPCOMING, is_due

        if UPCOMING not in environ:
            kept = self._upcoming
            if kept is not None and kept[0] == generation and not is_due(kept[1]):
                return kept[1]
        try:
            upcoming = next_publication_time(environ)
        except Exception:
            logger.exception("page cache: cannot read the next publication time")
            return time.time() + 5
        if generation is not None and not generation.startswith(UNREADABLE):
            self._upcoming = (generation, upcoming)
        return upcoming

    def build(
        self,
        status: str,
        headers: list[tuple[str, str]],
        body: bytes,
        generation: str,
        upcoming: float | None = None,
    ) -> Page:
        now = time.time()
        expires_at = now + self.settings()[2]
        if upcoming is not None:
            expires_at = min(expires_at, upcoming)
        kept = tuple((n, v) for n, v in headers if n.lower() not in OWN_HEADERS)
        return Page(
            status=status,
            headers=kept,
            body=body,
            etag='"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"',
            last_modified=int(now),
            expires_at=expires_at,
            generation=generation,
        )

    def replay(
        self, page: Page, environ: dict, start_response: Callable, outcome: str
    ) -> Iterable[bytes]:
        _, max_age, _, nginx_seconds = self.settings()
        if outcome == "stale":  # for now only: no one downstream may keep it as fresh
            max_age = nginx_seconds = 0
        cache_control = (
            f"public, max-age={max_age}" if max_age > 0 else "public, max-age=0, must-revalidate"
        )
        common = [
            ("ETag", page.etag),
            ("Last-Modified", http_date(page.last_modified)),
            ("Cache-Control", cache_control),
            ("X-Page-Cache", outcome),
        ]
        if nginx_seconds > 0:
            remaining = int(page.expires_at - time.time())
            common.append(("X-Accel-Expires", str(max(0, min(nginx_seconds, remaining)))))
        elif outcome == "stale":
            common.append(("X-Accel-Expires", "0"))
        if not_modified(environ, page):
            headers = [(n, v) for n, v in page.headers if n.lower() not in NOT_MODIFIED_DROPS]
            start_response("304 Not Modified", headers + common)
            return [b""]
        headers = [*page.headers, ("Content-Length", str(len(page.body))), *common]
        start_response(page.status, headers)
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [page.body]


class _Django:
    """Django's handler for a page drawn outside any reader's request (``redraw``): no
    ``request_started`` or ``request_finished`` (they would close the database connection
    of the request that asked for it, in the middle of its answer)."""

    def __init__(self) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        from django.core.handlers.wsgi import WSGIRequest, get_script_name
        from django.urls import set_script_prefix

        set_script_prefix(get_script_name(environ))
        request = WSGIRequest(environ)
        response = self.handler.get_response(request)
        headers = [*response.items()]
        headers += [("Set-Cookie", c.output(header="")) for c in response.cookies.values()]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return [response.content] if not response.streaming else list(response)


# What draws an article's page again after its comments were published, from the copy
# stored (the discussion app's, ``discussion.splice``): ``(article id, the environ of an
# anonymous GET of the page, its stored body)`` to the new body, or None when unsure (the
# page is then drawn whole). It renders only what comments change.
Splicer = Callable[[int, dict, bytes], "bytes | None"]
_splicer: Splicer | None = None


def splice_comments_with(splicer: Splicer | None) -> None:
    """Let ``redraw`` splice what comments change into an article's stored page."""
    global _splicer
    _splicer = splicer


_drawer: PageCacheApp | None = None
# A page key as ``anonymous_get`` takes it apart: scheme, host name, port, path.
_PAGE_KEY = re.compile(r"^(https?)://([a-z0-9.-]+)(?::(\d+))?(/[^?]*)$")


def redraw(keys: list[str], comments_of: int | None = None) -> None:
    """Draw the pages of ``keys`` again for an anonymous reader and store them (memory,
    Redis, their files replaced), whatever this worker has stored for them: after a
    change committed, so they show it (``store.PageStore.purge``). Called in the request
    that made the change (its database connection, what it committed).

    ``comments_of``: only that article's comments were published (``invalidation``):
    a page whose current copy is at hand has only what comments change drawn again and
    spliced into it (``PageCacheApp.splice``); any other is drawn whole."""
    global _drawer
    if _drawer is None or _drawer.store is not page_store():
        _drawer = PageCacheApp(_Django(), page_store())
    drawer = _drawer
    store = drawer.store
    for key in keys:
        environ = anonymous_get(key)
        if environ is None or page_key(environ) != key:
            continue
        generation = store.current_generation()
        if comments_of is not None and drawer.splice(key, generation, environ, comments_of):
            continue
        drawer.render(key, generation, environ, _ignore)


def _ignore(status, headers, exc_info=None):
    """The start_response of a page drawn for no reader (``redraw``)."""
    return lambda data: None


def anonymous_get(key: str) -> dict | None:
    """The environ of an anonymous GET of ``key`` (a page key: scheme://host/path), as
    nginx sends it to the app; None if ``key`` is not one."""
    match = _PAGE_KEY.match(key)
    if match is None:
        return None
    scheme, name, port, path = match.groups()
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": name,
        "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": f"{name}:{port}" if port else name,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    header = rules().proxy_ssl_header
    if header is not None:
        environ[header[0]] = header[1] if scheme == "https" else scheme
    return environ
