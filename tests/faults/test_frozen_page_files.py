"""Redis frozen (SIGSTOP) while page files are written and a comment is published.

A scoped page's file (an article's) is written over in the lock of its folder, and its
mark is read from Redis inside that lock (``files.PageFiles.write``, ``purges``): a
writer or purge holding it when Redis freezes waits one Redis timeout there. The
writers of that page in the machine's other processes, whose breakers have not opened
yet, must not queue behind it and behind one another, a timeout each: each waits at
most one Redis timeout for the lock, then gives up as it does when Redis does not
answer (the file stays; a purge is read again later).

The site's tests run the real app (granian, two workers) behind the shipped nginx with
page files, on a redis-server of the test's own, frozen while a comment is published:
the comment is saved and answered, pages keep being served (nginx's files, the app's
renders), and once Redis is thawed, or back empty, no page from before the comment is
served again, without a restart. Every bound is derived from the Redis timeout the
servers are given, not from a wall-clock constant.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from bench.comment_window import post_comment
from bench.slowclients import site_reader_requests
from byline import redisconn
from byline.pagecache.files import PageFiles
from byline.pagecache.purges import PurgeLog
from tests.deploy.conftest import needs_nginx_and_granian, site_behind_nginx
from tests.faults.servers import RedisServer, missing_redis, until
from tests.pagecache.test_store import page

pytestmark = [pytest.mark.redis]

KEY = "http://news.example/articles/moths/"
SCOPE = "comments:1"
# The Redis timeout of this file's tests: long next to a loaded machine's scheduling
# delays, so that one timeout is told apart from two or more.
TIMEOUT = 1.0


@pytest.fixture
def redis_server():
    if (reason := missing_redis()) is not None:
        pytest.skip(reason)
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.close()
        redisconn.reset()


def a_process(url: str, files: PageFiles) -> PurgeLog:
    """The page lists of one app worker process of the machine: its own Redis pool and
    breaker (``redisconn.Redis_``, as each granian worker has), the folder's files."""
    return PurgeLog(redisconn.Redis_(url, TIMEOUT, 60).client, 0, files.root)


def held(folder: Path) -> bool:
    """Whether another holds the folder's lock now."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def test_writers_of_a_page_do_not_queue_behind_a_lock_held_while_redis_is_frozen(
    redis_server, tmp_path
):
    """One process holds the page's folder lock, waiting for a frozen Redis (its breaker
    closed: this is its first question since the freeze); five other processes draw the
    same page and a sixth removes it for a purge, all at once. Each is done within one
    Redis timeout waiting for the lock and one for its own question to Redis (a third
    for a loaded machine), not a timeout more for every one queued before it. The file
    stays the page its lists name."""
    files = PageFiles(tmp_path / "pages")
    files.switch("7")
    processes = [a_process(redis_server.url(), files) for _ in range(7)]
    first = replace(page(b"the page before", generation="7"), scopes=(SCOPE,), mark=5)
    assert files.write(KEY, first, processes[0].listing((SCOPE,))) is not None
    target = files.path_for(KEY, "7")
    assert target is not None
    relative = str(target.relative_to(files.root))

    redis_server.freeze()
    spent: dict[str, float] = {}

    def write(name: str, process: PurgeLog, mark: int) -> None:
        later = replace(first, body=f"drawn at {mark}".encode(), mark=mark)
        started = time.monotonic()
        files.write(KEY, later, process.listing((SCOPE,)))
        spent[name] = time.monotonic() - started

    def remove(name: str, process: PurgeLog) -> None:
        started = time.monotonic()
        try:
            process._remove_marked(SCOPE, 50, relative)
        except Exception:  # noqa: S110  (cannot: the purge is read again later)
            pass
        spent[name] = time.monotonic() - started

    try:
        holder = threading.Thread(target=write, args=("holder", processes[1], 6))
        holder.start()
        assert until(lambda: held(target.parent), 10, every=0.001), "the lock was never taken"
        others = [
            threading.Thread(target=write, args=(f"writer {n}", processes[n], 6 + n))
            for n in range(2, 7)
        ] + [threading.Thread(target=remove, args=("purge", processes[0]))]
        for thread in others:
            thread.start()
        for thread in [holder, *others]:
            thread.join(60)
    finally:
        redis_server.thaw()

    bound = 3 * TIMEOUT  # the lock, its own question, the machine
    assert len(spent) == 7 and max(spent.values()) < bound, sorted(spent.items())
    redisconn.reset()
    lists = a_process(redis_server.url(), files)
    listed = lists.client.zscore(lists.files_prefix + SCOPE, relative)
    on_disk = target.read_bytes() if target.exists() else None
    assert on_disk == (b"the page before" if listed == 5 else f"drawn at {listed:.0f}".encode())


# --- the site behind nginx --------------------------------------------------------------


@dataclass
class Answer:
    sent: float  # time.monotonic() when sent
    took: float
    status: int
    source: str  # nginx's X-Cache (FILE: a page file), or "app"
    body: str


def get(base: str, path: str, source: str | None = None) -> Answer:
    sent = time.monotonic()
    try:
        with urllib.request.urlopen(f"{base}{path}", timeout=60) as response:  # noqa: S310
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    return Answer(
        sent,
        time.monotonic() - sent,
        status,
        source or headers.get("X-Cache", ""),
        body.decode(errors="replace"),
    )


class Readers:
    """Readers asking for the article through nginx and the app's own port (its misses
    too: a page with a query string is never a file) without a pause, from threads."""

    def __init__(self, site: dict, path: str) -> None:
        self.site, self.path = site, path
        self.answers: list[Answer] = []
        self.stop = threading.Event()
        asks = [
            (site["nginx"], path, None),
            (site["nginx"], path, None),
            (site["app"], path, "app"),
            (site["app"], f"{path}?sort=newest", "app"),
        ]
        self.threads = [threading.Thread(target=self.read, args=ask) for ask in asks]

    def read(self, base: str, path: str, source: str | None) -> None:
        while not self.stop.is_set():
            self.answers.append(get(base, path, source))
            time.sleep(0.01)

    def __enter__(self) -> Readers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(120)

    def since(self, moment: float) -> list[Answer]:
        return [answer for answer in list(self.answers) if answer.sent >= moment]


def posted(site: dict, article_id: int, words: str, reader: int) -> tuple[str, float]:
    started = time.monotonic()
    status = post_comment(site["nginx"], article_id, words, reader)
    return status, time.monotonic() - started


def from_the_file_with(site: dict, path: str, words: str) -> bool:
    answer = get(site["nginx"], path)
    return answer.source == "FILE" and words in answer.body


@pytest.fixture
def site(tmp_path_factory, redis_server):
    """The app (two workers) and nginx on a redis-server of the test's own, comments
    published at once; the article's path and id."""
    with site_behind_nginx(
        tmp_path_factory,
        "frozen-page-files",
        10,
        page_files=True,
        REDIS_URL=redis_server.url(),
        BYLINE_REDIS_TIMEOUT=str(TIMEOUT),
        BYLINE_REDIS_RETRY_SECONDS="0.5",
        BYLINE_WORKERS="2",
        BYLINE_CLIENT_IP_HEADER="X-Forwarded-For",
        BYLINE_COMMENT_MIN_SECONDS="0",
        BYLINE_COMMENT_RATE_LIMIT="1000",
        BYLINE_SPAM_BACKEND="byline.antispam.backends.DummyBackend",
        BYLINE_SPAM_FIRST_COMMENT="publish",
        BYLINE_PAGE_CACHE_SECONDS="3600",
    ) as site:
        page_request, counts, _ = site_reader_requests(site["nginx"])
        article = int(counts.path.split("/")[3])
        yield {**site, "path": page_request.path, "id": article, "redis": redis_server}


def log_of(site: dict) -> str:
    logs = Path(site["data"]).parent / "logs"
    return "\n".join(p.read_text(errors="replace") for p in sorted(logs.glob("*.log")))


@needs_nginx_and_granian
def test_with_redis_frozen_a_comment_is_published_and_pages_served_and_none_from_before_after(
    site,
):
    path, article = site["path"], site["id"]
    before = "Posted while Redis answered, before the freeze."
    status, took_before = posted(site, article, before, 11)
    assert status == "approved", status
    assert until(lambda: from_the_file_with(site, path, before)), "no page file drawn"

    frozen = "Posted while Redis was frozen, and published."
    with Readers(site, path) as readers:
        assert until(lambda: len(readers.answers) > 8), "no reader answered"
        site["redis"].freeze()
        frozen_at = time.monotonic()
        try:
            status, took = posted(site, article, frozen, 12)
            assert status == "approved", status  # saved and published: the answer says
            # The page shows it once each worker has found Redis frozen (its next read of
            # the generation): files of pages drawn since, or the app's renders.
            assert until(lambda: any(frozen in a.body for a in readers.since(frozen_at + took)))
            time.sleep(2 * TIMEOUT)  # readers keep asking while it stays frozen
        finally:
            site["redis"].thaw()
        thawed_at = time.monotonic()
        assert until(lambda: from_the_file_with(site, path, frozen), 60), "no file after"
        time.sleep(2 * TIMEOUT)

        site["redis"].restart()  # back empty: a new log, a new generation
        emptied_at = time.monotonic()
        assert until(lambda: from_the_file_with(site, path, frozen), 60), "no file after"
        after = "Posted once Redis came back empty."
        status, took_after = posted(site, article, after, 13)
        assert status == "approved", status
        assert until(lambda: from_the_file_with(site, path, after), 60)
        time.sleep(2 * TIMEOUT)

    during = [a for a in readers.answers if frozen_at <= a.sent < thawed_at]
    said = json.dumps([(round(a.sent - frozen_at, 2), round(a.took, 2), a.status, a.source)
                       for a in readers.answers if a.sent >= frozen_at - 1])  # fmt: skip
    assert all(a.status == 200 for a in readers.answers), said
    assert any(a.source == "app" for a in during), said  # the app's renders too
    # What a request may wait on a frozen Redis: one timeout (the breaker opens), one for
    # a page folder's lock held by a process waiting its own; besides its own work, as
    # long as the same POST took with Redis answering, before the freeze or after it
    # (a POST does more than a read: a page drawn, a commit), doubled for a loaded machine.
    bound = 2 * TIMEOUT + 2 * max(took_before, took_after)
    assert took < bound, (took, took_before, took_after)
    assert max(a.took for a in during) < bound, (took_before, took_after, said)
    # Once thawed, and once back empty, never a page from before the comment.
    afterwards = readers.since(thawed_at)
    assert readers.since(emptied_at), said
    assert all(frozen in a.body for a in afterwards), said
    assert "Traceback" not in log_of(site), log_of(site)[-3000:]
