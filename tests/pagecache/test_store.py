"""The store: bounded memory, a shared generation, and stale renders refused."""

import os
import time

import pytest

from byline.pagecache.store import (
    FileGeneration,
    MemoryPages,
    Page,
    PageStore,
    RedisGeneration,
    RedisPages,
    redis_client,
)

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="Redis not configured: set REDIS_URL=redis://... to run this test",
)


def page(body: bytes = b"<p>page</p>", generation: str = "0", lifetime: float = 60) -> Page:
    return Page(
        status="200 OK",
        headers=(("Content-Type", "text/html"),),
        body=body,
        etag='"e"',
        last_modified=int(time.time()),
        expires_at=time.time() + lifetime,
        generation=generation,
    )


def file_store(tmp_path, memory_bytes: int = 1 << 20) -> PageStore:
    return PageStore(FileGeneration(tmp_path / "generation", 0), MemoryPages(memory_bytes))


def test_a_page_round_trips_through_bytes():
    original = page(b"\x00binary\nbody")
    assert Page.from_bytes(original.to_bytes()) == original


def test_memory_keeps_within_its_byte_budget():
    """The oldest pages go first when a new one would not fit."""
    memory = MemoryPages(max_bytes=25)
    for key in "abc":
        memory.set(key, page(b"x" * 10))
    assert memory.get("a") is None
    assert memory.get("b") is not None and memory.get("c") is not None
    memory.set("huge", page(b"x" * 26))
    assert memory.get("huge") is None


def test_workers_sharing_a_generation_file_see_each_others_invalidations(tmp_path):
    """Two processes' stores on one data folder: an invalidation in one empties the other."""
    one, other = file_store(tmp_path), file_store(tmp_path)
    generation = other.current_generation()
    other.set("/", page(generation=generation))
    assert other.get("/", other.current_generation()) is not None
    one.invalidate()
    assert other.get("/", other.current_generation()) is None


def test_a_page_rendered_across_an_invalidation_is_not_stored(tmp_path):
    store = file_store(tmp_path)
    before = store.current_generation()
    store.invalidate()
    store.set("/", page(generation=before))
    assert store.get("/", store.current_generation()) is None


def test_an_expired_page_is_not_served(tmp_path):
    store = file_store(tmp_path)
    generation = store.current_generation()
    store.set("/", page(generation=generation, lifetime=-1))
    assert store.get("/", generation) is None


def test_workers_check_the_shared_generation_at_the_configured_interval(tmp_path):
    """Between checks a worker trusts what it read last, so a hit does not touch the store."""
    slow = PageStore(FileGeneration(tmp_path / "generation", 3600), MemoryPages(1 << 20))
    seen = slow.current_generation()
    file_store(tmp_path).invalidate()
    assert slow.current_generation() == seen
    slow.generation._next_read = float("-inf")
    assert slow.current_generation() != seen


def test_an_unreachable_redis_means_short_lived_pages_not_errors():
    """Redis down: no error reaches the reader, and a page lives only until the next retry."""
    client = redis_client("redis://127.0.0.1:8599/0")  # nothing listens there
    store = PageStore(RedisGeneration(client, 0), MemoryPages(1 << 20), RedisPages(client))
    generation = store.current_generation()
    assert generation.startswith("unreadable-")
    store.set("/", page(generation=generation))
    assert store.get("/", store.current_generation()) is not None
    store.generation._next_read = float("-inf")  # the retry, a second later
    assert store.get("/", store.current_generation()) is None


@needs_redis
def test_app_servers_share_pages_and_invalidations_through_redis():
    """A page rendered by one server is served by another; one invalidation reaches both."""
    client = redis_client(os.environ["REDIS_URL"])
    client.flushdb()

    def server() -> PageStore:
        return PageStore(RedisGeneration(client, 0), MemoryPages(1 << 20), RedisPages(client))

    one, other = server(), server()
    one.set("/", page(b"rendered by one", generation=one.current_generation()))
    shared = other.get("/", other.current_generation())
    assert shared is not None and shared.body == b"rendered by one"
    other.invalidate()
    assert one.get("/", one.current_generation()) is None
    client.flushdb()


def test_a_change_made_while_redis_is_down_invalidates_once_it_is_back(tmp_path):
    """An invalidation that could not reach the shared store is sent when it answers again."""
    from tests.faults.servers import RedisServer, missing_redis

    if (reason := missing_redis()) is not None:
        pytest.skip(reason)
    server = RedisServer().start()
    try:
        client = redis_client(server.url())
        editor = PageStore(RedisGeneration(client, 0), MemoryPages(1 << 20), RedisPages(client))
        other = PageStore(RedisGeneration(client, 0), MemoryPages(1 << 20), RedisPages(client))
        before = other.current_generation()
        server.stop()
        editor.invalidate()  # the article was saved; Redis could not be told
        server.start()
        from byline import redisconn

        for _ in range(100):  # the breaker closes after its background probe
            if not redisconn.set_up(server.url()).breaker.is_open:
                break
            time.sleep(0.05)
        editor.current_generation()  # its next read owes the change
        assert other.current_generation() != before
    finally:
        server.close()


def test_a_redis_back_empty_gives_a_generation_never_given_before():
    """Redis back empty (restarted, flushed) has no generation: the next one read is a new
    one, never the "0" an earlier empty Redis gave. A worker's process memory (the cache's
    fallback keeps an article's story an hour) and nginx's folder of that name may still
    hold what was kept under the earlier one, from before the edits made since."""
    from tests.faults.servers import RedisServer, missing_redis

    if (reason := missing_redis()) is not None:
        pytest.skip(reason)
    server = RedisServer().start()
    try:
        client = redis_client(server.url())
        generation = RedisGeneration(client, 0)
        seen = [generation.current()]
        generation.bump()  # an edit
        for _ in range(2):
            client.flushdb()  # back empty
            seen.append(generation.current())
            assert generation.current() == seen[-1]  # read, not moved at each read
    finally:
        server.close()
    assert len(set(seen)) == 3 and not any(s.startswith("unreadable-") for s in seen)
