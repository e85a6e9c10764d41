"""The comment session of a reader who has none, answered without Django's request cycle.

The article page's script asks ``GET /comments/session/?article=<id>`` once,
when the discussion comes into view (``discussion.js``): a fresh form timestamp
for the comment form, and the reader's remembered details and own comments.
Nearly every reader has none of those: no commenter cookie, no remembered
details, no pass for a protected article. Their answer is the same whatever the
article: a new ``forms.form_timestamp()`` and empty lists (``form=1``, the form
asking for a token when the reader starts using it, changes nothing), which this layer
writes itself, with the headers of the site's other JSON answers (never
stored: ``private, no-store``), reading nothing from the database. Every other
request for the path (a cookie of the reader's, an ``unlock`` pass, another
method, a host Django must refuse) goes to Django, where ``views.session``
answers it. Behind the shipped nginx, the session of a reader who has none never
gets here unless the form asks (deploy/nginx.conf answers it without a token).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from byline.discussion.forms import form_timestamp
from byline.discussion.views import REMEMBER_COOKIE
from byline.readers import COMMENTER_COOKIE
from byline.wsgi_layer import Answer, Environ, fixed_headers, is_secure, may_answer

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
        return None
    remembered = {"name": "", "email": "", "website": ""}  # as views.remembered_details
    body = json.dumps(
        {"ts": form_timestamp(), "remembered": remembered, "pending": [], "editable": []}
    ).encode()
    headers = [*fixed_headers(is_secure(environ)), ("Content-Length", str(len(body)))]
    return "200 OK", headers, body
