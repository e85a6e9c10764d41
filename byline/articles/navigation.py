"""The site navigation: sections that have published articles.

The list is cached for a minute under the page cache's generation, which
``byline.signals.article_changed`` moves on (an article published, edited,
unpublished or deleted, on any worker or app server). So a change shows in the
navigation of the next page rendered anywhere, exactly when the pages
themselves are rendered again, and an old generation's list is never read.
A scheduled article coming due changes the list without any write, so the
list is never kept past the next scheduled publication time either.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache
from django.utils import timezone

from byline.articles import hooks
from byline.articles.models import Article, Section, StaticPage

CACHE_KEY = "articles:nav-sections"
FOOTER_CACHE_KEY = "articles:footer-pages"
HEADER_CACHE_KEY = "articles:header-pages"
CACHE_SECONDS = 60


def cache_key() -> str:
    """The navigation's cache key under the current page-cache generation."""
    return f"{CACHE_KEY}:{hooks.site_generation()}"


def sections_for_navigation() -> list[Section]:
    """Sections with at least one published article, cached until the site changes."""
    key = cache_key()
    sections = cache.get(key)
    if sections is None:
        live = Article.objects.published().values("section_id")
        sections = list(Section.objects.filter(pk__in=live))
        cache.set(key, sections, _seconds_to_keep())
    return sections


def pages_for_footer() -> list[StaticPage]:
    """Published static pages marked for the footer menu, in their order, cached likewise."""
    return _pages(FOOTER_CACHE_KEY, StaticPage.objects.in_footer())


def pages_for_header() -> list[StaticPage]:
    """Published static pages marked for the header's navigation, in their order, likewise."""
    return _pages(HEADER_CACHE_KEY, StaticPage.objects.in_header())


def _pages(prefix: str, pages_query) -> list[StaticPage]:
    key = f"{prefix}:{hooks.site_generation()}"
    pages = cache.get(key)
    if pages is None:
        pages = list(pages_query.only("title", "path"))
        cache.set(key, pages, CACHE_SECONDS)
    return pages


def next_publication_time() -> float | None:
    """When the next scheduled article comes due (a Unix time), or None."""
    upcoming = (
        Article.objects.filter(status=Article.Status.SCHEDULED, published_at__gt=timezone.now())
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return upcoming.timestamp() if upcoming is not None else None


def _seconds_to_keep() -> int:
    """A minute, or less when a scheduled article comes due sooner."""
    upcoming = next_publication_time()
    if upcoming is None:
        return CACHE_SECONDS
    return max(1, min(CACHE_SECONDS, math.ceil(upcoming - time.time())))
