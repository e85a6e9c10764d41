"""What the WSGI layers in front of Django share: answering a request before Django runs.

Four layers wrap Django's WSGI application (``byline/wsgi.py``), each
answering one kind of request itself, without Django's request cycle
(middleware, URL resolving, request and response objects), and handing
everything else to Django untouched:

- ``byline.pagecache.page_layer``: anonymous GETs of cached pages;
- ``byline.engagement.beacon_layer``: the page script's view beacon;
- ``byline.engagement.counts_layer``: GETs of an article's live counts;
- ``byline.engagement.vote_layer``: same-origin JSON votes.

Around its own answer a layer must do what the middleware would have done
for such a request; the pieces are here:

- ``serves_host``: the ``Host`` header checked against ``ALLOWED_HOSTS`` (as
  ``CommonMiddleware`` does through ``request.get_host()``);
- ``is_secure``: ``request.is_secure()``, for the HTTPS redirect and headers;
- ``fixed_headers``: the headers ``SecurityMiddleware`` and
  ``XFrameOptionsMiddleware`` give any JSON answer (computed by those
  middleware once, and again when a setting changes);
- ``json_answer``: a JSON answer with them;
- ``request_cycle``: ``request_started`` and ``request_finished`` around the
  answer, so database connections are reused and closed as for any request;
- ``internal_error``: an unexpected error logged on ``django.request`` and
  answered with a JSON 500;
- ``Layer``: the wrapper itself.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started, setting_changed
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.cache import patch_cache_control

from byline.errors import error_body

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
Headers = list[tuple[str, str]]
Answer = tuple[str, Headers, bytes]

logger = logging.getLogger("django.request")


class Layer:
    """Wrap a WSGI application; answer the requests ``takes()`` picks with ``answer()``.

    ``answer()`` returns None to hand the request to Django after all (a host
    Django must refuse, an HTTPS redirect, a body it cannot read).
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def takes(self, environ: Environ) -> bool:
        raise NotImplementedError

    def answer(self, environ: Environ) -> Answer | None:
        raise NotImplementedError

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if self.takes(environ) and (answer := self.answer(environ)) is not None:
            status, headers, body = answer
            start_response(status, headers)
            return [body]
        return self.app(environ, start_response)


def may_answer(environ: Environ) -> bool:
    """Whether a layer may answer here: a host Django serves, no HTTPS redirect due."""
    return serves_host(environ) and not (settings.SECURE_SSL_REDIRECT and not is_secure(environ))


@contextmanager
def request_cycle(sender: type, environ: Environ) -> Iterator[None]:
    """``request_started`` and ``request_finished`` around a layer's answer."""
    request_started.send(sender=sender, environ=environ)
    try:
        yield
    finally:
        request_finished.send(sender=sender)


def internal_error(environ: Environ, message: str, secure: bool) -> Answer:
    """The answer to an unexpected error (call it in ``except``): logged as Django
    would, a JSON 500 with ``message``."""
    logger.error(
        "Internal Server Error: %s",
        environ.get("PATH_INFO"),
        exc_info=sys.exc_info(),
        extra={"status_code": 500},
    )
    return json_answer(500, error_body(500, message), secure)


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
