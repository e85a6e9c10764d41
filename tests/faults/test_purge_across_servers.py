"""Two app servers sharing PostgreSQL and Redis, with Redis stopped or frozen while a
new comment purges the article's page: once Redis is back, the other server stops
serving the page from before the comment, even if the server that took the comment
gets no request after it.

Real ``byline run --production`` servers (granian) on a PostgreSQL cluster and a
redis-server of the test's own; pages are kept an hour, so only a purge (or the
generation it moves on) can take the old copy out.
"""

from __future__ import annotations

import psycopg
import pytest

from tests.faults.clients import Reader
from tests.faults.servers import AppServer, own_postgres_and_redis, until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def site():
    """Two app servers of one site: one database, one Redis, one secret key."""
    with own_postgres_and_redis() as (postgres, redis_server):
        env = {
            "DATABASE_URL": postgres.url(),
            "REDIS_URL": redis_server.url(),
            "BYLINE_COMMENT_MIN_SECONDS": "0",
            "BYLINE_COMMENT_RATE_LIMIT": "1000",  # one e-mail address for every comment
            "BYLINE_SPAM_FIRST_COMMENT": "publish",
            "BYLINE_PAGE_CACHE_SECONDS": "3600",
            "BYLINE_PRELOAD_SPAM_MODEL": "off",
        }
        one = AppServer(env).start()  # one after the other: the first one migrates
        try:
            two = AppServer(env).start()
            try:
                yield postgres, redis_server, one, two
            finally:
                two.close()
        finally:
            one.close()


def _article(postgres) -> tuple[int, str]:
    with psycopg.connect(postgres.url()) as connection:
        number, slug = connection.execute(
            "SELECT id, slug FROM articles_article ORDER BY id LIMIT 1"
        ).fetchone()
    return number, f"/articles/{slug}/"


FAULTS = {
    "stopped": (lambda redis: redis.stop(), lambda redis: redis.start()),
    "frozen": (lambda redis: redis.freeze(), lambda redis: redis.thaw()),
}


def served_from_each_cache(one, two, path: str) -> None:
    """Both servers have rendered the page and keep it: the second serves its copy."""
    for app in (one, two):
        for _ in range(2):
            assert Reader(base=app.base).page(path).status == 200
    assert Reader(base=two.base).page(path).headers["x-page-cache"] == "hit"


@pytest.mark.parametrize("fault", FAULTS)
def test_a_purge_made_while_redis_is_down_reaches_the_other_server(site, fault):
    postgres, redis_server, one, two = site
    article_id, path = _article(postgres)
    served_from_each_cache(one, two, path)

    words = f"Posted on the first server while Redis was {fault}."
    stop, start = FAULTS[fault]
    stop(redis_server)
    try:
        posted = Reader(base=one.base, ip=f"198.51.100.{len(fault)}").comment(article_id, words)
        assert posted.status == 302, posted.text[:300]
        assert words in Reader(base=one.base).page(path).text  # its own copy is gone
    finally:
        start(redis_server)

    # From now on only the other server is asked: the purge the first one could not
    # send must reach it all the same.
    assert until(lambda: words in Reader(base=two.base).page(path).text), (
        "the other server still serves the page from before the comment"
    )
    for app in (one, two):
        assert "Traceback" not in app.log(), app.log()[-3000:]


def test_a_purge_owed_by_a_server_restarted_before_redis_answers_is_still_made(site):
    """The server that took the comment is restarted while Redis is still frozen (a
    deploy, a crash): the move it owed was noted in its data folder, so the server
    that comes up in its place makes it once Redis answers, and the other server
    stops serving the page from before the comment (pages are kept an hour)."""
    postgres, redis_server, one, two = site
    article_id, path = _article(postgres)
    served_from_each_cache(one, two, path)

    words = "Posted on the first server, which was restarted before Redis thawed."
    redis_server.freeze()
    try:
        posted = Reader(base=one.base, ip="198.51.100.40").comment(article_id, words)
        assert posted.status == 302, posted.text[:300]
        one.stop()
        one.start()  # the same data folder; its first request builds the page store
    finally:
        redis_server.thaw()

    assert until(lambda: words in Reader(base=two.base).page(path).text), (
        "the other server still serves the page from before the comment"
    )
    assert "a worker before this one owed a move" in one.log()
    for app in (one, two):
        assert "Traceback" not in app.log(), app.log()[-3000:]
