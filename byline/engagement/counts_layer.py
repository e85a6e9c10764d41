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

Behind nginx, the app is asked for an article's counts only while the
article has no counts file (the view log's folder writes one for each
article being read, ``countfiles.py``): its first reader, or its first in
``countfiles.ACTIVE_SECONDS``. So the app leaves what it answered in that file
(``leave_file``) if it is still missing: the next reader's counts come from
nginx at once, not after the folder's next look; and when the app renders an
article's page (``first_served``), so that even the first reader's counts
come from the file. The folder takes the file
over at its next look (``PUBLISH_SECONDS``: a file it did not write is read
again), so the counts in it are at most that much older than a vote, as
they are in any file, and it removes it when the article goes quiet or is
taken down (the app asks the database whether the article is published just
before it writes the file, not ``actions.is_live``'s memory of it).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from byline.engagement import actions, beacon_layer, countfiles
from byline.engagement.views import COUNTS_MAX_AGE, counts_body
from byline.parsing import parse_id
from byline.wsgi_layer import Answer, Environ, fixed_headers, is_secure, may_answer, within_request

COUNTS_PATH = re.compile(r"/api/articles/([0-9]{1,19})/engagement/\Z")
FAILURE = "The counts could not be read. Please try again."

logger = logging.getLogger(__name__)


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
        leave_file(article_id, body)
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


def first_served(article: Any) -> dict[str, object]:
    """An article page's context hook (``byline.articles.hooks``), adding nothing: the
    page is being rendered, so its readers will soon ask for its counts; behind nginx
    they are left in its file now if it has none (``leave_file``), so that not even
    the first reader's beacon asks the app. A page is rendered once per change or
    expiry (the page cache), so this costs the counts' queries that seldom. Only for
    the page readers share: not a password-protected article's (never cached, and its
    counts are not public) nor an unpublished one's preview; and the counts are read
    only once the file is known to be missing and the article published."""
    if settings.BYLINE_VIEW_LOG_DIR and article.is_live and not article.is_protected:
        leave_file(article.pk, lambda: counts_body(article.pk)[0])
    return {}


def _file_of(article_id: int) -> str:
    return f"{settings.BYLINE_VIEW_LOG_DIR}/{countfiles.FOLDER}/{article_id}.json"


def leave_file(article_id: int, body: bytes | Callable[[], bytes]) -> None:
    """Write the article's counts file with ``body`` (or what it returns, asked only
    when the file is to be written) if it has none (behind nginx,
    ``BYLINE_VIEW_LOG_DIR`` set; nothing on the embedded tier). Never raises: a
    file that cannot be written is the folder's to write at its next look."""
    if not settings.BYLINE_VIEW_LOG_DIR:
        return
    path = _file_of(article_id)
    # Published, asked afresh (not as ``is_live`` remembers it): a file must not bring
    # back the counts of an article taken down a moment ago in another process.
    if os.path.exists(path) or actions.published_article(article_id) is None:
        return
    if callable(body):
        body = body()
    with countfiles.writing:  # not a file this process's fold writes meanwhile
        try:
            if not os.path.exists(path):
                countfiles.write_file(Path(path), body)
        except OSError as error:  # no counts folder yet (the folder makes it), a full disk
            logger.debug("the folder writes the counts file of %s: %s", article_id, error)
