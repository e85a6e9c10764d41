"""The lean path: votes from the article page skip the middleware they have no use for.

A vote is a small JSON POST (or DELETE) that touches neither the session,
the logged-in user, messages, static files nor old URLs, and that is
CSRF-checked by its own view (``byline.csrf.cached_page_form``). Through
Django's full stack it still pays for every middleware on the way in and
out. ``LeanVotes`` wraps the WSGI application and sends the JSON vote
endpoints, when the browser says the request is same-origin, to a second
Django handler whose middleware is the site's own list minus
``SKIPPED``. Everything else stays the same: the same views and decorators
(so the same checks, rate limits and errors), Django's request/response
cycle with its ``request_started``/``request_finished`` signals (database
connections are managed as usual), and the remaining middleware, which
sends the security headers and validates the Host header.

Requests that are not plainly same-origin (a script sending a CSRF token,
an old browser, another site) take the full stack, where the CSRF
middleware's token check lives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.utils.module_loading import import_string

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

# Middleware that does nothing for a JSON vote: static files, sessions, the
# logged-in user, messages (none is read or written by the vote views), the
# CSRF middleware (the views are exempt and check themselves) and the
# redirects of old URLs (GET and HEAD only).
SKIPPED = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "byline.articles.middleware.LegacyRedirectMiddleware",
    }
)
VOTE_PATH = re.compile(r"/api/articles/\d{1,20}/(?:reaction|rating)/\Z")
VOTE_METHODS = frozenset({"POST", "DELETE"})


def takes_lean_path(environ: dict) -> bool:
    """A JSON vote whose browser says it was sent by this site's own page."""
    return (
        environ.get("REQUEST_METHOD") in VOTE_METHODS
        and environ.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        and VOTE_PATH.match(environ.get("PATH_INFO", "")) is not None
    )


class LeanHandler(WSGIHandler):
    """Django's WSGI handler with the site's middleware minus ``SKIPPED``."""

    def middleware_paths(self) -> list[str]:
        return [path for path in settings.MIDDLEWARE if path not in SKIPPED]

    def load_middleware(self, is_async: bool = False) -> None:
        """Build the chain like Django does, for middleware that is synchronous."""
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(self.middleware_paths()):
            middleware = import_string(path)(handler)
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler


class LeanVotes:
    """Wrap Django's WSGI application: same-origin JSON votes go to ``LeanHandler``."""

    def __init__(self, app: WSGIApp, lean: WSGIApp | None = None) -> None:
        self.app = app
        self.lean = lean if lean is not None else LeanHandler()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if takes_lean_path(environ):
            return self.lean(environ, start_response)
        return self.app(environ, start_response)
