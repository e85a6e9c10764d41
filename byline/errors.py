"""One error contract for the whole site (docs/api.md, "Errors").

A JSON client (a path under ``/api/``, or a request whose ``Accept`` names
``application/json``) always gets an error of one shape, whatever raised it
(a view, a middleware, the URL resolver, Django itself)::

    {"error": {"status": 404, "code": "not_found", "message": "..."}}

A browser gets the site's own page for the status (``byline/templates/<status>.html``).
The 500 and 503 pages are rendered from a template that needs no database and
no Redis (no context processors run), because they are what readers see when
one of those has failed. Nothing in any error reveals internals: no
traceback, class name or SQL (Django logs those on ``django.request``).

- ``error_response(request, status, message, retry_after=None)`` is the one
  builder; views that refuse something call it, or ``json_error`` when they
  only ever speak JSON.
- ``bad_request``, ``permission_denied``, ``page_not_found``, ``server_error``
  are the handlers Django calls (``handler400`` … in ``byline/urls.py``) and
  ``csrf_failure`` is ``CSRF_FAILURE_VIEW``.
- ``ErrorContractMiddleware`` (outermost) gives JSON clients the JSON shape
  for the errors answered in HTML below it (``require_POST``'s 405, a
  middleware's 400) and answers oversized and malformed bodies with 413/400.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.contrib.admin.options import TO_FIELD_VAR
from django.core.exceptions import (
    BadRequest,
    FieldDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template import TemplateDoesNotExist, loader
from django.utils.cache import patch_cache_control

logger = logging.getLogger("byline.errors")

CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}
MESSAGES = {
    400: "The request could not be understood. Check what was sent and try again.",
    403: "This request is not allowed.",
    404: "There is nothing at this address.",
    405: "This address does not take this method.",
    409: "This conflicts with what is already stored.",
    413: "The request is too large.",
    429: "Too many requests. Wait a little and try again.",
    500: "Something went wrong on our side. It has been logged; please try again in a moment.",
    503: "The site cannot take this right now. Please try again in a moment.",
}
HEADINGS = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    409: "Already there",
    413: "Too large",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Back in a moment",
}
# Pages rendered without the site's context processors (no database, no Redis).
STANDALONE_PAGES = frozenset({500, 503})


def wants_json(request: HttpRequest) -> bool:
    """A JSON client: a path under /api/, or ``Accept`` naming application/json."""
    path = getattr(request, "path_info", "") or ""
    if path.startswith("/api/"):
        return True
    return "application/json" in request.META.get("HTTP_ACCEPT", "")


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    """The JSON body of every error (docs/api.md)."""
    return {
        "error": {
            "status": status,
            "code": CODES.get(status, "error"),
            "message": message or MESSAGES.get(status) or HTTPStatus(status).phrase,
        }
    }


def json_error(
    status: int, message: str | None = None, retry_after: int | None = None
) -> JsonResponse:
    """A JSON error of the documented shape, never stored by any cache."""
    response = JsonResponse(error_body(status, message), status=status)
    patch_cache_control(response, private=True, no_store=True)
    if retry_after is not None:
        response["Retry-After"] = str(max(1, int(retry_after)))
    return response


def html_error(
    request: HttpRequest | None,
    status: int,
    message: str | None = None,
    more: dict[str, Any] | None = None,
) -> HttpResponse:
    """The site's own error page for ``status``; the 500 and 503 pages touch no service.

    ``more`` is more context for the page's template (the 503 page's ``fields`` and
    ``action``: a form post to send again, see ``byline.outages``).
    """
    context = {
        "status": status,
        "heading": HEADINGS.get(status) or HTTPStatus(status).phrase,
        "message": message or MESSAGES.get(status, ""),
        **(more or {}),
    }
    standalone = {**context, **_standalone()}
    try:
        if status in STANDALONE_PAGES or request is None:
            html = loader.render_to_string(_template(status), standalone)
        else:
            html = loader.render_to_string(_template(status), context, request=request)
    except Exception:  # the chrome needs what has failed (the database): the plain page
        logger.warning("The %s page fell back to the standalone page.", status, exc_info=True)
        try:
            html = loader.render_to_string("error_standalone.html", standalone)
        except Exception:
            logger.exception("The standalone error page could not be rendered.")
            html = f"{context['heading']}. {context['message']}"
    response = HttpResponse(html, status=status)
    patch_cache_control(response, private=True, no_store=True)
    return response


def _template(status: int) -> str:
    name = f"{status}.html"
    try:
        loader.get_template(name)
    except TemplateDoesNotExist:
        return "error.html"
    return name


def _standalone() -> dict[str, Any]:
    return {"site_name": settings.BYLINE_SITE_NAME}


def error_response(
    request: HttpRequest,
    status: int,
    message: str | None = None,
    retry_after: int | None = None,
) -> HttpResponse:
    """An error for this client: JSON of the documented shape, or the site's page."""
    if wants_json(request):
        return json_error(status, message, retry_after)
    response = html_error(request, status, message)
    if retry_after is not None:
        response["Retry-After"] = str(max(1, int(retry_after)))
    return response


# Django's handlers (byline/urls.py) and CSRF failure view (settings).


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400; a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413."""
    if isinstance(exception, RequestDataTooBig):
        return error_response(request, 413, MESSAGES[413])
    if isinstance(exception, TooManyFieldsSent):
        return error_response(request, 413, "The request has too many fields.")
    return error_response(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403."""
    return error_response(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404, also for addresses the URL resolver does not know."""
    return error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: nothing that could fail again (no database, no Redis)."""
    if wants_json(request):
        return json_error(500)
    return html_error(None, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: Django's reason is for the log, not the client."""
    return error_response(
        request, 403, "This form was not sent from this site. Reload the page and try again."
    )


# The middleware.


class ErrorContractMiddleware:
    """Outermost: JSON clients get every error in the JSON shape; bodies Django cannot
    read (too large, malformed multipart) are answered 413/400, never 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            # No address or query on this site holds one, and PostgreSQL cannot store it.
            return error_response(request, 400, "An address cannot contain a NUL character.")
        response = self.get_response(request)
        if response.status_code < 400 or response.streaming:
            return response
        if wants_json(request):
            if _is_json(response):
                return response
            replacement = json_error(response.status_code)
        elif not response.content and response.status_code in HEADINGS:
            # A bare error from Django (require_POST's 405, ...): the site's own page.
            replacement = html_error(request, response.status_code)
        else:
            return response
        for header in ("Allow", "Retry-After"):
            if header in response:
                replacement[header] = response[header]
        return replacement

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return error_response(request, 413)
        if isinstance(exception, MultiPartParserError):
            return error_response(request, 400, "The form data could not be read.")
        if isinstance(exception, FieldDoesNotExist) and TO_FIELD_VAR in request.GET:
            # The admin checks a named ``_to_field`` against the fields it allows (a 400
            # for any other) but looks an empty one up: the same 400.
            return error_response(request, 400, "That field cannot be referenced.")
        return None


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


# What escapes the WSGI layers.


def unhandled(
    environ: dict[str, Any], error: Exception
) -> tuple[str, list[tuple[str, str]], bytes]:
    """The answer to what escaped everything in front of the worker (``byline.wsgi_layer``
    ``Dispatcher``), in this contract: never a crash of the worker's request.

    Django builds the request object before any middleware runs, and that can
    raise (a query string of more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields with
    a ``charset`` in the Content-Type raises ``TooManyFieldsSent``); the page
    cache and the vote layer run before Django too. Bad requests get a 400,
    anything else a logged 500, as JSON or the standalone page. Call it in ``except``.
    """
    if isinstance(error, RequestDataTooBig):
        status = 413
    elif isinstance(error, SuspiciousOperation | BadRequest | MultiPartParserError):
        status = 400
    else:
        status = 500
        logger.exception("Internal Server Error: %s", environ.get("PATH_INFO"))
    path = environ.get("PATH_INFO", "")
    if path.startswith("/api/") or "application/json" in environ.get("HTTP_ACCEPT", ""):
        response: HttpResponse = json_error(status)
    else:
        response = html_error(None, status)
    headers = [
        *response.items(),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Content-Length", str(len(response.content))),
    ]
    return f"{status} {HTTPStatus(status).phrase}", headers, response.content
