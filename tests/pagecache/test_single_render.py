"""One render of a missing page, however many readers ask for it while it is drawn.

A purged hot page is asked for by every reader who arrives after the purge: the
first request renders it, the others wait for that render and answer its page
(``byline.pagecache.flights``), in one worker and, through Redis, across workers.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import pytest

from byline.articles.navigation import UPCOMING
from byline.pagecache import flights
from byline.pagecache.decorators import STORABLE
from byline.pagecache.page_layer import PageCacheApp
from byline.pagecache.store import (
    FileGeneration,
    MemoryPages,
    PageStore,
    RedisGeneration,
    RedisPages,
    redis_client,
)
from tests.pagecache.test_store import file_store, needs_redis
from tests.pagecache.wsgi_client import call

READERS = 8
WAIT = flights.RENDER_WAIT  # the site's own wait (the tests set a longer one)
ARRIVAL = 0.3  # seconds the readers are given to arrive while the first render runs


class SlowPage:
    """A view that draws its page only once ``go`` is set, counting its renders."""

    def __init__(self, storable: bool = True, status: str = "200 OK") -> None:
        self.storable = storable
        self.status = status
        self.renders = 0
        self.go = threading.Event()
        self._count = threading.Lock()

    def __call__(self, environ, start_response):
        with self._count:
            self.renders += 1
        self.go.wait(10)
        environ[STORABLE] = self.storable
        environ[UPCOMING] = None  # no scheduled article to bound the page's life
        start_response(self.status, [("Content-Type", "text/html; charset=utf-8")])
        return [b"<p>the page</p>"]


def many_readers(apps: list[PageCacheApp], view: SlowPage) -> list:
    """``READERS`` requests for one page spread over ``apps``, all arriving while the
    first render is drawn; their answers once the view may finish."""
    answers: list = []

    def read(app: PageCacheApp) -> None:
        answers.append(call(app, "/moths/"))

    threads = [threading.Thread(target=read, args=(apps[n % len(apps)],)) for n in range(READERS)]
    for thread in threads:
        thread.start()
    time.sleep(ARRIVAL)  # (not a timing assertion: a late reader finds the page stored)
    view.go.set()
    for thread in threads:
        thread.join(15)
    return answers


def started(view: SlowPage, renders: int) -> bool:
    """Whether ``view`` has begun its ``renders``-th render (looked for up to 5 s: a guard
    against a hang, not a measure)."""
    for _ in range(500):
        if view.renders >= renders:
            return True
        time.sleep(0.01)
    return False


def reader(app: PageCacheApp, answers: list) -> threading.Thread:
    thread = threading.Thread(target=lambda: answers.append(call(app, "/moths/")))
    thread.start()
    return thread


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def page_cache_on(settings, monkeypatch):
    settings.BYLINE_PAGE_CACHE = True
    # Readers keep waiting while the test holds the first render (the site's wait is
    # far shorter than the test's readers take to arrive on a busy machine).
    monkeypatch.setattr(flights, "RENDER_WAIT", 10.0)


def test_readers_asking_for_a_page_being_drawn_wait_for_that_one_render(tmp_path):
    view = SlowPage()
    app = PageCacheApp(view, file_store(tmp_path))
    answers = many_readers([app], view)
    assert view.renders == 1
    assert [a.status for a in answers] == [200] * READERS
    assert {a.body for a in answers} == {b"<p>the page</p>"}
    assert sorted(a.headers["x-page-cache"] for a in answers) == ["hit"] * (READERS - 1) + ["miss"]


def test_a_page_no_cache_keeps_is_drawn_for_each_reader(tmp_path):
    """The first render stored nothing (a page for one reader): the others draw their own."""
    view = SlowPage(storable=False)
    app = PageCacheApp(view, file_store(tmp_path))
    answers = many_readers([app], view)
    assert view.renders == READERS
    assert [a.status for a in answers] == [200] * READERS


@pytest.fixture
def redis():
    client = redis_client(os.environ["REDIS_URL"])
    client.flushdb()
    yield client
    client.flushdb()


def worker(client) -> PageStore:
    return PageStore(RedisGeneration(client, 0), MemoryPages(1 << 20), RedisPages(client))


@needs_redis
def test_readers_of_every_worker_wait_for_one_render(redis):
    """Four workers (stores of their own, one Redis): one of them draws the page."""
    view = SlowPage()
    apps = [PageCacheApp(view, worker(redis)) for _ in range(4)]
    answers = many_readers(apps, view)
    assert view.renders == 1
    assert [a.status for a in answers] == [200] * READERS
    assert {a.body for a in answers} == {b"<p>the page</p>"}
    assert not redis.keys("byline:pagecache:rendering:*")  # the claim is given back


def test_with_redis_down_every_reader_is_answered(tmp_path):
    """Nowhere to claim the render: each worker draws the page (as before), none fails."""
    down = redis_client(f"redis://127.0.0.1:{closed_port()}/0")
    view = SlowPage()
    stores = [
        PageStore(
            FileGeneration(tmp_path / "generation", 0), MemoryPages(1 << 20), RedisPages(down)
        )
        for _ in range(2)
    ]
    answers = many_readers([PageCacheApp(view, store) for store in stores], view)
    assert [a.status for a in answers] == [200] * READERS
    assert view.renders == 2  # one a worker: its own readers still wait for it


def a_page_not_stored_is_not_waited_for(first: PageCacheApp, second: PageCacheApp) -> None:
    """Once a render of the page stored nothing, a reader asking while another renders it
    renders at once: waiting would only add the other's render to its own."""
    view = first.app
    view.go.set()
    assert call(first, "/moths/").status == 200  # a page no cache keeps: nothing stored
    view.go.clear()
    answers: list = []
    drawing = reader(first, answers)
    assert started(view, 2)
    late = reader(second, answers)
    assert started(view, 3)  # while the other render is still drawn
    view.go.set()
    for thread in (drawing, late):
        thread.join(15)
    assert [a.status for a in answers] == [200, 200]


def test_a_page_no_cache_keeps_is_not_waited_for_once_seen(tmp_path):
    view = SlowPage(storable=False)
    app = PageCacheApp(view, file_store(tmp_path))
    a_page_not_stored_is_not_waited_for(app, app)


@needs_redis
def test_a_page_no_cache_keeps_is_not_waited_for_in_any_worker(redis):
    view = SlowPage(storable=False)
    one, two = PageCacheApp(view, worker(redis)), PageCacheApp(view, worker(redis))
    a_page_not_stored_is_not_waited_for(one, two)


class FailingPage(SlowPage):
    """Its first render is good; the later ones fail (the database went down)."""

    def __call__(self, environ, start_response):
        if self.renders:
            self.status = "503 Service Unavailable"
        return super().__call__(environ, start_response)


def test_readers_of_a_render_answered_stale_get_the_stale_copy_at_once(tmp_path):
    """The database failed the render (stale-if-error): its followers answer the last good
    copy too, instead of each trying the database again."""
    view = FailingPage()
    store = file_store(tmp_path)
    app = PageCacheApp(view, store)
    view.go.set()
    assert call(app, "/moths/").headers["x-page-cache"] == "miss"
    store.invalidate()  # the page must be drawn again
    view.go.clear()
    answers = many_readers([app], view)
    assert view.renders == 2
    assert [a.status for a in answers] == [200] * READERS
    assert {a.body for a in answers} == {b"<p>the page</p>"}
    assert {a.headers["x-page-cache"] for a in answers} == {"stale"}


def test_stale_copies_served_while_the_database_is_down_are_logged_a_line_a_while(tmp_path, caplog):
    """Every reader of an expired page gets its stale copy while the database is down:
    under load thousands a minute. The log says so once, then at most a line a while
    counting the others (docs/deploy.md, "When a service fails"), and once when pages are
    drawn again; not a line a reader."""
    view = FailingPage()
    store = file_store(tmp_path)
    app = PageCacheApp(view, store)
    view.go.set()
    assert call(app, "/moths/").headers["x-page-cache"] == "miss"
    with caplog.at_level(logging.WARNING, logger="byline.pagecache"):
        for _ in range(6):
            store.invalidate()  # expired: drawn again, the database fails it
            assert call(app, "/moths/").headers["x-page-cache"] == "stale"
        view.renders, view.status = 0, "200 OK"  # the database answers again
        store.invalidate()
        assert call(app, "/moths/").headers["x-page-cache"] == "miss"
    lines = [r.getMessage() for r in caplog.records if r.name == "byline.pagecache"]
    assert len(lines) == 2, lines
    assert lines[0].endswith(
        "503 Service Unavailable for http://testserver/moths/, serving a stale copy"
    )
    assert "after 6 stale copies served" in lines[1], lines


@needs_redis
def test_readers_in_other_workers_of_a_render_answered_stale_get_their_stale_copy(redis):
    view = FailingPage()
    stores = [worker(redis), worker(redis)]
    apps = [PageCacheApp(view, store) for store in stores]
    view.go.set()
    for store, app in zip(stores, apps, strict=True):  # each worker keeps a good copy
        view.renders = 0
        assert call(app, "/moths/").headers["x-page-cache"] == "miss"
        store.invalidate()
    view.renders = 1  # from now on the database fails
    view.go.clear()
    answers = many_readers(apps, view)
    assert view.renders == 2
    assert {a.headers["x-page-cache"] for a in answers} == {"stale"}


def test_a_reader_does_not_wait_long_for_a_render_stuck_on_the_database(tmp_path, monkeypatch):
    """A render slower than the wait (a database in trouble): the reader renders its own
    page once the wait is over, far sooner than the database's deadline."""
    # Renders take milliseconds; the database's deadline is seconds (5 by default).
    assert WAIT <= 0.5
    monkeypatch.setattr(flights, "RENDER_WAIT", WAIT)
    view = SlowPage()
    app = PageCacheApp(view, file_store(tmp_path))
    answers: list = []
    stuck = reader(app, answers)
    assert started(view, 1)
    late = reader(app, answers)
    assert started(view, 2)  # the first render is still stuck
    view.go.set()
    for thread in (stuck, late):
        thread.join(15)
    assert [a.status for a in answers] == [200, 200]


@needs_redis
def test_a_claim_is_given_back_only_by_its_owner(redis):
    """A render outlived its claim and another process claimed the page: the first must
    not remove the other's claim when it ends."""
    view = SlowPage()
    app = PageCacheApp(view, worker(redis))
    answers: list = []
    drawing = reader(app, answers)
    assert started(view, 1)
    (claim,) = redis.keys(f"{flights.REDIS_PREFIX}*")
    redis.set(claim, b"another process", px=60_000)  # the first claim expired meanwhile
    view.go.set()
    drawing.join(15)
    assert [a.status for a in answers] == [200]
    assert redis.get(claim) == b"another process"
