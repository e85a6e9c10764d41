"""A service that is down answers 503 with Retry-After, never 500.

When the database (or, past every fallback, Redis) cannot be reached, a
request that needs it is answered ``503 Service Unavailable`` with
``Retry-After``:

- JSON clients (``/api/`` paths, ``Accept: application/json``, JSON bodies)
  get the documented error shape ``{"error": {"status": 503, "message": ...}}``;
- browsers get the site's one 503 page (``byline.errors``, ``503.html``),
  rendered without the database or Redis (no context processors). A form
  post (a comment) comes back on it with everything the reader typed, ready
  to send again.

``OutageMiddleware`` does this for Django's views (and, through
``got_request_exception``, for errors raised inside other middleware);
``byline.wsgi_layer.within_request`` gives the same JSON answer for the
layers that run before Django. Nothing here retries: the next request simply tries the
database again (Django opens a new connection), so the site recovers by
itself when the service is back. A database that stops answering without
closing its connections (frozen) is given up on after ``BYLINE_DATABASE_TIMEOUT``
(``byline.postgres``), which makes it one of these errors too. Cached pages keep
being served meanwhile (``byline.pagecache``, stale-if-error).

The log gets one warning per ``LOG_EVERY_SECONDS`` per process while a service
is down, the first at once, each saying how many 503s it stands for and why
(``OutageLog``), and a line when the service answers again, not a line a request.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import redis
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connections
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse

from byline import errors, redisconn
from byline.logthrottle import LOG_EVERY_SECONDS, ThrottledLog, reason_of

logger = logging.getLogger("byline.outages")

RETRY_AFTER_SECONDS = 10
MESSAGE = (
    "The site cannot save or load this right now: one of its services is unavailable. "
    "Nothing was lost on your side; please try again in a moment."
)
# What counts as "a service is down" (not a bug, not bad input): connection
# failures and timeouts. SQLite's "database is locked" is an OperationalError too.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    redis.ConnectionError,
    redis.TimeoutError,
)
_MARK = "byline.outage"
DATABASE, REDIS = "the database", "Redis"


def _service(error: BaseException) -> str:
    """Which service ``error`` (an outage) says is down."""
    while error is not None:
        if isinstance(error, redis.RedisError):
            return REDIS
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return DATABASE


class OutageLog(ThrottledLog):
    """The log of one process's 503s (``byline.logthrottle``): while a service is down,
    a warning at most every ``every`` seconds (the first at once) counting the 503s it
    stands for, and a line when the service answers again (``watch`` notices it)."""

    def __init__(self, every: float = LOG_EVERY_SECONDS) -> None:
        super().__init__(logger, "503s", every=every)
        self.local = threading.local()  # whether this thread's request met an outage

    def failed(self, path: str, error: BaseException) -> None:
        """A request is answered 503 because a service is down."""
        self.local.failed = True
        reason = reason_of(error)
        self.failure(_service(error), reason, "503 for %s: %s", path, reason)

    @contextmanager
    def watch(self) -> Iterator[None]:
        """Around a request: while a service is down, notice it answer again (a query
        that succeeded, Redis's breaker closed) in a request that met no outage. (A new
        PostgreSQL connection, in any thread, says so too: ``_connected``.)"""
        if not self.down:  # the usual case: nothing to do
            yield
            return
        self.local.failed = False
        queried: list[bool] = []

        def observe(execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
            result = execute(sql, params, many, context)
            queried.append(True)
            return result

        with ExitStack() as wrappers:
            if DATABASE in self.down:
                for alias in connections:
                    wrappers.enter_context(connections[alias].execute_wrapper(observe))
            yield
        if self.local.failed:
            return
        if queried and DATABASE in self.down:
            self.answered(DATABASE)
        if REDIS in self.down and redisconn.available():
            self.answered(REDIS)


outage_log = OutageLog()


def _connected(sender: object, connection: Any, **kwargs: object) -> None:
    """A new connection to a server database (PostgreSQL) is an answer too, in any
    thread (the vote caster's included). Not SQLite's: a file opens even while another
    writer holds its lock."""
    if DATABASE in outage_log.down and connection.vendor != "sqlite":
        outage_log.answered(DATABASE)


def is_outage(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) is a dependency being unavailable."""
    while error is not None:
        if isinstance(error, OUTAGE_ERRORS):
            return True
        error = error.__cause__ or error.__context__
    return False


def outage_response(request: HttpRequest) -> HttpResponse:
    """The 503 for a Django request: JSON for a JSON client (a JSON body counts), else
    the site's one 503 page, rendered without the database or Redis, carrying a
    form post's fields to send again."""
    if errors.wants_json(request) or request.content_type == "application/json":
        return _logged(errors.json_error(503, MESSAGE, RETRY_AFTER_SECONDS))
    fields: list[tuple[str, str]] = []
    if request.method == "POST":
        try:
            fields = list(request.POST.items())
        except Exception:  # noqa: S110  (an unreadable body: the page without the form)
            pass
    response = errors.html_error(request, 503, MESSAGE, {"fields": fields, "action": request.path})
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return _logged(response)


def _logged(response: HttpResponse) -> HttpResponse:
    """Mark the 503 as logged (``OutageLog`` counts it): Django would write a
    "Service Unavailable" line for each, the flood ``OutageLog`` is there to stop."""
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class OutageMiddleware:
    """Answer 503 (not 500) when a view, or another middleware, finds a service down.

    Put it first in ``MIDDLEWARE`` after the error contract's own middleware, so it
    also sees what the other middleware turned into a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with outage_log.watch():
            response = self.get_response(request)
        error = getattr(request, _MARK.replace(".", "_"), None)
        if response.status_code == 500 and error is not None:
            outage_log.failed(request.path, error)
            return outage_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_outage(exception):
            return None
        outage_log.failed(request.path, exception)
        return outage_response(request)


def _mark_outage(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    """Remember on the request that its 500 comes from a service being down."""
    error = sys.exc_info()[1]
    if request is not None and is_outage(error):
        setattr(request, _MARK.replace(".", "_"), error)


got_request_exception.connect(_mark_outage, dispatch_uid="byline.outages.mark")
connection_created.connect(_connected, dispatch_uid="byline.outages.connected")
