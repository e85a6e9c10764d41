"""Redis stopped, frozen, restarted empty, or refusing writes: readers are still served.

The site (the production WSGI stack: page cache, vote fast path, Django) runs
in this process against a redis-server of the test's own, which the test then
breaks. Every page must still be served, the counts answered (flagged stale
when Redis cannot be read), and every vote, view and comment acknowledged
must be in the database.
"""

from __future__ import annotations

import time

import pytest
from django.core.handlers.wsgi import WSGIHandler

from byline import readers, redisconn
from byline.articles.demo import load_demo
from byline.discussion.models import Comment
from byline.engagement import viewbuffer
from byline.engagement.models import ArticleStats, Reaction
from byline.pagecache.store import reset_page_store
from byline.wsgi import dispatcher
from tests.discussion.factory import make_comment
from tests.faults.clients import Reader
from tests.faults.servers import RedisServer, missing_redis

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
VOTES = ("reaction", "rating")


def _forget_redis() -> None:
    redisconn.reset()
    readers.reset_limits()
    reset_page_store()


def _serve(settings, server: RedisServer):
    """The site, pointed at ``server``; its WSGI application."""
    url = server.url()
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "byline.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "byline",
        }
    }
    settings.BYLINE_REDIS_TIMEOUT = 0.25
    settings.BYLINE_REDIS_RETRY_SECONDS = 0.2
    settings.BYLINE_VIEW_FLUSH_SECONDS = 1
    _forget_redis()
    app = dispatcher(WSGIHandler())
    # The counts and the beacon through Django's views: their layers keep the counts a
    # second in this process, and these tests read them right after each change.
    app.routes = {path: route for path, route in app.routes.items() if path in VOTES}
    return app


@pytest.fixture
def redis_server(settings):
    if (reason := missing_redis()) is not None:
        pytest.skip(reason)
    server = RedisServer().start()
    yield server
    server.close()
    _forget_redis()


@pytest.fixture
def full_redis(settings):
    if (reason := missing_redis()) is not None:
        pytest.skip(reason)
    server = RedisServer(maxmemory="4mb").start()
    yield server
    server.close()
    _forget_redis()


def _wait_until_redis_is_used_again() -> None:
    for _ in range(100):
        if redisconn.available():
            return
        time.sleep(0.05)
    pytest.fail("the breaker did not close after Redis came back")


def _readers(app, count: int, first: int = 10) -> list[Reader]:
    return [Reader(app, ip=f"198.51.100.{first + n}") for n in range(count)]


def _everything_is_served(app, article, label: str) -> None:
    """Pages, counts, votes, views and comments while Redis is in trouble."""
    reader, *others = _readers(app, 4)
    for path in (article.get_absolute_url(), "/"):
        assert reader.page(path).status == 200, path
    counts = reader.counts(article.pk)
    assert counts.status == 200 and counts.headers["content-type"] == "application/json"
    before = Reaction.objects.exclude(reaction="").count()
    for n, other in enumerate(others):
        vote = other.react(article.pk, ["happy", "sad", "excited"][n])
        assert vote.status == 200, vote.text
        assert vote.json()["mine"]["reaction"] == ["happy", "sad", "excited"][n]
    assert Reaction.objects.exclude(reaction="").count() == before + 3
    assert others[0].view(article.pk).status == 204
    comment = make_comment(article)  # approved: readers react to it
    json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
    for other in others:
        liked = other.request(
            "POST", f"/api/comments/{comment.pk}/reaction/", b'{"reacted": true}', json_headers
        )
        assert liked.status == 200 and liked.json()["reacted"] is True, liked.text
    shown = reader.request("GET", f"/api/comments/reactions/?ids={comment.pk}")
    assert shown.status == 200 and shown.json()["counts"] == {str(comment.pk): len(others)}
    posted = reader.comment(article.pk, f"Still here while Redis is {label}.")
    assert posted.status == 302, posted.text
    assert Comment.objects.filter(body=f"Still here while Redis is {label}.").exists()


def test_with_redis_stopped_every_page_counts_vote_and_comment_is_served(settings, redis_server):
    """Redis stopped: nothing answers 5xx; votes, views and comments are stored; the
    counts say they are stale; when Redis is back the site uses it again by itself."""
    app = _serve(settings, redis_server)
    article, _ = load_demo()
    reader = Reader(app)
    assert reader.page(article.get_absolute_url()).status == 200  # rendered, cached
    redis_server.stop()

    _everything_is_served(app, article, "stopped")
    assert redisconn.set_up() is not None and redisconn.set_up().breaker.is_open
    counts = reader.counts(article.pk).json()
    assert counts["stale"] is True
    # The view was counted in the database's buffer meanwhile, and a flush moves it.
    viewbuffer.flush()
    assert reader.counts(article.pk).json()["views"] == 1

    redis_server.start()  # back, and empty
    _wait_until_redis_is_used_again()
    counts = reader.counts(article.pk).json()
    assert "stale" not in counts and counts["views"] == 1
    assert counts["reactions"] and sum(r["count"] for r in counts["reactions"]) == 3
    assert Reader(app, ip="198.51.100.99").react(article.pk, "angry").status == 200


def test_with_redis_frozen_requests_are_answered_and_the_breaker_stops_asking(
    settings, redis_server
):
    """Redis frozen (SIGSTOP): the first request that meets it times out once and opens
    the breaker; every request is answered without Redis; after SIGCONT it is used again."""
    app = _serve(settings, redis_server)
    article, _ = load_demo()
    Reader(app).page(article.get_absolute_url())
    redis_server.freeze()
    try:
        _everything_is_served(app, article, "frozen")
        assert redisconn.set_up().breaker.is_open
        statuses = {Reader(app).counts(article.pk).status for _ in range(20)}
        assert statuses == {200}
    finally:
        redis_server.thaw()
    _wait_until_redis_is_used_again()
    assert "stale" not in Reader(app).counts(article.pk).json()


def test_with_redis_restarted_empty_the_site_carries_on(settings, redis_server):
    """Redis restarted with nothing in it (no scripts, no generation, no counters):
    pages, counts, votes and comments are answered and stored."""
    app = _serve(settings, redis_server)
    article, _ = load_demo()
    first = Reader(app, ip="198.51.100.200")
    assert first.react(article.pk, "happy").status == 200
    redis_server.restart()
    _everything_is_served(app, article, "restarted")
    _wait_until_redis_is_used_again()
    assert Reader(app, ip="198.51.100.201").rate(article.pk, 4).status == 200


def test_with_redis_refusing_writes_votes_views_and_comments_are_still_stored(settings, full_redis):
    """Redis at maxmemory with noeviction refuses every write: rate limits, buffered
    views and the cache fall back to this process and the database."""
    app = _serve(settings, full_redis)
    article, _ = load_demo()
    full_redis.fill()
    _everything_is_served(app, article, "full")
    viewbuffer.flush()
    assert Reader(app).counts(article.pk).json()["views"] == 1


def test_while_redis_refuses_writes_the_log_gets_one_line_a_while_not_one_a_request(
    settings, full_redis, caplog, monkeypatch
):
    """Every request meets a Redis that refuses writes (its rate limits, the cache): one
    warning per LOG_EVERY_SECONDS per process counting the refusals, as for the outage
    503s (``byline.logthrottle``), and one line when a write is taken again."""
    from byline.logthrottle import ThrottledLog

    refusals = ThrottledLog(redisconn.logger, "refused commands", again="takes commands again")
    monkeypatch.setattr(redisconn, "refusals", refusals)
    app = _serve(settings, full_redis)
    article, _ = load_demo()
    full_redis.fill()
    with caplog.at_level("WARNING"):
        for reader in _readers(app, 20):
            assert reader.react(article.pk, "happy").status == 200
            assert reader.page(article.get_absolute_url()).status == 200
        refusing = [r.getMessage() for r in caplog.records]
        full_redis.accept_writes()
        for reader in _readers(app, 3, first=40):
            assert reader.react(article.pk, "sad").status == 200
    # (not the page cache's own throttled line, nor the breaker's)
    lines = [r.getMessage() for r in caplog.records]
    lines = [line for line in lines if line.startswith(("Redis refused", "Redis takes"))]
    assert len([line for line in refusing if "Redis refused" in line]) == 1, refusing
    assert lines[0].startswith("Redis refused a command (") and "maxmemory" in lines[0]
    again = [line for line in lines if "takes commands again" in line]
    assert len(again) == 1 and len(lines) == 2, lines
    assert again[0].startswith("Redis takes commands again after ")


def test_while_redis_is_down_the_view_folder_says_once_a_while_that_views_wait(
    settings, redis_server, tmp_path, caplog, monkeypatch
):
    """The folder flushes every second and, with Redis stopped and a view waiting in
    nginx's log, each flush meets it twice (the buffer in Redis, the log's marks): one
    line says the views wait for Redis, not two a flush, and one when it is back and
    the view is counted."""
    from collections import Counter

    from tests.engagement.test_viewlog import browser, line, write
    from tests.factory import make_article

    waiting = viewbuffer.waiting  # as a new process starts: nothing logged yet
    for name, value in (("next_at", 0.0), ("down", {}), ("quiet", Counter()), ("every", 3600.0)):
        monkeypatch.setattr(waiting, name, value)
    _serve(settings, redis_server)
    settings.BYLINE_VIEW_LOG_DIR = str(tmp_path)
    article = make_article()
    redis_server.stop()
    write(tmp_path, line(article.pk, "198.51.100.60", browser()))
    with caplog.at_level("WARNING", logger=viewbuffer.logger.name):
        for _ in range(5):
            viewbuffer.flush()
        down = [r.getMessage() for r in caplog.records if r.name == viewbuffer.logger.name]
        redis_server.start()
        _wait_until_redis_is_used_again()
        viewbuffer.flush()
    lines = [r.getMessage() for r in caplog.records if r.name == viewbuffer.logger.name]
    assert len(down) == 1, down
    assert down[0].startswith("views wait for Redis (")
    assert down[0].endswith("; they are counted when it is back")
    assert len(lines) == 2 and lines[1].startswith("Redis is back for the views after "), lines
    assert ArticleStats.objects.get(article=article).views == 1


def test_rate_limits_keep_limiting_while_redis_is_down(settings, redis_server):
    """With Redis stopped the vote and comment limits are counted in this process: still
    a 429 (a comment's three keys, reader, e-mail and IP, counted together)."""
    app = _serve(settings, redis_server)
    article, _ = load_demo()
    redis_server.stop()
    reader = Reader(app, ip="198.51.100.77")
    statuses = [
        reader.rate(article.pk, 1 + n % 5).status
        for n in range(settings.BYLINE_VOTES_PER_MINUTE + 2)
    ]
    assert statuses[0] == 200 and statuses[-1] == 429
    assert set(statuses) == {200, 429}
    limit = settings.BYLINE_COMMENT_RATE_LIMIT
    posted = [reader.comment(article.pk, f"Words number {n}.").status for n in range(limit + 1)]
    assert posted == [302] * limit + [429]


def test_after_one_timeout_the_breaker_sends_nothing_until_redis_answers(settings, redis_server):
    """Frozen: the first command waits for the timeout; the next ones fail at once with
    RedisUnavailable (nothing is sent) while the background probe waits for Redis."""
    import redis

    _serve(settings, redis_server)
    client = redisconn.redis_client()
    assert client is not None and client.ping()
    redis_server.freeze()
    try:
        with pytest.raises(redis.TimeoutError):
            client.get("anything")
        for _ in range(5):
            with pytest.raises(redisconn.RedisUnavailable):
                client.get("anything")
    finally:
        redis_server.thaw()
    _wait_until_redis_is_used_again()
    assert client.ping()


def test_pages_redis_will_not_write_log_one_line_a_while_with_a_count(
    full_redis, monkeypatch, caplog
):
    """A Redis that answers but refuses writes meets every page the site renders: the
    page cache says so one line per interval (here 0.5 s), each counting the pages it
    stands for, not a line each retry (``RETRY_AFTER``), and one line when it takes
    pages again."""
    import redis

    from byline.logthrottle import ThrottledLog
    from byline.pagecache import store
    from tests.pagecache.test_store import page

    monkeypatch.setattr(
        store,
        "page_failures",
        ThrottledLog(store.logger, "failed page reads and writes", "takes pages again", 0.5),
        raising=False,
    )
    monkeypatch.setattr(store, "RETRY_AFTER", 0.01)
    full_redis.fill()
    client = redis.Redis(port=full_redis.port)
    client.config_set("maxmemory", "1mb")  # fill() leaves room for small values: none now
    pages = store.RedisPages(client)
    with caplog.at_level("WARNING", logger="byline.pagecache"):
        until, tries = time.monotonic() + 1.6, 0
        while time.monotonic() < until:
            pages.set(f"/article-{tries}/", page())
            tries += 1
            time.sleep(0.02)
        full_redis.accept_writes()
        pages.set("/after/", page())
    client.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "byline.pagecache"]
    refused = [line for line in lines if line.startswith("page cache: cannot write a page")]
    assert tries > 20 and 3 <= len(refused) <= 5, (tries, lines)
    assert "maxmemory" in refused[0]
    assert "more since the last line: " in refused[1], refused
    again = [line for line in lines if "takes pages again" in line]
    assert len(again) == 1 and again[0].startswith("Redis takes pages again after "), lines
    assert pages.get("/after/", "0") is not None


def test_while_redis_is_frozen_a_spam_check_asks_the_database_for_its_model(settings, redis_server):
    """The spam model's generation (``antispam.generation``) cannot be read from a
    frozen Redis: a check waits one timeout at most (then the breaker answers at once),
    asks the database as without Redis, and uses a version stored meanwhile by a server
    that could not tell Redis; after the thaw, checks skip the database again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from byline import antispam
    from byline.antispam import generation, store
    from byline.antispam.backends import get_backend
    from byline.antispam.models import Classifier
    from tests.antispam.factory import make_submission

    _serve(settings, redis_server)
    settings.BYLINE_SPAM_BACKEND = "byline.antispam.backends.LocalFilterBackend"
    store.forget_loaded()
    get_backend.cache_clear()
    text = "Thanks for the reporting. Is there a link to the full budget document anywhere?"

    def model_reads() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            reasons = antispam.check(make_submission(text)).reasons
        table = Classifier._meta.db_table
        return sum(f"FROM {table}" in q["sql"] for q in captured.captured_queries), reasons[0]

    try:
        model_reads()  # installs and loads v1 (a new generation)
        model_reads()  # checked under it
        assert model_reads()[0] == 0  # checked under Redis's generation
        redis_server.freeze()
        try:
            assert model_reads()[0] == 1  # one timeout: the breaker opens
            assert redisconn.set_up().breaker.is_open
            # Stored around the signals: as by a server whose write to Redis failed.
            Classifier.objects.bulk_create(
                [Classifier(version=2, kind="retrained", data=store.shipped_model_bytes())]
            )
            reads, reason = model_reads()
            assert reads >= 1 and "to model v2" in reason
        finally:
            redis_server.thaw()
        _wait_until_redis_is_used_again()
        assert model_reads()[0] == 1  # the generation read again, and the database once
        reads, reason = model_reads()
        assert reads == 0 and "to model v2" in reason
    finally:
        store.forget_loaded()
        get_backend.cache_clear()
        generation.forget()


def test_an_articles_story_follows_its_edits_while_redis_is_stopped_and_back_empty(
    settings, redis_server
):
    """The article's story (kept a generation in the cache, ``articles.story``) shows each
    edit at once: made while Redis is stopped (kept in process memory then), and made
    after Redis is back empty (kept in Redis again): never a story kept before it."""
    app = _serve(settings, redis_server)
    article, _ = load_demo()
    path = article.get_absolute_url()

    def edited(words: str) -> None:
        article.body = words
        article.save()
        page = Reader(app).page(path)
        assert page.status == 200 and words in page.text
        assert words in Reader(app).page(path).text  # again, as kept

    assert Reader(app).page(path).status == 200  # its story kept in Redis
    redis_server.stop()
    edited("Written while Redis was stopped.")
    edited("Written again while Redis was stopped.")
    redis_server.start()  # back, and empty
    _wait_until_redis_is_used_again()
    assert "Written again while Redis was stopped." in Reader(app).page(path).text
    edited("Written once Redis was back.")
    edited("Written again once Redis was back.")


def test_while_redis_is_stopped_no_story_is_kept_in_process_memory(settings, redis_server):
    """Redis stopped: the page cache's generation cannot be read and is a new one at each
    retry (a second apart), so a story kept under it would never be read again, and the
    cache's process-memory fallback would fill with article bodies for an hour (up to its
    10,000 entries a worker). The story and the related stories are drawn at each render
    then, as before they were kept, and nothing of them goes to process memory."""
    from django.core.cache import cache

    app = _serve(settings, redis_server)
    article, _ = load_demo()
    redis_server.stop()
    for n in range(3):
        assert Reader(app, ip=f"198.51.100.{30 + n}").page(article.get_absolute_url()).status == 200
        time.sleep(0.3)  # past a retry of the generation
        article.save()  # an edit: every page drawn again
    kept = (":articles:story:unreadable-", ":articles:related:unreadable-")
    assert not [key for key in cache.fallback._cache if any(k in key for k in kept)]
