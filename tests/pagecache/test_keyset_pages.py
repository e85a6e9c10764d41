"""Deep listing pages (``?before=<id>``) are cached like numbered ones, under one address."""

from __future__ import annotations

import pytest

from tests.factory import make_article
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db


def test_a_cursor_page_is_stored_and_hit(page_cache, settings):
    settings.BYLINE_ARTICLES_PER_PAGE = 1
    newest = make_article("Newest story")
    make_article("Older story")
    url = f"/?before={newest.pk}"
    first = call(page_cache, url)
    assert first.headers["x-page-cache"] == "miss" and "Older story" in first.text
    assert call(page_cache, url).headers["x-page-cache"] == "hit"
    assert call(page_cache, url + "&utm_source=x").headers["x-page-cache"] == "hit"


def test_a_cursor_naming_no_article_is_redirected_and_never_stored(page_cache):
    """Anyone can make up cursors: only real ones' pages take room in the cache."""
    make_article("A story")
    for _ in range(2):
        response = call(page_cache, "/?before=987654321")
        assert response.status == 302
        assert response.headers.get("x-page-cache") != "hit"
