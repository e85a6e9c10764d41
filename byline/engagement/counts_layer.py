"""The counts layer: the live counts JSON answered without Django's request cycle.

Behind the shipped nginx configuration the app is asked for an article's
counts (``GET /api/articles/<id>/engagement/``) at most about once a second
per article, by nginx refreshing its micro-cached copy, whatever the number of
readers; the view beacons and the readers' refreshes are answered from that
copy. Those requests are then most of what the app answers on a busy night,
so the site's dispatcher (``byline.wsgi_layer``) hands them here, and this
layer answers them itself with what ``views.counts`` answers: the same JSON
and ETag (``beacon_layer.counts_of``, kept ``beacon_layer.COUNTS_SECONDS`` in
this process), a 304 to
``If-None-Match`` when unchanged (nginx revalidates its copy this way), and
``Cache-Control: public, max-age=2``. Anything else (an article that is not
published: its JSON 404; a query string; a host Django must refuse) goes to
Django, where ``views.counts`` answers it.
"""

from __future__ import annotations

import re

from byline.engagement import beacon_layer
from byline.engagement.views import COUNTS_MAX_AGE
from byline.parsing import parse_id
from byline.wsgi_layer import Answer, Environ, fixed_headers, is_secure, may_answer, within_request

COUNTS_PATH = re.compile(r"/api/articles/([0-9]{1,19})/engagement/\Z")
FAILURE = "The counts could not be read. Please try again."


def takes_lean_path(environ: Environ) -> bool:
    """A plain GET (or HEAD) of an article's counts."""
    return (
        environ.get("REQUEST_METHOD") in ("GET", "HEAD")
        and not environ.get("QUERY_STRING")
        and COUNTS_PATH.match(environ.get("PATH_INFO", "")) is not None
    )


def answer_counts(environ: Environ) -> Answer | None:
    """The counts (200 or 304), or None when Django must answer."""
    if not takes_lean_path(environ) or not may_answer(environ):
        return None
    match = COUNTS_PATH.match(environ["PATH_INFO"])
    article_id = parse_id(match[1]) if match is not None else None
    if article_id is None:
        return None
    secure = is_secure(environ)

    def counts() -> Answer | None:
        beacon_layer.maybe_flush()
        counts = beacon_layer.counts_of(article_id)
        if counts is None:
            return None  # not published: Django's JSON 404
        body, etag = counts
        headers = [
            (name, value)
            for name, value in fixed_headers(secure)
            if name.lower() != "cache-control"
        ]
        headers += [("Cache-Control", f"public, max-age={COUNTS_MAX_AGE}"), ("ETag", etag)]
        sent = [
            tag.strip().removeprefix("W/")
            for tag in environ.get("HTTP_IF_NONE_MATCH", "").split(",")
        ]
        if etag in sent or "*" in sent:
            return "304 Not Modified", [h for h in headers if h[0] != "Content-Type"], b""
        headers.append(("Content-Length", str(len(body))))
        if environ["REQUEST_METHOD"] == "HEAD":
            body = b""
        return "200 OK", headers, body

    return within_request(environ, secure, FAILURE, counts)
