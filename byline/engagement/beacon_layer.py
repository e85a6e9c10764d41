"""The view beacon answered without Django's request cycle, with the counts.

Every page view sends one beacon (``POST /api/articles/<id>/view/``); on a
busy night it is the request the app answers most. Through Django it pays for
URL resolving and every middleware on the way in and out, several times what
counting the view costs. So the site's dispatcher (``byline.wsgi_layer``)
hands the beacon's path here, as it hands votes to ``vote_layer``, and
``answer_view`` answers the beacons the page's script sends (same-origin,
asking for JSON) itself:

- the view is counted by the same action as always, ``actions.count_view``
  (bots, repeats within 30 minutes and the per-address limit are not counted);
  whether the buffered views are due to be flushed is asked at most once a
  second per process;
- the answer is the counts JSON (``views.counts``' body and ETag), so the
  page needs no second request (for an article that is not published, the
  counts' JSON 404, as nginx answers it); it is the same for every reader, so it is
  kept in this process for ``COUNTS_SECONDS`` per article (as nginx keeps
  the counts GET): the views a reader sees may lag a second behind;
- a browser holding a commenter cookie or remembered details without the comment
  session marker (a reader who commented before the marker existed) gets the marker
  on the answer (``readers.beacon_marker``), as nginx's beacon does; no other reader
  gets a cookie;
- the host check, the security headers, ``request_started`` /
  ``request_finished`` (so database connections are reused and closed as for
  any request) and the answer to a failure (503 with ``Retry-After`` while the
  database or Redis is down) are those of ``byline.wsgi_layer``.

Behind the shipped nginx configuration the page script's beacons do not reach
this layer at all: nginx answers them from its counts micro-cache and writes
the view to its view log, which ``viewlog`` folds into the totals in batches
(docs/deploy.md). This layer answers the beacons nginx hands on, and every
beacon on a server without nginx (the embedded tier).

Anything else (no ``Sec-Fetch-Site: same-origin``, no ``Accept:
application/json``, a host Django must refuse, an HTTPS redirect) goes to
Django untouched, where ``views.view_beacon`` answers it the same way.
"""

from __future__ import annotations

import re
import time

from django.core.handlers.wsgi import WSGIRequest

from byline.engagement import actions, viewbuffer
from byline.engagement.views import NO_ARTICLE, counts_body
from byline.errors import error_body
from byline.parsing import parse_id
from byline.readers import beacon_marker
from byline.wsgi_layer import (
    Answer,
    Environ,
    fixed_headers,
    is_secure,
    json_answer,
    may_answer,
    within_request,
)

VIEW_PATH = re.compile(r"/api/articles/([0-9]{1,19})/view/\Z")
COUNTS_SECONDS = 1.0
FLUSH_CHECK_SECONDS = 1.0
FAILURE = "The view could not be counted. Please reload the page."

_counts: dict[int, tuple[float, bytes, str]] = {}
_next_flush_check = 0.0


def takes_lean_path(environ: Environ) -> bool:
    """A beacon the page's own script sent, asking for the counts."""
    return (
        environ.get("REQUEST_METHOD") == "POST"
        and environ.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        and "application/json" in environ.get("HTTP_ACCEPT", "")
        and VIEW_PATH.match(environ.get("PATH_INFO", "")) is not None
    )


def answer_view(environ: Environ) -> Answer | None:
    """Count the view and answer the counts, or None when Django must answer."""
    if not takes_lean_path(environ) or not may_answer(environ):
        return None
    secure = is_secure(environ)
    match = VIEW_PATH.match(environ["PATH_INFO"])
    article_id = parse_id(match[1]) if match is not None else None
    if article_id is None:
        return None

    def view() -> Answer:
        actions.count_view(WSGIRequest(environ), article_id)
        maybe_flush()
        marker = beacon_marker(environ.get("HTTP_COOKIE", ""), secure)
        counts = counts_of(article_id)
        if counts is None:  # not published: what nginx answers (the counts' 404)
            return json_answer(404, error_body(404, NO_ARTICLE), secure, marker)
        body, etag = counts
        headers = [*fixed_headers(secure), ("Content-Length", str(len(body))), ("ETag", etag)]
        return "200 OK", [*headers, *marker], body

    return within_request(environ, secure, FAILURE, view)


def maybe_flush() -> None:
    """``viewbuffer.maybe_flush()``, asked at most once a second by this process
    (it costs a cache round trip; the flush itself is due every few seconds)."""
    global _next_flush_check
    now = time.monotonic()
    if now >= _next_flush_check:
        _next_flush_check = now + FLUSH_CHECK_SECONDS
        viewbuffer.maybe_flush()


def counts_of(article_id: int) -> tuple[bytes, str] | None:
    """The counts JSON and ETag of a live article, kept ``COUNTS_SECONDS``; None if not live."""
    now = time.monotonic()
    kept = _counts.get(article_id)
    if kept is not None and kept[0] > now:
        return kept[1], kept[2]
    if not actions.is_live(article_id):
        _counts.pop(article_id, None)
        return None
    body, etag = counts_body(article_id)
    if len(_counts) > 10_000:
        _counts.clear()
    _counts[article_id] = (now + COUNTS_SECONDS, body, etag)
    return body, etag
