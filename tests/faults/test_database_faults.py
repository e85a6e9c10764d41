"""PostgreSQL stopped or frozen under a live server: cached pages served, writes 503.

``byline run --production`` (granian) runs against a PostgreSQL cluster and a
redis-server of the test's own. The test stops (or freezes) PostgreSQL, checks
what readers get, starts it again and checks that the same server, never
restarted, takes writes again and stored exactly what it acknowledged.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from tests.faults.clients import Reader
from tests.faults.servers import PostgresServer, app_on_own_postgres_and_redis, until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PAGE_SECONDS = 2  # pages expire quickly, so the stale copy is what a reader gets


@pytest.fixture(scope="module")
def stack():
    with app_on_own_postgres_and_redis(BYLINE_PAGE_CACHE_SECONDS=str(PAGE_SECONDS)) as servers:
        yield servers


def _rows(postgres: PostgresServer, sql: str, *params: object) -> int:
    with psycopg.connect(postgres.url()) as connection:
        return int(connection.execute(sql, params).fetchone()[0])


def _article(postgres: PostgresServer) -> tuple[int, str]:
    """The demo article's number and path."""
    with psycopg.connect(postgres.url()) as connection:
        article_id, slug = connection.execute(
            "SELECT id, slug FROM articles_article ORDER BY id LIMIT 1"
        ).fetchone()
    return article_id, f"/articles/{slug}/"


def test_with_postgres_stopped_pages_are_served_and_writes_answer_503(stack):
    """Cached pages (and stale copies of expired ones) are served; votes, counts and
    comments answer 503 with Retry-After, as JSON or as a page keeping the comment;
    once PostgreSQL is back the same server takes them again."""
    postgres, _, app = stack
    article_id, article_path = _article(postgres)
    reader = Reader(base=app.base)
    for page in ("/", article_path):
        assert reader.page(page).status == 200
    postgres.stop()
    try:
        assert reader.page(article_path).status == 200
        time.sleep(PAGE_SECONDS + 0.5)  # the copies expire: rendering now fails
        for page in ("/", article_path):
            served = reader.page(page)
            assert served.status == 200, served.text[:300]
            assert served.headers["x-page-cache"] == "stale"

        never_cached = reader.page("/search/?q=anything")
        assert never_cached.status == 503 and "retry-after" in never_cached.headers
        assert "Back in a moment" in never_cached.text

        vote = Reader(base=app.base, ip="198.51.100.1").react(article_id, "happy")
        assert vote.status == 503 and int(vote.headers["retry-after"]) > 0
        assert vote.json()["error"]["status"] == 503

        counts = reader.counts(article_id)
        assert counts.status == 503 and counts.json()["error"]["status"] == 503

        json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
        reaction = reader.request("POST", "/api/comments/1/reaction/", b"{}", json_headers)
        assert reaction.status == 503 and int(reaction.headers["retry-after"]) > 0
        assert reaction.json()["error"]["status"] == 503
        shown = reader.request("GET", "/api/comments/reactions/?ids=1")
        assert shown.status == 503 and int(shown.headers["retry-after"]) > 0
        assert shown.json()["error"]["status"] == 503

        words = "Typed while the database was down, & kept <intact>."
        posted = reader.comment(article_id, words)
        assert posted.status == 503 and "retry-after" in posted.headers
        assert "Typed while the database was down, &amp; kept &lt;intact&gt;." in posted.text
        posted_json = reader.comment(article_id, words, as_json=True)
        assert posted_json.status == 503 and posted_json.json()["error"]["status"] == 503
    finally:
        postgres.start()

    voter = Reader(base=app.base, ip="198.51.100.2")
    assert until(lambda: voter.react(article_id, "sad").status == 200)
    assert reader.comment(article_id, "Back again.").status == 302
    assert _rows(postgres, "SELECT count(*) FROM engagement_reaction WHERE reaction = 'sad'") == 1
    assert _rows(postgres, "SELECT count(*) FROM engagement_reaction WHERE reaction = 'happy'") == 0
    assert _rows(postgres, "SELECT count(*) FROM discussion_comment WHERE body LIKE 'Typed%%'") == 0
    assert (
        _rows(postgres, "SELECT count(*) FROM discussion_comment WHERE body = 'Back again.'") == 1
    )
    assert "Traceback" not in app.log(), app.log()


def test_with_postgres_frozen_cached_pages_are_served_and_a_waiting_vote_lands(stack):
    """PostgreSQL frozen (SIGSTOP): cached pages keep being served by the other threads;
    a vote that was waiting on it is answered and stored once it is thawed."""
    postgres, _, app = stack
    article_id, _ = _article(postgres)
    reader = Reader(base=app.base)
    time.sleep(PAGE_SECONDS + 0.2)
    assert reader.page("/").status == 200  # rendered now: fresh for PAGE_SECONDS
    before = _rows(postgres, "SELECT count(*) FROM engagement_rating WHERE stars = 3")
    answers: list[int] = []
    postgres.freeze()
    try:
        voter = Reader(base=app.base, ip="198.51.100.3")
        waiting = threading.Thread(target=lambda: answers.append(voter.rate(article_id, 3).status))
        waiting.start()
        for _ in range(5):
            assert reader.page("/").status == 200
    finally:
        postgres.thaw()
    waiting.join(timeout=60)
    assert answers == [200]
    assert _rows(postgres, "SELECT count(*) FROM engagement_rating WHERE stars = 3") == before + 1
