"""A service that is down answers 503 with Retry-After, never 500.

When the database (or, past every fallback, Redis) cannot be reached, a
request that needs it is answered ``503 Service Unavailable`` with
``Retry-After``:

- JSON clients (``/api/`` paths, ``Accept: application/json``, JSON bodies)
  get the documented error shape ``{"error": {"status": 503, "message": ...}}``;
- browsers get a small page of its own, rendered without the database or
  Redis (no base template, no context processors). A form post (a comment)
  comes back on it with everything the reader typed, ready to send again.

``OutageMiddleware`` does this for Django's views (and, through
``got_request_exception``, for errors raised inside other middleware);
``outage_answer()`` is the same answer for the WSGI layers that run
before Django. Nothing here retries: the next request simply tries the
database again (Django opens a new connection), so the site recovers by
itself when the service is back. Cached pages keep being served meanwhile
(``byline.pagecache``, stale-if-error).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

import redis
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.utils.cache import patch_cache_control

from byline.errors import error_body as contract_body

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


def wants_json(path: str, accept: str, content_type: str) -> bool:
    return (
        path.startswith("/api/")
        or "application/json" in accept
        or content_type.split(";", 1)[0].strip().lower() == "application/json"
    )


def error_body(message: str = MESSAGE) -> dict[str, Any]:
    """The error contract's body (byline/errors.py) for a 503."""
    return contract_body(503, message)


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Temporarily unavailable</title>
<style>
body{font:1.0625rem/1.6 system-ui,sans-serif;color:#1a1a1a;background:#fdfcf9;margin:0}
main{max-width:40rem;margin:3rem auto;padding:0 1.25rem}
h1{font-family:Georgia,serif;font-size:1.75rem;line-height:1.2}
textarea{width:100%;min-height:10rem;font:inherit;padding:.5rem;box-sizing:border-box}
button{font:inherit;padding:.5rem 1.25rem;background:#1a1a1a;color:#fff;border:0;border-radius:3px}
a{color:#0b57a4}
</style>
</head>
<body>
<main>
<h1>Temporarily unavailable</h1>
<p>{{ message }}</p>
{% if fields %}<form method="post" action="{{ action }}">
{% for name, value in fields %}{% if name == "body" %}
<p><label for="outage-body">Your comment, as you wrote it</label></p>
<textarea id="outage-body" name="body">{{ value }}</textarea>
{% else %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endif %}{% endfor %}
<p><button type="submit">Send again</button></p>
</form>{% endif %}
<p><a href="/">Back to the front page</a></p>
</main>
</body>
</html>
"""


def _page(fields: list[tuple[str, str]], action: str) -> bytes:
    template = engines["django"].from_string(_PAGE)
    return template.render({"message": MESSAGE, "fields": fields, "action": action}).encode()


def outage_response(request: HttpRequest) -> HttpResponse:
    """The 503 for a Django request (JSON or the page, see the module docstring)."""
    if wants_json(
        request.path, request.headers.get("Accept", ""), request.headers.get("Content-Type", "")
    ):
        response = HttpResponse(
            json.dumps(error_body()), content_type="application/json", status=503
        )
    else:
        fields: list[tuple[str, str]] = []
        if request.method == "POST":
            try:
                fields = [(name, value) for name, value in request.POST.items()]
            except Exception:  # noqa: S110  (an unreadable body: the page without the form)
                pass
        response = HttpResponse(_page(fields, request.path), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    patch_cache_control(response, private=True, no_store=True)
    return response


def outage_answer(
    environ: Mapping[str, Any], headers: Iterable[tuple[str, str]] = ()
) -> tuple[str, list[tuple[str, str]], bytes]:
    """The JSON 503 for a request answered before Django (the vote layer):
    status line, headers (``headers`` first, e.g. the security ones) and body."""
    body = json.dumps(error_body()).encode()
    kept = [(n, v) for n, v in headers if n.lower() not in {"content-length", "content-type"}]
    return (
        f"503 {HTTPStatus(503).phrase}",
        [
            *kept,
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Retry-After", str(RETRY_AFTER_SECONDS)),
        ],
        body,
    )


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
