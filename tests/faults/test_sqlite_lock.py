"""SQLite's write lock held by another writer: a request waits for it at most the deadline.

SQLite lets one writer in at a time; the others wait for the lock up to the busy
timeout. In an app server that is ``BYLINE_DATABASE_TIMEOUT`` (1 s here; it was
a fixed 10 s), then the writer that did not get the lock is answered a clear 503
with Retry-After (JSON for the page's script, the 503 page with the comment as
typed for the no-JS form), and once the other writer is done the same requests
are stored. The clients give up after 8 s: a request held for 10 s fails the test.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.faults.clients import Reader, Reply
from tests.faults.servers import AppServer

CLIENT_SECONDS = 8


@pytest.fixture(scope="module")
def sqlite_site():
    app = AppServer(
        {
            "BYLINE_DATABASE_TIMEOUT": "1",
            "BYLINE_CLIENT_IP_HEADER": "X-Forwarded-For",
            "BYLINE_COMMENT_MIN_SECONDS": "0",
        }
    ).start()
    yield app
    app.close()


def _database(app: AppServer) -> sqlite3.Connection:
    path = Path(app.env["BYLINE_DATA_DIR"]) / "byline.sqlite3"
    return sqlite3.connect(path, isolation_level=None, timeout=30)


def _unavailable(reply: Reply) -> bool:
    return reply.status == 503 and int(reply.headers["retry-after"]) > 0


def test_a_writer_behind_another_gets_a_503_then_is_stored_once_the_lock_is_free(sqlite_site):
    app = sqlite_site
    other_writer = _database(app)
    ((article_id,),) = other_writer.execute("SELECT min(id) FROM articles_article").fetchall()
    reader = Reader(base=app.base, ip="198.51.100.30", timeout=CLIENT_SECONDS)
    assert reader.page("/").status == 200

    other_writer.execute("BEGIN IMMEDIATE")  # an import, the view folder, a long save
    try:
        vote = reader.react(article_id, "sad")
        assert _unavailable(vote) and vote.json()["error"]["status"] == 503
        comment = reader.comment(article_id, "Held behind another writer, sent again later.")
        assert _unavailable(comment)
        assert "Held behind another writer, sent again later." in comment.text  # kept
        assert reader.page("/").status == 200  # readers never wait for a writer (WAL)
    finally:
        other_writer.execute("ROLLBACK")

    assert reader.react(article_id, "sad").status == 200
    assert reader.comment(article_id, "Sent again once the lock was free.").status in (302, 303)
    stored = other_writer.execute("SELECT body FROM discussion_comment").fetchall()
    assert ("Sent again once the lock was free.",) in stored
    assert ("Held behind another writer, sent again later.",) not in stored
    other_writer.close()
    log = app.log()
    assert "Traceback" not in log, log[-3000:]
    assert "503 for /api/articles/" in log and "database is locked" in log


@pytest.fixture
def sqlite_site_behind_nginx(tmp_path):
    """Behind nginx without Redis: the app's view marks are rows, as the view log's."""
    app = AppServer(
        {
            "BYLINE_DATABASE_TIMEOUT": "1",
            "BYLINE_CLIENT_IP_HEADER": "X-Forwarded-For",
            "BYLINE_VIEW_LOG_DIR": str(tmp_path),
        }
    ).start()
    yield app
    app.close()


def test_a_view_behind_another_writer_is_answered_and_not_counted(sqlite_site_behind_nginx):
    """A view the app counts waits for the write lock at most the deadline, then is
    answered as usual, uncounted (its reader's mark is not kept: their next view counts)."""
    app = sqlite_site_behind_nginx
    other_writer = _database(app)
    ((article_id,),) = other_writer.execute("SELECT min(id) FROM articles_article").fetchall()
    reader = Reader(base=app.base, ip="198.51.100.31", timeout=CLIENT_SECONDS)

    def views() -> int:  # buffered, and flushed into the totals (one snapshot)
        other_writer.execute("BEGIN")
        ((pending,),) = other_writer.execute(
            "SELECT count(*) FROM engagement_pendingview WHERE article_id = ?", (article_id,)
        ).fetchall()
        total = other_writer.execute(
            "SELECT views FROM engagement_articlestats WHERE article_id = ?", (article_id,)
        ).fetchall()
        other_writer.execute("COMMIT")
        return pending + (total[0][0] if total else 0)

    before = views()
    other_writer.execute("BEGIN IMMEDIATE")  # the view log's fold, an import
    try:
        assert reader.view(article_id).status == 204
    finally:
        other_writer.execute("ROLLBACK")
    assert views() == before
    assert reader.view(article_id).status == 204
    assert views() == before + 1
    other_writer.close()
    log = app.log()
    assert "Traceback" not in log, log[-3000:]
    assert "a view not counted: database is locked" in log
