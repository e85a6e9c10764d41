"""The SQLite tier under load: 64 readers voting and commenting at once, zero errors.

``byline run --production`` (granian, two workers of 16 threads) on a real
SQLite file, as the embedded tier runs it. WAL, a busy timeout and IMMEDIATE
transactions make writers wait their turn: no "database is locked", no 5xx,
and every vote and comment acknowledged is in the file.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from pathlib import Path

import pytest

from tests.faults.clients import Reader
from tests.faults.servers import AppServer

VOTERS = 56
COMMENTERS = 8
VOTES_EACH = 8
COMMENTS_EACH = 2


@pytest.fixture(scope="module")
def sqlite_site():
    app = AppServer(
        {
            "BYLINE_WORKERS": "2",
            "BYLINE_THREADS": "16",
            "BYLINE_CLIENT_IP_HEADER": "X-Forwarded-For",
            "BYLINE_COMMENT_MIN_SECONDS": "0",
            "BYLINE_COMMENT_RATE_LIMIT": "1000",  # one e-mail address for every commenter
        }
    ).start()
    yield app
    app.close()


def _query(app: AppServer, sql: str) -> list[tuple]:
    with sqlite3.connect(Path(app.env["BYLINE_DATA_DIR"]) / "byline.sqlite3") as connection:
        return connection.execute(sql).fetchall()


def test_64_concurrent_voters_and_commenters_get_no_errors_and_lose_nothing(sqlite_site):
    """Every request is answered without a 5xx; what was acknowledged was stored."""
    app = sqlite_site
    ((article_id,),) = _query(app, "SELECT min(id) FROM articles_article")
    statuses: Counter[int] = Counter()
    reactions: dict[str, str] = {}
    comments_acknowledged: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(VOTERS + COMMENTERS)
    keys = ["happy", "sad", "excited", "sleepy", "angry", "surprise"]

    def voter(n: int) -> None:
        reader = Reader(base=app.base, ip=f"10.1.{n // 200}.{n % 200 + 1}")
        start.wait()
        for v in range(VOTES_EACH):
            key = keys[(n + v) % len(keys)]
            reply = (
                reader.react(article_id, key) if v % 2 == 0 else reader.rate(article_id, 1 + v % 5)
            )
            with lock:
                statuses[reply.status] += 1
                if reply.status == 200 and v % 2 == 0:
                    reactions[reader.cookies.get("byline_reader", str(n))] = reply.json()["mine"][
                        "reaction"
                    ]
        reader.view(article_id)

    def commenter(n: int) -> None:
        reader = Reader(base=app.base, ip=f"10.2.0.{n + 1}")
        start.wait()
        for c in range(COMMENTS_EACH):
            body = f"Commenter {n} says thing {c} about this story under load."
            reply = reader.comment(article_id, body)
            with lock:
                statuses[reply.status] += 1
                if reply.status in (201, 302, 303):
                    comments_acknowledged.append(body)

    threads = [threading.Thread(target=voter, args=(n,)) for n in range(VOTERS)]
    threads += [threading.Thread(target=commenter, args=(n,)) for n in range(COMMENTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not [status for status in statuses if status >= 500], statuses
    assert set(statuses) <= {200, 302}, statuses
    assert statuses[200] == VOTERS * VOTES_EACH
    assert "database is locked" not in app.log()
    stored = {body for (body,) in _query(app, "SELECT body FROM discussion_comment")}
    assert set(comments_acknowledged) <= stored
    assert len(comments_acknowledged) == COMMENTERS * COMMENTS_EACH
    # Each voter's last reaction is the row stored for them, and the totals agree.
    ((rows,),) = _query(app, "SELECT count(*) FROM engagement_reaction WHERE reaction != ''")
    assert rows == len(reactions)
    ((total,),) = _query(app, "SELECT coalesce(sum(count), 0) FROM engagement_reactiontally")
    assert total == rows
