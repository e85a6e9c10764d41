"""A reader is counted once within 30 minutes, whichever path saw them.

Two paths count views: the app (``actions.count_view``: a beacon without
``Sec-Fetch-Site`` from an old browser, the pixel, the embedded tier) and the
view log's folder (the beacons nginx answered itself). Both keep the same marks
(``byline.engagement.seen``): in Redis (a redis-server of the test's own), or,
without Redis, the folder's ``ViewMark`` rows.
"""

from __future__ import annotations

import pytest

from byline import readers, redisconn
from byline.engagement import viewbuffer
from byline.pagecache.store import reset_page_store
from tests.engagement.test_viewlog import browser, line, views, write
from tests.factory import make_article
from tests.faults.servers import RedisServer, missing_redis

pytestmark = pytest.mark.django_db(transaction=True)
ADDRESS = "198.51.100.70"


@pytest.fixture(params=["redis", "no redis"])
def tier(request, settings, tmp_path):
    """A view log folder, with a Redis of its own or without Redis."""
    settings.BYLINE_VIEW_LOG_DIR = str(tmp_path)
    server = None
    if request.param == "redis":
        if (reason := missing_redis()) is not None:
            pytest.skip(reason)
        server = RedisServer().start()
        settings.REDIS_URL = server.url()
    else:
        settings.REDIS_URL = ""
    redisconn.reset()
    readers.reset_limits()
    reset_page_store()
    yield tmp_path
    if server is not None:
        server.close()
    redisconn.reset()
    readers.reset_limits()
    reset_page_store()


def app_view(client, article, agent: str, cookie: str | None = None) -> None:
    """The beacon of a browser that sends no ``Sec-Fetch-Site``, counted by the app."""
    if cookie:
        client.cookies["byline_reader"] = cookie
    answer = client.post(
        f"/api/articles/{article.pk}/view/", headers={"User-Agent": agent}, REMOTE_ADDR=ADDRESS
    )
    assert answer.status_code == 204


def test_a_reader_the_app_counted_is_not_counted_again_from_the_view_log(tier, client):
    article = make_article()
    agent = browser()
    app_view(client, article, agent)
    write(tier, line(article.pk, ADDRESS, agent))
    viewbuffer.flush()
    assert views(article) == 1


def test_a_reader_the_view_log_counted_is_not_counted_again_by_the_app(tier, client):
    article = make_article()
    agent = browser()
    write(tier, line(article.pk, ADDRESS, agent))
    viewbuffer.flush()
    app_view(client, article, agent)
    viewbuffer.flush()
    assert views(article) == 1


def test_the_reader_cookie_is_one_reader_across_both_paths(tier, client, settings):
    """The same reader at another address and in another browser, seen by each path."""
    article = make_article()
    cookie = readers.cookie_value("0123456789abcdef0123456789abcdef")
    settings.BYLINE_READER_COOKIE = "byline_reader"
    app_view(client, article, browser(), cookie)
    write(tier, line(article.pk, "203.0.113.9", browser(), cookie))
    viewbuffer.flush()
    assert views(article) == 1


def test_other_readers_still_count_on_both_paths(tier, client):
    article = make_article()
    app_view(client, article, browser())
    write(tier, line(article.pk, ADDRESS, browser()), line(article.pk, "203.0.113.10", browser()))
    viewbuffer.flush()
    assert views(article) == 3


def nginx_escaped(agent: str) -> str:
    """A User-Agent as nginx's log writes it: bytes outside printable ASCII as \\xXX."""
    return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02X}" for b in agent.encode())


def test_a_non_ascii_user_agent_is_one_browser_on_both_paths(tier, client):
    """WSGI gives the app the header's bytes as latin-1; nginx logs them escaped: both
    hash the same bytes."""
    article = make_article()
    agent = f"Mozilla/5.0 (Linux; Android 14; Téléphone-Ünïcode) {browser()}"
    app_view(client, article, agent.encode().decode("latin-1"))  # as WSGI gives it
    write(tier, line(article.pk, ADDRESS, nginx_escaped(agent)))
    viewbuffer.flush()
    assert views(article) == 1


def test_a_view_just_before_midnight_folded_after_it_is_the_same_browser(tier, client, monkeypatch):
    """The address is hashed with the salt of the line's own day, the salt the app used
    when it counted the same reader, not the salt of the day the fold runs."""
    from datetime import UTC, datetime, timedelta

    article = make_article()
    agent = browser()
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    before = midnight + timedelta(days=1) - timedelta(milliseconds=100)  # 23:59:59.9
    monkeypatch.setattr(readers, "utc_now", lambda: before)
    app_view(client, article, agent)
    monkeypatch.setattr(readers, "utc_now", lambda: before + timedelta(seconds=1))
    write(tier, line(article.pk, ADDRESS, agent, at=before.timestamp()))
    viewbuffer.flush()
    assert views(article) == 1


def test_no_user_agent_is_not_a_view_on_either_path(tier, client):
    """The app reads a missing User-Agent as "", nginx's log as "-": neither counts."""
    article = make_article()
    answer = client.post(f"/api/articles/{article.pk}/view/", REMOTE_ADDR=ADDRESS)
    assert answer.status_code == 204
    write(tier, line(article.pk, "198.51.100.71", "-"))
    viewbuffer.flush()
    assert views(article) == 0
