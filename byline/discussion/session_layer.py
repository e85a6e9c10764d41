"""The comment session, answered without Django's request cycle.

The article page's script asks ``GET /comments/session/?article=<id>`` once,
when the discussion comes into view (``discussion.js``): a fresh form timestamp
for the comment form, and the reader's remembered details and own comments.

- Nearly every reader has none of those: no commenter cookie, no remembered
  details, no pass for a protected article. Their answer is the same whatever
  the article: a new ``forms.form_timestamp()`` and empty lists, which this
  layer writes itself, with the headers of the site's other JSON answers (never
  stored: ``private, no-store``), reading nothing from the database. Behind the
  shipped nginx such a request never gets here: nginx answers it without a
  token (deploy/nginx.conf), and the form asks for one when the reader starts
  using it (``form=1``, answered here the same way).
- A reader with a commenter cookie or remembered details gets what
  ``views.session`` answers (the same code, ``views.session_data``, reading the
  request's query and cookies, with the database), without Django's middleware
  and URL resolving around it.
- The form's own request (``form=1``) also carries the CSRF token the form's post
  sends (``csrfToken``, as ``/api/csrf/`` answers it, setting the ``csrftoken`` cookie
  when the reader has none), and a commenter's plain session the token of the cookie
  they already hold (``views.session_data``): the script posts without asking
  ``/api/csrf/`` first. A plain session never sets that cookie.
- Either answer puts the script-readable session marker right when it disagrees
  with the reader's cookies (``readers.mark_session``): set again beside a cookie
  whose marker was removed, removed when the cookies it marked are gone.
- Anything else (an ``unlock`` pass, another method, a host Django must refuse)
  goes to Django, where ``views.session`` answers it.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from django.core.handlers.wsgi import WSGIRequest
from django.http import parse_cookie

from byline.csrf import token_cookie_headers, token_of
from byline.discussion.forms import form_timestamp
from byline.discussion.views import session_data
from byline.readers import (
    COMMENTER_COOKIE,
    REMEMBER_COOKIE,
    SESSION_MARKER,
    session_marker_headers,
)
from byline.wsgi_layer import (
    Answer,
    Environ,
    fixed_headers,
    is_secure,
    json_answer,
    may_answer,
    within_request,
)

SESSION_PATH = "/comments/session/"


def answer_session(environ: Environ) -> Answer | None:
    """The session of a reader who has none (200), or None when Django must answer."""
    if environ.get("REQUEST_METHOD") != "GET" or not may_answer(environ):
        return None
    asked = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if set(asked) - {"article", "form"}:  # form=1: the form's own request for a token
        return None
    cookies = environ.get("HTTP_COOKIE", "")
    if COMMENTER_COOKIE in cookies or REMEMBER_COOKIE in cookies:
        return _their_session(environ)
    remembered = {"name": "", "email": "", "website": ""}  # as views.remembered_details
    data = {"ts": form_timestamp(), "remembered": remembered, "pending": [], "editable": []}
    secure = is_secure(environ)
    cookie: list[tuple[str, str]] = []
    if "form" in asked:  # the form in use: the CSRF token its post sends (views.session_data)
        request = WSGIRequest(environ)
        data["csrfToken"] = token_of(request)
        cookie = token_cookie_headers(request)
    body = json.dumps(data).encode()
    headers = [*fixed_headers(secure), ("Content-Length", str(len(body))), *cookie]
    if SESSION_MARKER in cookies:  # the marker without the cookies it marks: removed
        headers.extend(session_marker_headers(parse_cookie(cookies), secure))
    return "200 OK", headers, body


def _their_session(environ: Environ) -> Answer | None:
    """The session of a reader with a commenter cookie or remembered details: what
    ``views.session`` answers (``views.session_data``, the same code, reading the
    request's query and cookies), without the middleware and URL resolving around it."""
    secure = is_secure(environ)

    def work() -> Answer:
        request = WSGIRequest(environ)
        extra = session_marker_headers(request.COOKIES, secure)
        data = session_data(request)
        # The CSRF cookie only for the form's own request: a plain session sets none,
        # not even in place of a malformed one (Django's middleware would).
        if "form" in request.GET:
            extra = [*extra, *token_cookie_headers(request)]
        return json_answer(200, data, secure, extra)

    return within_request(environ, secure, "Your comment session could not be read.", work)
