"""Scoped purges (``byline.pagecache.purges``) with Redis restarted empty or frozen
between a purge and the next read of the log: no worker serves a page from before it.

Two workers' page stores run in this process against a redis-server of the test's own,
through the site's Redis pool (short timeout, circuit breaker), as in production.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from byline import redisconn
from byline.pagecache.files import PageFiles
from byline.pagecache.purges import PurgeLog
from byline.pagecache.store import MemoryPages, PageStore, RedisGeneration, RedisPages
from tests.faults.servers import RedisServer, missing_redis
from tests.pagecache.test_files import served_by_nginx
from tests.pagecache.test_store import page

pytestmark = [pytest.mark.redis]


@pytest.fixture
def redis_server():
    reason = missing_redis()
    if reason is not None:
        pytest.skip(reason)
    server = RedisServer().start()
    redisconn.reset()
    try:
        yield server
    finally:
        redisconn.reset()
        server.close()


def worker(client) -> PageStore:
    """One app worker's store (no polling delay: it reads the log on every request)."""
    return PageStore(
        RedisGeneration(client, 0),
        MemoryPages(1 << 20),
        RedisPages(client),
        None,
        PurgeLog(client, 0),
    )


def article_page(store: PageStore, body: bytes):
    """A page of article 1 and its comments, rendered now by ``store``'s worker."""
    rendered = page(body, generation=store.current_generation())
    return replace(rendered, scopes=("comments:1",), mark=store.purge_mark())


def approve_a_comment(store: PageStore) -> None:
    """What approving a comment of article 1 sends: a purge at once, one after the commit."""
    store.purge(("comments:1",))
    store.purge(("comments:1",))


def answering(client) -> None:
    """Wait until the site's pool uses Redis again (its breaker probes every second)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            client.ping()
            return
        except Exception:
            time.sleep(0.2)
    pytest.fail("Redis did not answer again")


def test_a_purge_made_after_redis_starts_again_empty_reaches_every_worker(redis_server):
    """The new log numbers its purges from where the old one did; a worker that had read
    the old log must not take the new purges for ones it has seen."""
    client = redisconn.redis_client(redis_server.url())
    one, two = worker(client), worker(client)
    approve_a_comment(one)
    two.set("/articles/moths/", article_page(two, b"the page before the restart"))
    assert two.get("/articles/moths/", two.current_generation()) is not None

    redis_server.restart()  # empty
    answering(client)
    approve_a_comment(one)  # a new comment, in the new log, before ``two`` reads it
    for store in (one, two):
        generation = store.current_generation()
        served = store.get("/articles/moths/", generation)
        assert served is None, served.body


def test_with_redis_frozen_after_a_purge_no_worker_serves_the_page_from_before(redis_server):
    client = redisconn.redis_client(redis_server.url())
    one, two = worker(client), worker(client)
    two.set("/articles/moths/", article_page(two, b"the page before the comment"))
    approve_a_comment(one)
    redis_server.freeze()
    try:
        generation = two.current_generation()  # waits one timeout, opens the breaker
        assert two.get("/articles/moths/", generation) is None
        assert not redisconn.available(redis_server.url())
        rendered = article_page(two, b"rendered while Redis is frozen")
        two.memory.set("/articles/moths/", rendered)
        assert two.get("/articles/moths/", rendered.generation) is not None  # no purge now
    finally:
        redis_server.thaw()
    answering(client)
    generation = two.current_generation()
    assert two.get("/articles/moths/", generation) is None
    two.set("/articles/moths/", article_page(two, b"rendered after"))
    assert two.get("/articles/moths/", two.current_generation()).body == b"rendered after"


def test_with_redis_stopped_pages_rendered_meanwhile_are_still_cached(redis_server):
    """No purge can be sent while Redis is down (a change moves this worker's generation
    instead), so a page rendered meanwhile may be kept like any other: the page cache
    must not turn off for every page that shows comments, exactly when the site is
    degraded. Once the log is read again, such a page is not trusted."""
    client = redisconn.redis_client(redis_server.url())
    store = worker(client)
    store.current_generation()
    redis_server.stop()
    store.current_generation()  # unreadable: fails, opens the breaker
    rendered = article_page(store, b"rendered while Redis is down")
    store.memory.set("/articles/moths/", rendered)
    assert store.get("/articles/moths/", rendered.generation) is not None
    redis_server.start()
    answering(client)
    store.generation._next_read = store.purges._next_read = float("-inf")  # read now
    generation = store.current_generation()
    store.memory.set("/articles/moths/", replace(article_page(store, b"x"), mark=-1))
    assert store.get("/articles/moths/", generation) is None


def test_a_purge_whose_files_could_not_be_removed_is_read_again(redis_server, tmp_path):
    """Redis answers the read of the log, then fails (here: it holds every write, so
    the removal of the page files' list times out): the worker must read that purge
    again, or nginx keeps serving the page from before it."""
    import redis

    client = redisconn.redis_client(redis_server.url())
    files = PageFiles(tmp_path / "pages")
    here = PageStore(
        RedisGeneration(client, 0),
        MemoryPages(1 << 20),
        None,
        files,
        PurgeLog(client, 0, files.root),
    )
    elsewhere = worker(client)  # an app server on another machine: no files here
    files.switch(here.current_generation())
    key = "http://news.example/articles/moths/"
    here.set(key, article_page(here, b"the page before the comment"))
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is not None
    approve_a_comment(elsewhere)
    admin = redis.Redis(port=redis_server.port)
    admin.execute_command("CLIENT", "PAUSE", 5000, "WRITE")
    try:
        here.current_generation()  # reads the purge, cannot remove the files' list
    finally:
        admin.execute_command("CLIENT", "UNPAUSE")
        admin.close()
    answering(client)
    here.current_generation()
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is None
