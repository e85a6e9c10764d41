"""One render of a missing page, however many readers ask for it while it is drawn.

A purged hot page is asked for by every reader who arrives after the purge: the
first request renders it, the others wait for that render and answer its page
(``byline.pagecache.flights``), in one worker and, through Redis, across workers.
"""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from byline.articles.navigation import UPCOMING
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
ARRIVAL = 0.3  # seconds the readers are given to arrive while the first render runs


class SlowPage:
    """A view that draws its page only once ``go`` is set, counting its renders."""

    def __init__(self, storable: bool = True) -> None:
        self.storable = storable
        self.renders = 0
        self.go = threading.Event()
        self._count = threading.Lock()

    def __call__(self, environ, start_response):
        with self._count:
            self.renders += 1
        self.go.wait(10)
        environ[STORABLE] = self.storable
        environ[UPCOMING] = None  # no scheduled article to bound the page's life
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
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


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.BYLINE_PAGE_CACHE = True


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
