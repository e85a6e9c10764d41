"""The comment-data download (streamed) with PostgreSQL stopped before it or while it is
sent: the reader can always tell a complete file from an incomplete one.

``byline run --production`` (granian) runs against a PostgreSQL cluster of the test's
own. granian ends a response whose body fails midway as if it were complete (the last
chunk is sent), so the file itself must say it is incomplete.
"""

from __future__ import annotations

import http.client
import json
import time

import pytest

from tests.faults.servers import AppServer, PostgresServer, missing_postgres

pytestmark = [pytest.mark.postgres]

COMMENTS = 1500  # 8 KB each: far more than the sockets between server and reader hold
SETUP = f"""
from byline.articles.models import Article
from byline.discussion.notifications import data_link_token
from tests.discussion.factory import make_comment

article = Article.objects.order_by("pk").first()
for n in range({COMMENTS}):
    make_comment(article, author_email="prolific@example.org", body="words " * 1300 + str(n))
for _ in range(3):
    print(data_link_token("prolific@example.org", "export"))
"""
FRESH_LINK = """
from byline.discussion.notifications import data_link_token
print(data_link_token("prolific@example.org", "export"))
"""


@pytest.fixture(scope="module")
def stack():
    reason = missing_postgres()
    if reason is not None:
        pytest.skip(reason)
    postgres = PostgresServer().start()
    try:
        postgres.create_database()
        app = AppServer(
            {
                "DATABASE_URL": postgres.url(),
                "BYLINE_PRELOAD_SPAM_MODEL": "off",
                "BYLINE_DATABASE_TIMEOUT": "1",
            }
        )
        app.start()
        try:
            made = app.shell(SETUP)
            yield postgres, app, made.split()[-3:]  # the last three lines
        finally:
            app.close()
    finally:
        postgres.close()


def download(app: AppServer, token: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=60)
    connection.request("GET", f"/comments/data/{token}/?download=1")
    return connection.getresponse()


def test_a_download_cut_short_by_the_database_is_not_a_valid_file(stack):
    postgres, app, (token, _, _) = stack
    answer = download(app, token)
    assert answer.status == 200
    begun = answer.read(4096)  # the server now waits for the reader to take more
    postgres.stop("immediate")
    try:
        body = begun + answer.read()
    finally:
        postgres.start()
    assert len(body) < COMMENTS * 7800  # cut short indeed
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    assert b"This file is incomplete" in body[-400:]
    assert "Traceback" not in app.log(), app.log()[-3000:]


def test_a_download_with_the_database_frozen_midway_ends_as_an_incomplete_file(stack):
    """PostgreSQL frozen (SIGSTOP) while the file is sent: the download does not hang
    until it thaws; the server gives up on it after its deadline and ends the file
    with the sentence that is not JSON."""
    postgres, app, (_, _, token) = stack
    answer = download(app, token)
    assert answer.status == 200
    begun = answer.read(4096)
    postgres.freeze()
    try:
        body = begun + answer.read()  # the reader's timeout (60 s) is far past the deadline
    finally:
        postgres.thaw()
    assert len(body) < COMMENTS * 7800
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    assert b"This file is incomplete" in body[-400:]
    assert "Traceback" not in app.log(), app.log()[-3000:]


def test_with_the_database_stopped_the_link_answers_503_and_still_works_after(stack):
    postgres, app, (_, token, _) = stack
    postgres.stop()
    try:
        answer = download(app, token)
        assert answer.status == 503 and int(answer.headers["Retry-After"]) > 0
        answer.read()
    finally:
        postgres.start()
    # A second or so after a frozen database (the test before), requests fail at once
    # (byline.postgres); a 503 leaves the link unspent, so the reader tries again.
    deadline = time.monotonic() + 30
    while (answer := download(app, token)).status == 503 and time.monotonic() < deadline:
        answer.read()
        time.sleep(0.5)
    assert answer.status == 200, app.log()[-3000:]
    assert len(json.loads(answer.read())["comments"]) == COMMENTS


def test_with_the_database_frozen_when_the_link_is_used_it_answers_503_and_works_after(stack):
    """PostgreSQL frozen before the download is asked for: spending the link cannot be
    answered, so the reader gets a 503 with Retry-After (not a file that starts and then
    says it is incomplete), the worker is not held past the deadline, and after the thaw
    the same link gives the whole file: a 503 never spent it, even once the statement
    that would have spent it reaches the thawed server."""
    postgres, app, _ = stack
    token = app.shell(FRESH_LINK).split()[-1]
    postgres.freeze()
    try:
        started = time.monotonic()
        answer = download(app, token)
        body = answer.read()
        waited = time.monotonic() - started
    finally:
        postgres.thaw()
    assert answer.status == 503 and int(answer.headers["Retry-After"]) > 0, body[:300]
    assert waited < 30, waited  # the reader's own timeout is 60 s
    deadline = time.monotonic() + 30
    while (answer := download(app, token)).status == 503 and time.monotonic() < deadline:
        answer.read()
        time.sleep(0.5)
    assert answer.status == 200, (answer.status, answer.read()[:500])
    assert len(json.loads(answer.read())["comments"]) == COMMENTS
    assert "Traceback" not in app.log(), app.log()[-3000:]
