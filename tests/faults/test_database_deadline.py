"""PostgreSQL frozen or slow under a live server: no request waits past the deadline.

A frozen server (SIGSTOP) answers nothing and cannot apply its own
statement_timeout, so each connection of a serving process waits for it at most
``BYLINE_DATABASE_TIMEOUT`` (plus a second for the server's own cancellation):
then readers get the last copy of a page or a clear 503 with Retry-After (JSON
for JSON clients), and the same server, never restarted, answers again once
PostgreSQL thaws. The test's client waits far longer than the deadline; without
it, these requests would wait until the thaw, which comes only after them.
"""

from __future__ import annotations

import re
import threading
import time

import psycopg
import pytest

from tests.faults.clients import Reader, Reply
from tests.faults.servers import (
    AppServer,
    PostgresServer,
    app_on_own_postgres_and_redis,
    until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PAGE_SECONDS = 2  # pages expire quickly, so the stale copy is what a reader gets
DEADLINE = "1"
EDITOR = """
from django.contrib.auth.models import User
from django.test import Client

user = User.objects.create_superuser("editor", "editor@example.org", "a long passphrase")
client = Client()
client.force_login(user)
print(client.cookies["sessionid"].value)
"""


@pytest.fixture(scope="module")
def stack():
    with app_on_own_postgres_and_redis(
        BYLINE_PAGE_CACHE_SECONDS=str(PAGE_SECONDS), BYLINE_DATABASE_TIMEOUT=DEADLINE
    ) as (postgres, redis_server, app):
        yield postgres, app


def _articles(postgres: PostgresServer) -> list[tuple[int, str]]:
    with psycopg.connect(postgres.url()) as connection:
        rows = connection.execute("SELECT id, slug FROM articles_article ORDER BY id").fetchall()
    return [(number, f"/articles/{slug}/") for number, slug in rows]


def _editor(app: AppServer) -> Reader:
    """A signed-in editor (a superuser's session cookie)."""
    made = app.shell(EDITOR)
    editor = Reader(base=app.base)
    editor.cookies["sessionid"] = made.split()[-1]
    return editor


def _unavailable(reply: Reply) -> bool:
    return reply.status == 503 and int(reply.headers["retry-after"]) > 0


def test_with_postgres_frozen_requests_that_need_it_answer_503_then_recover(stack):
    """Search (never cached), a page never rendered, the admin, the live counts and a
    vote answer 503 with Retry-After while PostgreSQL is frozen; an expired page is
    served from its last copy; after the thaw the same server answers them all."""
    postgres, app = stack
    (article_id, article_path), *others = _articles(postgres)
    never_rendered = others[-1][1]
    editor = _editor(app)
    reader = Reader(base=app.base)
    assert reader.page(article_path).status == 200
    assert reader.page("/search/?q=moths").status == 200  # the threads' connections are open
    assert editor.page("/admin/").status == 200
    time.sleep(PAGE_SECONDS + 0.5)  # the article's copy expires: rendering it needs PostgreSQL

    postgres.freeze()
    try:
        search = reader.page("/search/?q=anything")
        assert _unavailable(search), search.text[:300]
        assert "Back in a moment" in search.text
        asked_as_json = reader.request(
            "GET", "/search/?q=anything", headers={"Accept": "application/json"}
        )
        assert _unavailable(asked_as_json)
        assert asked_as_json.json()["error"]["status"] == 503
        assert _unavailable(reader.page(never_rendered))
        assert _unavailable(editor.page("/admin/discussion/comment/"))
        counts = reader.counts(article_id)
        assert _unavailable(counts) and counts.json()["error"]["status"] == 503
        vote = Reader(base=app.base, ip="198.51.100.9").react(article_id, "sad")
        assert _unavailable(vote) and vote.json()["error"]["status"] == 503

        stale = reader.page(article_path)
        assert stale.status == 200 and stale.headers["x-page-cache"] == "stale"
    finally:
        postgres.thaw()

    assert until(lambda: reader.page("/search/?q=anything").status == 200, 60)
    assert reader.page(never_rendered).status == 200
    assert editor.page("/admin/discussion/comment/").status == 200
    assert reader.counts(article_id).status == 200
    assert Reader(base=app.base, ip="198.51.100.10").react(article_id, "happy").status == 200
    assert "Traceback" not in app.log(), app.log()[-3000:]


def test_once_a_wait_ran_out_requests_fail_at_once_for_a_moment(stack):
    """After PostgreSQL let one request's wait run out, the next requests of that
    worker are answered 503 without asking it (they do not each hold a thread for
    the whole deadline); one request at a time asks again, and the first answer after
    the thaw serves them all again. The log says so in two lines, not one a request:
    the first 503, then, once PostgreSQL answers, how many 503s there were and why."""
    postgres, app = stack
    app.stop()  # a fresh worker and log: no earlier outage's line within the interval
    app.start()
    reader = Reader(base=app.base)
    assert reader.page("/search/?q=moths").status == 200
    postgres.freeze()
    try:
        for _ in range(6):  # one waits out the deadline; those right after it do not
            assert _unavailable(reader.page("/search/?q=anything"))
    finally:
        postgres.thaw()
    assert until(lambda: reader.page("/search/?q=anything").status == 200, 60)
    lines = [
        line
        for line in app.log().splitlines()
        if line.startswith(("503 for", "The database answers again"))
    ]
    assert len(lines) == 2 and lines[0].startswith("503 for /search/"), lines
    back = lines[1]
    answered_503 = re.search(r"answers again after ([0-9]+) 503s", back)
    assert answered_503 and int(answered_503[1]) >= 6, back  # the thaw may add one
    failed_at_once = re.search(r"([0-9]+) × PostgreSQL let a request's wait run out", back)
    assert failed_at_once and int(failed_at_once[1]) >= 4, back
    assert "Service Unavailable" not in app.log()  # nor Django's line for each 503
    assert "Traceback" not in app.log(), app.log()[-3000:]


def test_a_statement_stuck_behind_a_lock_is_cancelled_by_postgres(stack):
    """A slow statement (not a frozen server) is cancelled by PostgreSQL itself at the
    deadline (statement_timeout): the reader gets a 503, nothing is left waiting in
    the database, and the next search, once the lock is gone, is answered."""
    postgres, app = stack
    reader = Reader(base=app.base)
    assert reader.page("/search/?q=moths").status == 200
    with psycopg.connect(postgres.url()) as holder:
        holder.execute("LOCK TABLE articles_article IN ACCESS EXCLUSIVE MODE")
        answers: list[Reply] = []
        waiting = threading.Thread(target=lambda: answers.append(reader.page("/search/?q=x")))
        waiting.start()
        waiting.join(timeout=120)
        assert answers and _unavailable(answers[0])
        left = holder.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        ).fetchone()
        assert left == (0,)
    assert reader.page("/search/?q=moths").status == 200
    assert "Traceback" not in app.log(), app.log()[-3000:]
