"""The vote layer: same-origin JSON votes answered without Django's request cycle.

A vote from the article page's script is a small JSON POST (or DELETE) of a
few bytes. Through Django it pays for a request object, URL resolving,
every middleware on the way in and out and a response object, about as much
CPU as the vote itself (the database and Redis round trips). So the site's
dispatcher (``byline.wsgi_layer``) hands ``/api/articles/<id>/reaction/`` and
``.../rating/`` here, and ``answer_vote`` answers the votes it can prove are
plain same-origin JSON votes itself, with the same functions the API view
calls (``actions.parse_vote``, then ``actions.vote``, the one write path of
every vote), so the same checks, rate limits, errors and answers. Around
them it does what the middleware would have done for such a request
(``byline.wsgi_layer``: the host check, the security headers, the work of
``request_started``'s and ``request_finished``'s receivers, 503 with ``Retry-After`` while
the database or Redis is down, a logged JSON 500 for anything else). One
difference: Django's health check (``CONN_HEALTH_CHECKS``, a ``SELECT 1``
round trip before a reused connection's first query) is skipped when the
connection answered a vote less than ``TRUSTED_FOR`` seconds ago
(``postgres.trust``: a server frozen since is found out after about 2 s, not
the whole deadline; the vote's statement, cut off by the server's clock at
those 2 s, does nothing when the server thaws: ``byline.postgres.cutoff``).
A connection broken since (the database restarted) is closed and the vote
cast again on a new one (``postgres.again_if_dropped``: a vote states the
reader's choice, so casting it twice changes nothing), answered 200; only a
server still down answers the reader 503. A vote answered 200 is committed.

The CSRF defence is the browser's own ``Sec-Fetch-Site: same-origin``
header, as in ``byline.csrf.came_from_this_site``. Anything else goes to
Django untouched: a request without that header (a script sending a CSRF
token, an old browser), another site's, a body that is not JSON or is
larger than ``MAX_BODY``, a host Django must refuse, an HTTPS redirect.

The layer reads its own input, and only the plain case: the id is the
route's 1 to 19 ASCII digits (``VOTE_PATH``), in range; the body is one flat
JSON object as the page's script sends it (``{"reaction": "happy"}``,
``{"stars": null}``), which cannot nest, so ``json.loads`` is safe on it. A
body that is anything else (nested, an array, not JSON) is handed back to
Django with its bytes, where ``views.reaction_api`` parses it with the
site's guards for hostile input (``byline.parsing``) and answers the 400.

The page's script sends its votes in the query string instead, with no body
(``POST .../reaction/?reaction=happy``, ``?stars=`` withdraws): a request
nginx can take and log itself. The layer answers those too, reading the
query with the API view's function (``actions.query_vote``: the same
payload, the same 400s); a query with a body or a Content-Type other than
JSON, or on a DELETE, goes to Django, which refuses or parses it.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http.cookie import parse_cookie

from byline import db, postgres, readers
from byline.engagement import actions
from byline.engagement.actions import VoteRefused
from byline.errors import error_body
from byline.parsing import MAX_ID
from byline.postgres import cutoff
from byline.wsgi_layer import Answer, Environ, is_secure, json_answer, may_answer, within_request

VOTE_PATH = re.compile(r"/api/articles/([0-9]{1,19})/(reaction|rating)/\Z")
VOTE_METHODS = frozenset({"POST", "DELETE"})
# A vote's body is a few bytes ({"stars": 4}); anything larger takes the full stack.
MAX_BODY = 1024
JSON = "application/json"
# A connection that answered a vote this recently is used without a health check: a
# vote's statements are all cast again on a new connection if the kept one was dropped
# (``postgres.again_if_dropped``), and a vote's statement sent into a server frozen since
# does nothing when it thaws after the app gave up on it (a 503): it is cut off by the
# server's clock (``byline.postgres.cutoff``). Only a connection that knows its server's
# clock (one vote cast on it) is trusted. Not longer: a connection idle for minutes may
# have been cut silently.
TRUSTED_FOR = 30.0
FAILURE = "The vote could not be taken. Please try again."


def takes_lean_path(environ: Environ) -> bool:
    """A vote whose browser says it was sent by this site's own page."""
    return _lean_vote(environ) is not None


def _lean_vote(environ: Environ) -> re.Match[str] | None:
    if (
        environ.get("REQUEST_METHOD") in VOTE_METHODS
        and environ.get("HTTP_SEC_FETCH_SITE") == "same-origin"
    ):
        return VOTE_PATH.match(environ.get("PATH_INFO", ""))
    return None


def answer_vote(environ: Environ) -> Answer | None:
    """The answer to a same-origin JSON vote, or None when Django must answer it."""
    match = _lean_vote(environ)
    if match is None or not may_answer(environ):
        return None
    content_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    query = environ.get("QUERY_STRING", "")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if query:  # the page's script: POST ?reaction=happy, no body (nor Content-Type)
        if length or environ["REQUEST_METHOD"] != "POST" or content_type not in ("", JSON):
            return None  # Django refuses it (a choice sent twice), or parses the form
        if "\x00" in unquote(query):
            return None  # refused as every address with a NUL (``byline.errors``)
    elif content_type != JSON or not 0 <= length <= MAX_BODY:
        return None
    article_id, kind = int(match[1]), match[2]  # VOTE_PATH: 1 to 19 ASCII digits
    if not 0 < article_id <= MAX_ID:
        return None  # out of range: Django's answer (a JSON 404)
    body = environ["wsgi.input"].read(length) if length else b""
    payload = None  # a DELETE withdraws (a query's vote is read within the request)
    if environ["REQUEST_METHOD"] == "POST" and not query:
        payload = plain_vote(body)
        if payload is None:  # Django parses it: give it the bytes again
            environ["wsgi.input"] = io.BytesIO(body)
            return None
    secure = is_secure(environ)

    def vote() -> Answer:
        _trust_recent_connection()
        answer = _vote(environ, article_id, kind, payload, query, secure)
        _used_successfully()
        return answer

    return within_request(environ, secure, FAILURE, vote, _vote_cycle)


@contextmanager
def _vote_cycle(environ: Environ) -> Iterator[None]:
    """What the receivers of ``request_started`` and ``request_finished`` do for a vote,
    as plain calls (sending the two signals was a fifth of a vote's request thread):
    the reads of the request may go to a replica again (``byline.db``), and the
    database connections that failed or outlived ``CONN_MAX_AGE`` are closed before
    and after (``close_old_connections``). The others have nothing to do for a vote:
    it sets no URLconf, logs no queries outside ``DEBUG`` and uses no cache backend."""
    db.unpin()
    _close_old_connections()
    try:
        yield
    finally:
        _close_old_connections()


def _close_old_connections() -> None:
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:  # a vote inside a test's transaction
            connection.close_if_unusable_or_obsolete()


def plain_vote(body: bytes) -> dict[str, Any] | None:
    """The body of a plain vote, one flat JSON object; None for any other body.

    One ``{`` and no ``[``: nothing nests, so decoding it cannot recurse. UTF-8
    only, as ``byline.parsing.loads_json`` reads JSON.
    """
    if body.count(b"{") != 1 or b"[" in body:
        return None
    try:
        data = json.loads(body.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError included
        return None
    return data if isinstance(data, dict) else None


def _trust_recent_connection() -> None:
    """Skip the health check of a connection that answered a vote within ``TRUSTED_FOR``
    and cuts its vote statements off where the app stops waiting (``cutoff.covered``)."""
    connection = connections[DEFAULT_DB_ALIAS]
    used_at: float | None = getattr(connection, "byline_vote_answered_at", None)
    if (
        used_at is not None
        and connection.connection is not None
        and not connection.errors_occurred
        and time.monotonic() - used_at < TRUSTED_FOR
        and cutoff.covered(connection)
    ):
        postgres.trust(connection)


def _used_successfully() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.connection is not None and not connection.errors_occurred:
        connection.byline_vote_answered_at = time.monotonic()  # type: ignore[attr-defined]


def _vote(
    environ: Environ,
    article_id: int,
    kind: str,
    payload: dict[str, Any] | None,
    query: str,
    secure: bool,
) -> Answer:
    try:
        if query:
            payload = actions.query_vote(kind, query, has_body=False)
        choice = actions.parse_vote(kind, payload)
        cookie = parse_cookie(environ.get("HTTP_COOKIE", "")).get(settings.BYLINE_READER_COOKIE)
        voter, mine, figures = actions.vote(
            kind,
            article_id,
            readers.reader_from_cookie(cookie),
            readers.client_ip_of(environ),
            choice,
        )
    except VoteRefused as refused:
        extra = []
        if refused.status == 429:
            extra.append(("Retry-After", str(readers.seconds_left_in_window())))
        return json_answer(
            refused.status, error_body(refused.status, refused.message), secure, extra
        )
    extra = [("Set-Cookie", readers.reader_cookie_header(voter.reader))] if voter.new_reader else []
    return json_answer(200, actions.vote_json(kind, voter, mine, figures), secure, extra)
