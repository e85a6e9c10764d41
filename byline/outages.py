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
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import redis
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from byline import errors

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
        return errors.json_error(503, MESSAGE, RETRY_AFTER_SECONDS)
    fields: list[tuple[str, str]] = []
    if request.method == "POST":
        try:
            fields = list(request.POST.items())
        except Exception:  # noqa: S110  (an unreadable body: the page without the form)
            pass
    response = errors.html_error(request, 503, MESSAGE, {"fields": fields, "action": request.path})
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class OutageMiddleware:
    """Answer 503 (not 500) when a view, or another middleware, finds a service down.

    Put it first in ``MIDDLEWARE`` after the error contract's own middleware, so it
    also sees what the other middleware turned into a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _MARK.replace(".", "_"), False):
            return outage_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_outage(exception):
            return None
        logger.warning("503 for %s: %s", request.path, exception)
        return outage_response(request)


def _mark_outage(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    """Remember on the request that its 500 comes from a service being down."""
    if request is not None and is_outage(sys.exc_info()[1]):
        setattr(request, _MARK.replace(".", "_"), True)


got_request_exception.connect(_mark_outage, dispatch_uid="byline.outages.mark")
