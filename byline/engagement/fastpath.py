"""The fast path: same-origin JSON votes answered without Django's request cycle.

A vote from the article page's script is a small JSON POST (or DELETE) of a
few bytes. Through Django it pays for a request object, URL resolving,
every middleware on the way in and out and a response object, about as much
CPU as the vote itself (the database and Redis round trips). ``LeanVotes``
wraps the WSGI application and answers the votes it can prove are plain
same-origin JSON votes itself, with the same functions the API view calls
(``actions.parse_vote``, then ``check_and_cast_json_vote``, which is the one
write path ``actions.vote``), so the same
checks, rate limits, errors and answers. Around them it does what the
middleware would have done for such a request:

- the ``Host`` header is checked against ``ALLOWED_HOSTS`` (as
  ``CommonMiddleware`` does through ``request.get_host()``);
- the response carries the headers ``SecurityMiddleware`` and
  ``XFrameOptionsMiddleware`` give any JSON answer (computed by those
  middleware once, and again when a setting changes);
- ``request_started`` and ``request_finished`` are sent, so database
  connections are reused and closed as for any request. One difference:
  Django's health check (``CONN_HEALTH_CHECKS``, a ``SELECT 1`` round trip
  before a reused connection's first query) is skipped when the connection
  answered a vote less than ``TRUSTED_FOR`` seconds ago. A connection
  broken within that second (the database restarted under load) fails one
  vote with a JSON 503 and ``Retry-After`` (``byline.outages``, as for any
  vote while the database is down) that asks the reader to try again; the failed
  connection is closed and the next vote opens a new one. Nothing is
  written by a vote that fails this way (the statement never reached the
  database), and a vote answered 200 is committed;
- an unexpected error is logged on ``django.request`` and answered with a
  JSON 500.

The CSRF defence is the browser's own ``Sec-Fetch-Site: same-origin``
header, as in ``byline.csrf.came_from_this_site``. Anything else goes to
Django untouched: a request without that header (a script sending a CSRF
token, an old browser), another site's, a body that is not JSON or is
larger than ``MAX_BODY``, a host Django must refuse, an HTTPS redirect.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started, setting_changed
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.cache import patch_cache_control

from byline import outages, readers
from byline.engagement import actions
from byline.engagement.actions import VoteRefused
from byline.errors import error_body
from byline.parsing import parse_id

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
Headers = list[tuple[str, str]]
Answer = tuple[str, Headers, bytes]

VOTE_PATH = re.compile(r"/api/articles/([0-9]{1,19})/(reaction|rating)/\Z")
VOTE_METHODS = frozenset({"POST", "DELETE"})
# A vote's body is a few bytes ({"stars": 4}); anything larger takes the full stack.
MAX_BODY = 1024
# A connection that answered a vote this recently is used without a health check.
TRUSTED_FOR = 1.0
logger = logging.getLogger("django.request")


def takes_lean_path(environ: Environ) -> bool:
    """A vote whose browser says it was sent by this site's own page."""
    return (
        environ.get("REQUEST_METHOD") in VOTE_METHODS
        and environ.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        and VOTE_PATH.match(environ.get("PATH_INFO", "")) is not None
    )


class LeanVotes:
    """Wrap Django's WSGI application: answer same-origin JSON votes directly."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if takes_lean_path(environ) and (answer := answer_vote(environ)) is not None:
            status, headers, body = answer
            start_response(status, headers)
            return [body]
        return self.app(environ, start_response)


def answer_vote(environ: Environ) -> Answer | None:
    """The answer to a same-origin JSON vote, or None when Django must answer it."""
    secure = is_secure(environ)
    if not serves_host(environ) or (settings.SECURE_SSL_REDIRECT and not secure):
        return None
    if environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower() != "application/json":
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 <= length <= MAX_BODY:
        return None
    match = VOTE_PATH.match(environ["PATH_INFO"])
    if match is None:
        return None
    article_id, kind = parse_id(match[1]), match[2]
    if article_id is None:
        return None  # out of range: Django's answer (a JSON 404)
    request_started.send(sender=LeanVotes, environ=environ)
    try:
        body = environ["wsgi.input"].read(length) if length else b""
        _trust_recent_connection()
        answer = _vote(environ, article_id, kind, body, secure)
        _used_successfully()
        return answer
    except Exception as error:
        if outages.is_outage(error):  # the database or Redis is down: 503, try again
            logger.warning("503 for %s: %s", environ.get("PATH_INFO"), error)
            return outages.outage_answer(environ, fixed_headers(secure))
        logger.error(
            "Internal Server Error: %s",
            environ.get("PATH_INFO"),
            exc_info=sys.exc_info(),
            extra={"status_code": 500},
        )
        return json_answer(
            500, error_body(500, "The vote could not be taken. Please try again."), secure
        )
    finally:
        request_finished.send(sender=LeanVotes)


def _trust_recent_connection() -> None:
    """Skip the health check of a connection that answered a vote within ``TRUSTED_FOR``."""
    connection = connections[DEFAULT_DB_ALIAS]
    used_at: float | None = getattr(connection, "byline_vote_answered_at", None)
    if (
        used_at is not None
        and connection.connection is not None
        and not connection.errors_occurred
        and time.monotonic() - used_at < TRUSTED_FOR
    ):
        connection.health_check_done = True  # type: ignore[attr-defined]


def _used_successfully() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.connection is not None and not connection.errors_occurred:
        connection.byline_vote_answered_at = time.monotonic()  # type: ignore[attr-defined]


def _vote(environ: Environ, article_id: int, kind: str, body: bytes, secure: bool) -> Answer:
    try:
        payload = actions.parse_json_object(body) if environ["REQUEST_METHOD"] == "POST" else None
        choice = actions.parse_vote(kind, payload)
        cookie = parse_cookie(environ.get("HTTP_COOKIE", "")).get(settings.BYLINE_READER_COOKIE)
        voter, answer = actions.check_and_cast_json_vote(
            kind,
            article_id,
            readers.reader_from_cookie(cookie),
            readers.client_ip_of(environ),
            choice,
        )
    except VoteRefused as refused:
        extra = []
        if refused.status == 429:
            extra.append(("Retry-After", str(readers.seconds_left_in_window())))
        return json_answer(
            refused.status, error_body(refused.status, refused.message), secure, extra
        )
    extra = [("Set-Cookie", _reader_cookie(voter.reader))] if voter.new_reader else []
    return json_answer(200, answer, secure, extra)


def json_answer(
    status: int, data: dict[str, Any], secure: bool, extra: Headers | None = None
) -> Answer:
    body = json.dumps(data).encode()
    headers = [*fixed_headers(secure), ("Content-Length", str(len(body))), *(extra or [])]
    return f"{status} {HTTPStatus(status).phrase}", headers, body


def _reader_cookie(reader: str) -> str:
    """The ``Set-Cookie`` value ``readers.remember_reader`` gives a new reader."""
    response = HttpResponse()
    readers.remember_reader(response, reader)
    return response.cookies[settings.BYLINE_READER_COOKIE].output(header="").strip()


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
