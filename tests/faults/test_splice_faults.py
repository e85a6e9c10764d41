"""Redis or PostgreSQL stopped or frozen in the middle of a comment's splice.

A published comment's page is drawn again in the request that published it, after the
commit: its stored copy has the changed parts drawn again and spliced in
(``page_layer.PageCacheApp.splice``, ``discussion.splice``), then it is stored (memory,
Redis, the page file and its lists) and the purge is sent (``store.PageStore.purge``).
Any fault there falls back to drawing the page whole, then to the purge alone.

The real app (granian, two workers, page files) runs on a PostgreSQL cluster and a
redis-server of the test's own. Its splice waits, once, at the point a test names
(``at_splice/sitecustomize.py``: before the splice's reads from PostgreSQL, or after
them, before the page is stored) while the test stops or freezes the service; then it
goes on against the real server as it is. What must hold (docs/comments.md, docs/
deploy.md "When a service fails"): the commenter is answered (the comment is committed
before the splice: it is published, and the answer says so), within the services'
deadlines; readers keep getting the page; and once the service is back, without a
restart, every answer shows the comment (no copy from before it is kept anywhere, on
either worker, in Redis or as a file).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest

from byline.postgres import GRACE_SECONDS
from tests.faults.clients import Reader, Reply
from tests.faults.servers import AppServer, own_postgres_and_redis, until
from tests.faults.test_frozen_page_files import Readers

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

HOOK = Path(__file__).parent / "at_splice"
TIMEOUT = 1.0  # Redis's and PostgreSQL's deadline, seconds
SYNC = 1.0  # how often each worker reads the purge log and the generation


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    meeting = tmp_path_factory.mktemp("splice")
    with own_postgres_and_redis() as (postgres, redis_server):
        app = AppServer(
            {
                "DATABASE_URL": postgres.url(),
                "REDIS_URL": redis_server.url(),
                "PYTHONPATH": str(HOOK),
                "BYLINE_TEST_SPLICE_FOLDER": str(meeting),
                "BYLINE_PAGE_FILES_DIR": str(meeting / "pages"),
                "BYLINE_DATABASE_TIMEOUT": str(int(TIMEOUT)),
                "BYLINE_REDIS_TIMEOUT": str(TIMEOUT),
                "BYLINE_REDIS_RETRY_SECONDS": "0.5",
                "BYLINE_PAGE_CACHE_SYNC_SECONDS": str(SYNC),
                "BYLINE_PAGE_CACHE_SECONDS": "3600",
                "BYLINE_COMMENT_MIN_SECONDS": "0",
                "BYLINE_COMMENT_RATE_LIMIT": "1000",
                "BYLINE_SPAM_BACKEND": "byline.antispam.backends.DummyBackend",
                "BYLINE_SPAM_FIRST_COMMENT": "publish",
            },
            workers=2,
        ).start()
        try:
            with psycopg.connect(postgres.url()) as connection:
                article, slug = connection.execute(
                    "SELECT id, slug FROM articles_article ORDER BY id LIMIT 1"
                ).fetchone()
            yield {
                "postgres": postgres,
                "redis": redis_server,
                "app": app,
                "meeting": meeting,
                "id": article,
                "path": f"/articles/{slug}/",
            }
        finally:
            app.close()


def shows(stack: dict, words: str, times: int = 12) -> bool:
    """Whether ``times`` answers in a row (both workers) show ``words``."""
    reader = Reader(base=stack["app"].base, timeout=60)
    for _ in range(times):
        answer = reader.page(stack["path"])
        if answer.status != 200 or words not in answer.text:
            return False
    return True


def files_show(stack: dict, words: str) -> bool:
    """Whether the article's page file nginx would serve (under ``current``), if there is
    one, shows ``words``: none is kept from before."""
    current = stack["meeting"] / "pages" / "current"
    found = list(current.rglob(stack["path"].strip("/") + "/index.html"))
    return all(words.encode() in p.read_bytes() for p in found)


def post(stack: dict, words: str, ip: str) -> tuple[Reply, float]:
    reader = Reader(base=stack["app"].base, ip=ip, timeout=120)
    started = time.monotonic()
    answer = reader.comment(stack["id"], words, as_json=True)
    return answer, time.monotonic() - started


def published(answer: Reply) -> bool:
    return answer.status in (200, 201) and answer.json().get("status") == "approved"


def ready(stack: dict, label: str) -> float:
    """A comment published with every service answering, its page spliced and shown:
    how long its POST took."""
    words = f"Before the fault ({label})."
    answer, took = post(stack, words, "198.51.100.20")
    assert published(answer), answer.text[:300]
    assert until(lambda: shows(stack, words), 30), "the page does not show the comment"
    return took


def with_a_fault_in_the_splice(stack: dict, point: str, fault, recover, label: str) -> None:
    meeting: Path = stack["meeting"]
    for name in ("armed", "reached", "go"):
        (meeting / name).unlink(missing_ok=True)
    assert Reader(base=stack["app"].base).page(stack["path"]).status == 200
    took_before = ready(stack, label)
    logged = len(stack["app"].log())

    words = f"Published while the splice met a fault ({label})."
    (meeting / "armed").write_text(point)
    answers: list[tuple[Reply, float]] = []
    poster = threading.Thread(target=lambda: answers.append(post(stack, words, "198.51.100.21")))
    base = stack["app"].base  # (no nginx here: each of the readers asks the app)
    with Readers({"nginx": base, "app": base}, stack["path"]) as readers:
        poster.start()
        assert until(lambda: (meeting / "reached").exists(), 60), "the splice was not reached"
        fault()
        faulted_at = time.monotonic()
        (meeting / "go").write_text("")
        poster.join(120)
        assert answers, "the commenter got no answer"
        answer, took = answers[0]
        time.sleep(2 * TIMEOUT)  # readers keep asking while the fault lasts
        recover()
        recovered_at = time.monotonic()
        # Back without a restart: every answer shows the comment, and every page file.
        assert until(lambda: shows(stack, words), 60), "a copy from before the comment is kept"
        assert until(lambda: files_show(stack, words), 30), "a page file from before is kept"
        time.sleep(2 * SYNC)
    said = [(round(a.sent - faulted_at, 2), round(a.took, 2), a.status) for a in readers.answers]

    assert published(answer), (answer.status, answer.text[:300])
    # What the POST may wait: a service's deadline (PostgreSQL's with its grace,
    # ``byline.postgres``) for the splice's question, one for the whole page's or the
    # purge's, one Redis timeout for a page folder's lock; besides as long as a POST took
    # with the services answering, doubled for a loaded machine.
    waits = 2 * (TIMEOUT + GRACE_SECONDS) + TIMEOUT
    assert took < waits + 2 * took_before, (took, took_before)
    during = [a for a in readers.answers if faulted_at <= a.sent < recovered_at]
    assert during and all(a.status == 200 for a in during), said
    assert all(words in a.body for a in readers.since(recovered_at + 2 * SYNC))
    assert shows(stack, words)
    log = stack["app"].log()[logged:]  # this test's lines
    assert "Internal Server Error" not in log and " 500 " not in log, log[-3000:]
    # Readers served stale copies meanwhile: a line a while in each worker, not one each.
    assert log.count("serving a stale copy") <= 2 * 2, log[-3000:]


BEFORE_THE_STORE = "store"  # the splice's reads done, the page not stored yet
BEFORE_THE_READS = "draw"  # the splice begun, nothing read from PostgreSQL yet


@pytest.mark.parametrize(
    ("point", "service", "fault", "recovery"),
    [
        pytest.param(BEFORE_THE_STORE, "redis", "freeze", "thaw", id="redis-frozen-at-the-store"),
        pytest.param(BEFORE_THE_STORE, "redis", "stop", "start", id="redis-stopped-at-the-store"),
        pytest.param(BEFORE_THE_READS, "redis", "freeze", "thaw", id="redis-frozen-at-the-reads"),
        pytest.param(BEFORE_THE_READS, "postgres", "freeze", "thaw", id="pg-frozen-at-the-reads"),
        pytest.param(BEFORE_THE_READS, "postgres", "stop", "start", id="pg-stopped-at-the-reads"),
        pytest.param(BEFORE_THE_STORE, "postgres", "freeze", "thaw", id="pg-frozen-at-the-store"),
    ],
)
def test_a_comment_whose_splice_meets_a_fault_is_published_and_shown_once_it_is_over(
    stack, point, service, fault, recovery
):
    server = stack[service]
    label = f"{service} {fault} at the {point}"
    with_a_fault_in_the_splice(
        stack, point, getattr(server, fault), getattr(server, recovery), label
    )
