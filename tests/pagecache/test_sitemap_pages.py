"""Every page of a sitemap is cached, not only the first."""

from __future__ import annotations

import pytest

from byline.articles import sitemaps
from tests.factory import make_article
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db


def test_a_later_sitemap_page_is_stored_and_hit(page_cache, monkeypatch):
    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", 2)
    stories = [make_article(f"Story {n}") for n in range(5)]
    first = call(page_cache, "/sitemap-articles.xml?page=2")
    assert first.headers["x-page-cache"] == "miss" and stories[2].slug in first.text
    assert call(page_cache, "/sitemap-articles.xml?page=2").headers["x-page-cache"] == "hit"


def test_a_page_past_the_last_is_never_stored(page_cache, monkeypatch):
    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", 2)
    make_article("A story")
    for _ in range(2):
        response = call(page_cache, "/sitemap-articles.xml?page=9")
        assert response.status == 404 and response.headers.get("x-page-cache") != "hit"
