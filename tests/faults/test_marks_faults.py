"""The marks of changed counts (a Redis stream) through Redis faults.

A vote, a comment's reaction, an article change or an app-counted view marks its
article after its commit (``stats.mark_changed``), and the view log's folder
reads again only the marked articles' counts (``countfiles.changed_articles``).
Against a redis-server of the test's own, stopped, frozen, restarted empty or
refusing writes: the vote is stored and answered without waiting on its mark,
the log gets one line a while (not one a vote), and the counts files still show
the change at the folder's next look, not only at its full look every
``FULL_SECONDS``; once Redis is back the marks are used again, no restart.
"""

from __future__ import annotations

import json
import time

import pytest

from byline import readers, redisconn
from byline.engagement import actions, countfiles, stats, viewlog
from byline.pagecache.store import reset_page_store
from tests.engagement.test_viewlog import browser, line, write
from tests.factory import make_article
from tests.faults.servers import RedisServer, missing_redis, until

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _forget_redis() -> None:
    redisconn.reset()
    readers.reset_limits()
    reset_page_store()


# The Redis timeout of the test that freezes Redis. The others keep the suite's patient
# one (tests/conftest.py): a stopped Redis refuses at once and a full one answers with an
# error, so they wait on no timeout, while a short one opened the breaker under a loaded
# machine's slow answers and the marks these tests expect to be read were skipped.
FROZEN_TIMEOUT = 1.0


def _own_redis(settings, maxmemory: str | None = None, options: tuple[str, ...] = ()):
    if (reason := missing_redis()) is not None:
        pytest.skip(reason)
    server = RedisServer(maxmemory=maxmemory, options=options).start()
    settings.REDIS_URL = server.url()
    settings.BYLINE_REDIS_RETRY_SECONDS = 0.2
    _forget_redis()
    return server


def _used_again(settings) -> None:
    """Wait until the breaker has closed after Redis came back: its probe asks every
    BYLINE_REDIS_RETRY_SECONDS, waiting BYLINE_REDIS_TIMEOUT at most, so within a few
    of those on a loaded machine (it went on after 5 s whether closed or not)."""
    probe = settings.BYLINE_REDIS_RETRY_SECONDS + settings.BYLINE_REDIS_TIMEOUT
    if not until(redisconn.available, 10 * probe, every=0.05):
        pytest.fail("the breaker did not close after Redis came back")


@pytest.fixture
def redis_server(settings):
    server = _own_redis(settings)
    yield server
    server.close()
    _forget_redis()


@pytest.fixture
def full_redis(settings):
    server = _own_redis(settings, maxmemory="4mb")
    yield server
    server.close()
    _forget_redis()


@pytest.fixture
def redis_without_info(settings):
    """A managed Redis's way: INFO disabled (``rename-command INFO ""``)."""
    server = _own_redis(settings, options=("--rename-command", "INFO", ""))
    yield server
    server.close()
    _forget_redis()


@pytest.fixture
def log_dir(settings, tmp_path, monkeypatch):
    """The folder's view log; each fold looks at every file, the full look far away."""
    settings.BYLINE_VIEW_LOG_DIR = str(tmp_path)
    monkeypatch.setattr(countfiles, "PUBLISH_SECONDS", 0.0)
    monkeypatch.setattr(countfiles, "VIEWS_ONLY_SECONDS", 0.0)
    countfiles.start_afresh()
    yield tmp_path
    countfiles.start_afresh()


def reactions_in(log_dir, article) -> int:
    counts = json.loads((log_dir / "counts" / f"{article.pk}.json").read_bytes())
    return sum(r["count"] for r in counts["reactions"])


def refusing_every_write(server: RedisServer) -> None:
    """Filled, then ``maxmemory`` below what it holds: ``fill()`` stops at the first 64 KB
    value refused, and a mark, much smaller, could still fit at the edge."""
    import redis

    server.fill()
    client = redis.Redis(port=server.port)
    try:
        client.config_set("maxmemory", "1mb")
        with pytest.raises(redis.ResponseError, match="maxmemory"):
            client.xadd(stats.CHANGED_KEY, {"a": "1", "by": "test"})
    finally:
        client.close()


def read_and_looked_at(log_dir, article) -> None:
    """A reader reads it; the folder's first (full) look and a second, marks-only one."""
    write(log_dir, line(article.pk, "198.51.100.20", browser()))
    viewlog.fold()
    viewlog.fold()
    assert countfiles._cursor[0] is not None  # the marks are being read


def test_with_redis_refusing_writes_a_vote_still_shows_at_the_next_look(
    log_dir, full_redis, caplog
):
    """At maxmemory with noeviction XADD is refused, so the vote's mark is lost while the
    folder's XREAD still works and says "nothing changed": the folder sees Redis refused
    a write since its last look and reads every article again."""
    article = make_article()
    read_and_looked_at(log_dir, article)
    refusing_every_write(full_redis)
    with caplog.at_level("INFO"):
        for n in range(20):
            actions.react(article.pk, f"reader-{n}", "happy")  # stored, mark refused
    viewlog.fold()
    assert reactions_in(log_dir, article) == 20
    # One throttled warning for the refused marks, not a line per vote.
    about_marks = [r for r in caplog.records if "counts" in r.getMessage()]
    assert len(about_marks) <= 1, [r.getMessage() for r in about_marks]
    full_redis.accept_writes()
    actions.react(article.pk, "reader-last", "sad")
    viewlog.fold()
    assert reactions_in(log_dir, article) == 21
    viewlog.fold()
    assert countfiles._cursor[0] is not None  # marks read again, no restart


def test_a_fold_s_decisions_are_deleted_when_redis_refuses_its_mark(
    log_dir, full_redis, monkeypatch
):
    """The batch's decisions go in its mark's round trip (``mark_changed(..., also=)``):
    Redis full between the decisions and the commit refuses the mark (``XADD``), not the
    ``DEL`` beside it (commands sent one after the other, not a ``MULTI``)."""
    article = make_article()
    mark_changed = stats.mark_changed

    def full_first(*args, **kwargs):
        refusing_every_write(full_redis)
        return mark_changed(*args, **kwargs)

    monkeypatch.setattr(stats, "mark_changed", full_first)
    path = write(log_dir, line(article.pk, "198.51.100.21", browser()))
    assert viewlog.fold() == 1
    client = redisconn.redis_client()
    assert not client.keys(f"{viewlog.DECIDED_PREFIX}*{path.name}*")
    marks = client.xrange(stats.CHANGED_KEY)
    assert not [m for _, m in marks if m[b"by"] == countfiles.me().encode()]  # refused


def test_with_redis_stopped_then_back_empty_the_folder_reads_again_and_uses_the_marks(
    log_dir, redis_server, settings
):
    """Votes while Redis is down lose their marks; the folder reads every article while it
    cannot read the marks, and again once they are back (the stream is gone, its last-read
    entry with it), then goes back to the marks."""
    article = make_article()
    read_and_looked_at(log_dir, article)
    redis_server.stop()
    actions.react(article.pk, "reader-1", "happy")  # answered: the mark is skipped
    viewlog.fold()
    assert reactions_in(log_dir, article) == 1
    actions.react(article.pk, "reader-2", "happy")
    redis_server.start()  # empty
    _used_again(settings)
    viewlog.fold()
    assert reactions_in(log_dir, article) == 2
    actions.react(article.pk, "reader-3", "happy")  # marked in the new stream
    viewlog.fold()
    assert reactions_in(log_dir, article) == 3
    assert countfiles._cursor[0] is not None


def test_a_vote_does_not_wait_on_its_mark_longer_than_one_redis_timeout(
    log_dir, redis_server, settings
):
    """Redis frozen (SIGSTOP) after the vote's commit: the mark waits one
    BYLINE_REDIS_TIMEOUT at most, opens the breaker, and the next votes do not wait."""
    settings.BYLINE_REDIS_TIMEOUT = FROZEN_TIMEOUT
    _forget_redis()
    article = make_article()
    read_and_looked_at(log_dir, article)
    redis_server.freeze()
    try:
        waits = []
        for n in range(5):
            started = time.monotonic()
            actions.react(article.pk, f"reader-{n}", "happy")
            waits.append(time.monotonic() - started)
        assert redisconn.set_up().breaker.is_open
        viewlog.fold()  # cannot read the marks: reads every article
        assert reactions_in(log_dir, article) == 5
    finally:
        redis_server.thaw()
    print("waits of the votes with Redis frozen (s):", [round(w, 3) for w in waits])


def test_the_marks_stream_stays_bounded_under_a_flood(redis_server, monkeypatch):
    """Each mark trims the entries older than CHANGED_KEEP_SECONDS (approximately)."""
    import redis

    monkeypatch.setattr(stats, "CHANGED_KEEP_SECONDS", 1)
    for n in range(3000):
        stats.mark_changed([n % 50 + 1])
    time.sleep(stats.CHANGED_KEEP_SECONDS + 0.2)  # the first flood's entries are old
    for n in range(300):
        stats.mark_changed([n % 50 + 1])
    client = redis.Redis.from_url(redis_server.url())
    try:
        length = client.xlen(stats.CHANGED_KEY)
    finally:
        client.close()
    assert length < 3000, length  # the first flood's entries trimmed (listpack nodes)


def test_refused_marks_log_one_line_a_while_and_one_when_redis_takes_them_again(
    log_dir, full_redis, caplog, monkeypatch
):
    """The marks refused join the other refused writes' throttled line
    (``redisconn.refusals``, here every 0.5 s instead of 10 s): a line per interval
    whatever the votes, then one line at the first mark taken again."""
    from byline.logthrottle import ThrottledLog

    refusals = ThrottledLog(
        redisconn.logger, "refused commands", again="takes commands again", every=0.5
    )
    monkeypatch.setattr(redisconn, "refusals", refusals)
    article = make_article()
    refusing_every_write(full_redis)
    with caplog.at_level("INFO"):
        started = time.monotonic()
        votes = 0
        while time.monotonic() < started + 3.2 * refusals.every:
            actions.react(article.pk, f"reader-{votes}", "happy")
            votes += 1
        spent = time.monotonic() - started  # more than the 1.6 s asked on a loaded machine
        full_redis.accept_writes()
        actions.react(article.pk, "reader-last", "sad")
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("byline")]
    refused = [line for line in lines if line.startswith("Redis refused a command")]
    again = [line for line in lines if "takes commands again" in line]
    # The first refusal's line, then one a 0.5 s at most while the votes went on: at
    # least 1.6 s (four lines), longer if the last vote was slow.
    assert votes > 10 and 2 <= len(refused) <= 1 + spent // refusals.every, (votes, spent, lines)
    assert "counts marks" in refused[0]
    assert len(again) == 1 and again[0].startswith("Redis takes commands again after "), lines
    assert not [line for line in lines if "next full look" in line]


@pytest.mark.parametrize("server", ["redis_server", "redis_without_info"])
def test_a_restart_between_two_looks_has_every_article_read_again(
    log_dir, server, request, settings
):
    """Redis stopped and back (empty) between two looks of the folder, its breaker closed
    again by then: the marks of the votes meanwhile were never written, and the new
    stream reads "nothing changed"; the folder sees Redis is another run than at its
    last look (its run key is gone) and reads every article again, INFO or not."""
    redis_server = request.getfixturevalue(server)
    article = make_article()
    read_and_looked_at(log_dir, article)
    redis_server.stop()
    actions.react(article.pk, "reader-1", "happy")  # answered: the mark is skipped
    redis_server.start()
    _used_again(settings)
    viewlog.fold()
    assert reactions_in(log_dir, article) == 1


def test_where_info_is_disabled_the_folder_still_reads_only_the_marked_articles(
    log_dir, redis_without_info, caplog
):
    """A managed Redis without INFO: the looks read the marks (not every article each
    time), a vote shows at the next look, and nothing is logged look after look."""
    article = make_article()
    with caplog.at_level("INFO"):
        read_and_looked_at(log_dir, article)
        for _ in range(5):
            assert countfiles.changed_articles(time.monotonic()) == set()
        actions.react(article.pk, "reader-1", "happy")
        assert countfiles.changed_articles(time.monotonic()) == {article.pk}
        actions.react(article.pk, "reader-2", "happy")
        viewlog.fold()
        assert reactions_in(log_dir, article) == 2
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("byline")]


def test_marks_flushed_away_between_two_looks_have_every_article_read_again(log_dir, redis_server):
    """FLUSHDB (an operator, or a managed service's reset) after a vote's mark: the
    stream reads "nothing changed", but the folders' run key is gone with it."""
    import redis

    article = make_article()
    read_and_looked_at(log_dir, article)
    actions.react(article.pk, "reader-1", "happy")
    client = redis.Redis.from_url(redis_server.url())
    try:
        client.flushdb()  # the test's own redis-server
    finally:
        client.close()
    viewlog.fold()
    assert reactions_in(log_dir, article) == 1


def test_marks_that_cannot_be_read_log_one_line_a_while(log_dir, redis_server, caplog, monkeypatch):
    """Marks unreadable look after look (here XREAD refused): one line, not one a look."""
    import redis

    from byline.logthrottle import ThrottledLog

    monkeypatch.setattr(countfiles, "unreadable", ThrottledLog(countfiles.logger, "looks"))
    article = make_article()
    read_and_looked_at(log_dir, article)
    client = redis.Redis.from_url(redis_server.url())
    try:
        client.delete(stats.CHANGED_KEY)
        client.set(stats.CHANGED_KEY, "not a stream")  # XREAD answers WRONGTYPE
        with caplog.at_level("INFO"):
            for _ in range(5):
                countfiles._cursor[0] = "0-0"  # a marks-only look
                monkeypatch.setattr(countfiles, "_full", [time.monotonic()])
                assert countfiles.changed_articles(time.monotonic()) is None
        lines = [r.getMessage() for r in caplog.records if "marks cannot be read" in r.getMessage()]
        assert len(lines) == 1, lines
        client.delete(stats.CHANGED_KEY)
    finally:
        client.close()
