"""The WSGI entry point's dispatcher, and what the layers in front of Django share.

``byline/wsgi.py`` builds one ``Dispatcher``. For each request it picks, by
the path, the one part of the site that owns it:

- ``/api/articles/<id>/<what>/``: the layer named in the route table for
  ``<what>`` (the live counts, the view beacon, the votes), which answers the
  request itself without Django's request cycle (middleware, URL resolving,
  request and response objects), or returns None to hand it to Django;
- any other GET or HEAD: the page cache (``byline.pagecache.page_layer``),
  which answers stored pages and hands misses to Django;
- anything else: Django.

So a vote runs no page-cache code, and a page read no vote code. What
escapes all of them is still answered in the site's error contract
(``byline.errors.unhandled``), never a crash of the worker's request.

Around its own answer a layer must do what the middleware would have done
for such a request; the pieces are here:

- ``may_answer``: the ``Host`` header checked against ``ALLOWED_HOSTS`` (as
  ``CommonMiddleware`` does) and no HTTPS redirect due;
- ``is_secure``: ``request.is_secure()``, for the HTTPS redirect and headers;
- ``fixed_headers``: the headers ``SecurityMiddleware`` and
  ``XFrameOptionsMiddleware`` give any JSON answer (computed by those
  middleware once, and again when a setting changes);
- ``json_answer``: a JSON answer with them;
- ``within_request``: ``request_started`` and ``request_finished`` around the
  answer (database connections are reused and closed as for any request),
  and the answer to what fails inside: ``503`` with ``Retry-After`` when the
  database or Redis is down (``byline.outages``), else a JSON 500 logged on
  ``django.request``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.signals import request_finished, request_started, setting_changed
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.cache import patch_cache_control

from byline import errors, outages

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
Headers = list[tuple[str, str]]
Answer = tuple[str, Headers, bytes]
Route = Callable[[Environ], Answer | None]

ARTICLE_API = re.compile(r"/api/articles/[0-9]{1,19}/([a-z]+)/\Z")

logger = logging.getLogger("django.request")


class Dispatcher:
    """The site's WSGI application: each request goes to the one part that owns its path.

    ``routes`` maps the last segment of ``/api/articles/<id>/<segment>/`` to the
    function that answers it (or returns None: Django answers); ``paths`` maps other
    exact paths the same way; ``pages`` serves the other GETs and HEADs (the page
    cache, wrapping ``django``).
    """

    def __init__(
        self,
        django: WSGIApp,
        pages: WSGIApp,
        routes: Mapping[str, Route],
        paths: Mapping[str, Route] | None = None,
    ) -> None:
        self.django = django
        self.pages = pages
        self.routes = dict(routes)
        self.paths = dict(paths or {})

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self.dispatch(environ, start_response)
        except Exception as error:
            status, headers, body = errors.unhandled(environ, error)
            start_response(status, headers, sys.exc_info())
            return [body]

    def dispatch(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/api/articles/"):
            match = ARTICLE_API.match(path)
            route = self.routes.get(match[1]) if match is not None else None
            if route is not None and (answer := route(environ)) is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
            return self.django(environ, start_response)
        route = self.paths.get(path)
        if route is not None and (answer := route(environ)) is not None:
            status, headers, body = answer
            start_response(status, headers)
            return [body]
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return self.pages(environ, start_response)
        return self.django(environ, start_response)


def may_answer(environ: Environ) -> bool:
    """Whether a layer may answer here: a host Django serves, no HTTPS redirect due."""
    return serves_host(environ) and not (settings.SECURE_SSL_REDIRECT and not is_secure(environ))


@contextmanager
def request_cycle(environ: Environ) -> Iterator[None]:
    """``request_started`` and ``request_finished`` around a layer's answer."""
    request_started.send(sender=Dispatcher, environ=environ)
    try:
        yield
    finally:
        request_finished.send(sender=Dispatcher)


def within_request(
    environ: Environ,
    secure: bool,
    failure: str,
    work: Callable[[], Answer | None],
    cycle: Callable[[Environ], AbstractContextManager[None]] = request_cycle,
) -> Answer | None:
    """``work()`` inside the request cycle (``cycle``: a layer may do what the signals'
    receivers do as plain calls); what it raises is answered here: 503 with
    ``Retry-After`` when a service is down, 400 for a request Django would call
    suspicious (``SuspiciousOperation``: more fields than it reads, a malformed cookie
    name...), as Django's handler answers it, else a logged JSON 500 saying ``failure``."""
    log = outages.outage_log
    # Only while a service is down: notice it answer again (nothing runs otherwise).
    with cycle(environ), log.watch() if log.down else nullcontext():
        try:
            return work()
        except Exception as error:
            if outages.is_outage(error):  # the database or Redis is down: 503, try again
                outages.outage_log.failed(environ.get("PATH_INFO", ""), error)
                retry = [("Retry-After", str(outages.RETRY_AFTER_SECONDS))]
                return json_answer(503, errors.error_body(503, outages.MESSAGE), secure, retry)
            if isinstance(error, SuspiciousOperation):
                return json_answer(400, errors.error_body(400), secure)
            return internal_error(environ, failure, secure)


def internal_error(environ: Environ, message: str, secure: bool) -> Answer:
    """The answer to an unexpected error (call it in ``except``): logged as Django
    would, a JSON 500 with ``message``."""
    logger.error(
        "Internal Server Error: %s",
        environ.get("PATH_INFO"),
        exc_info=sys.exc_info(),
        extra={"status_code": 500},
    )
    return json_answer(500, errors.error_body(500, message), secure)


def json_answer(
    status: int, data: dict[str, Any], secure: bool, extra: Headers | None = None
) -> Answer:
    body = json.dumps(data).encode()
    headers = [*fixed_headers(secure), ("Content-Length", str(len(body))), *(extra or [])]
    return f"{status} {HTTPStatus(status).phrase}", headers, body


def is_secure(environ: Environ) -> bool:
    """``request.is_secure()`` for this environ."""
    proxy = settings.SECURE_PROXY_SSL_HEADER
    if proxy:
        header, secure_value = proxy
        value = environ.get(header)
        if value is not None:
            return bool(value.split(",", 1)[0].strip() == secure_value)
    return bool(environ.get("wsgi.url_scheme") == "https")


def serves_host(environ: Environ) -> bool:
    """Whether ``request.get_host()`` would accept this request's host."""
    if settings.USE_X_FORWARDED_HOST or settings.USE_X_FORWARDED_PORT:
        return False  # rare set-ups: let Django work the host out
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed)


@lru_cache(maxsize=2)
def fixed_headers(secure: bool) -> tuple[tuple[str, str], ...]:
    """The headers of every JSON answer: type, caching, and what the middleware adds."""
    request = HttpRequest()
    request.is_secure = lambda: secure  # type: ignore[method-assign]
    response = HttpResponse(content_type="application/json")
    patch_cache_control(response, private=True, no_store=True)
    response = SecurityMiddleware(lambda r: response).process_response(request, response)
    response = XFrameOptionsMiddleware(lambda r: response).process_response(request, response)
    return tuple(response.items())


def _settings_changed(**kwargs: object) -> None:
    fixed_headers.cache_clear()


setting_changed.connect(_settings_changed)
