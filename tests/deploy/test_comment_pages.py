"""A published comment through the shipped nginx: readers keep getting the page file.

Starts the real app (`byline run --production`, granian, a throwaway SQLite data folder
and the Redis of ``REDIS_URL``: an article's pages are purged alone only with Redis)
with the real nginx running deploy/nginx.conf in front, page files on. Readers ask for
the article's HTML without a pause while comments are posted through the real form
(``bench/comment_window.py`` measures the same): once a comment is published its page
is drawn again and replaces the file, so every answer comes from the file (nginx's
``X-Cache: FILE``), the old page until the new one is in place, never the app or its
micro-cache, never an error. Skipped without nginx, granian or Redis. The ports are two
free ones, or the fifth and sixth in ``BYLINE_TEST_PORTS``.

The site is started for the test, after the suite's per-test ``cache.clear()``
(``tests/conftest.py``), which empties the Redis database of ``REDIS_URL``: started
before it (a module's site), the running site saw its Redis emptied, moved the generation
(every page file gone, nginx sending readers to the app) and the first comment found no
file to draw again.
"""

import json
import os
import re

import pytest
import redis

from bench.comment_window import watch_comments
from bench.slowclients import site_reader_requests
from tests.deploy.conftest import needs_nginx_and_granian, site_behind_nginx

pytestmark = [
    needs_nginx_and_granian,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL"),
]


def generation() -> bytes | None:
    """The page cache's generation in the site's Redis."""
    from byline.pagecache.store import REDIS_PREFIX

    with redis.Redis.from_url(os.environ["REDIS_URL"]) as client:
        return client.get(REDIS_PREFIX + "generation")


@pytest.fixture
def site(tmp_path_factory):
    """The app and nginx; the article's path and id (its page file written), and the
    generation its workers read. Started for the test, after the suite empties Redis
    (``tests/conftest.py``), never before it."""
    with site_behind_nginx(
        tmp_path_factory,
        "comment-pages",
        4,
        page_files=True,
        REDIS_URL=os.environ["REDIS_URL"],
        BYLINE_CLIENT_IP_HEADER="X-Forwarded-For",
        BYLINE_COMMENT_MIN_SECONDS="0",  # the form is sent as soon as its token is read
        BYLINE_COMMENT_RATE_LIMIT="1000",
    ) as site:
        page, counts, _ = site_reader_requests(site["nginx"])
        article = int(re.search(r"/(\d+)/", counts.path).group(1))
        yield {**site, "path": page.path, "id": article, "generation": generation()}


def test_every_html_request_for_the_article_is_answered_from_its_file_as_comments_come(site):
    """Three readers ask for the article (2 ms apart) while comments are posted: every
    answer after each comment is nginx's page file, none an error, and a published
    comment is in the file before the next comment is posted (it is drawn before the
    answer: at once; no time is asserted, the machine may be loaded). The site's
    generation never moves: nothing empties its Redis under it, and a comment purges its
    own pages, never the site's."""
    assert site["generation"] is not None
    assert generation() == site["generation"], "the site's Redis was emptied under it"
    windows = watch_comments(
        site["nginx"], site["path"], site["id"], comments=3, settle=1.5, pause=0.002
    )
    said = [json.dumps(window.summary()) for window in windows]
    published = [window for window in windows if window.status == "approved"]
    assert published, said  # the spam filter holds some; not all of these
    for window in windows:
        assert window.after(), said
        assert window.errors() == [], said
        assert window.not_from_a_file() == [], said
    for window in published:
        shown = window.shown_after()
        assert shown is not None, said
    assert generation() == site["generation"], said
