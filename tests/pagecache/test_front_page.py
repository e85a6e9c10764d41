"""The front page's "Most read" and "Most discussed" from the page cache."""

import pytest
from django.core.cache import cache

from byline.discussion.actions import refresh_articles
from byline.engagement.demo import add_demo_views
from tests.discussion.factory import make_comment
from tests.factory import make_article
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db


def test_the_front_page_is_served_whole_from_the_page_cache(page_cache):
    """The same bytes for every reader, no cookie; new views do not redraw it (they show
    when the page expires), an approved comment does."""
    story = make_article("Moths counted")
    first = call(page_cache, "/")
    add_demo_views({story.pk: [25]})
    second = call(page_cache, "/")
    assert second.headers["x-page-cache"] == "hit"
    assert second.body == first.body
    assert "set-cookie" not in second.headers
    assert b"most-read-heading" not in second.body
    make_comment(story)
    cache.clear()  # the rankings' time in the cache (BYLINE_RANKING_SECONDS) is over
    refresh_articles([story.pk])
    third = call(page_cache, "/")
    assert third.headers["x-page-cache"] == "miss"
    assert b"most-read-heading" in third.body and b"most-discussed-heading" in third.body
