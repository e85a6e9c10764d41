"""The site navigation: sections that have published articles, and the static pages
of the header and footer menus.

The lists are cached, as one entry, for a minute under the page cache's generation, which
``byline.signals.article_changed`` moves on (an article published, edited,
unpublished or deleted, a section renamed, reordered or deleted: ``names``, on any
worker or app server). So a change shows in the
navigation of the next page rendered anywhere, exactly when the pages
themselves are rendered again, and an old generation's list is never read.
A scheduled article coming due changes the list without any write, so the
lists are never kept past the next scheduled publication time either.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from byline.articles import hooks
from byline.articles.models import Article, Section, StaticPage
from byline.db import reading_from_primary

CACHE_KEY = "articles:chrome"
CACHE_SECONDS = 60
# Where a page's render leaves the next publication time it read with the chrome (in the
# WSGI environ, which is the request's META): the page cache's layer then needs no second
# query for it. Only a time read in this very request is left there, never a cached one.
UPCOMING = "byline.next_publication"


def cache_key() -> str:
    """The chrome's cache key under the current page-cache generation."""
    return f"{CACHE_KEY}:{hooks.site_generation()}"


class Chrome:
    """What every page's header and footer list: the sections with published articles and
    the static pages marked for the header and the footer menus, in their order.

    One cache entry for the three (one read of the cache a page, and on a miss one query
    of the sections and one of the static pages), read once a request and only when the
    page shows them (the template calls ``sections``, ``header`` and ``footer``).
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        self.request = request
        self._entry: dict | None = None

    def entry(self) -> dict:
        if self._entry is None:
            key = cache_key()
            entry = cache.get(key)
            if entry is None or is_due(entry["upcoming"]):
                # From the primary: a render that may read a replica (``db``)
                # would otherwise keep a lagging replica's lists under the generation.
                with reading_from_primary():
                    entry = _build(upcoming_for(self.request))
                cache.set(key, entry, seconds_to_keep(entry["upcoming"]))
            self._entry = entry
        return self._entry

    def sections(self) -> list[Section]:
        return self.entry()["sections"]

    def header(self) -> list[StaticPage]:
        return self.entry()["header"]

    def footer(self) -> list[StaticPage]:
        return self.entry()["footer"]


def _build(upcoming: float | None) -> dict:
    sections = list(sections_with_articles())
    marked = models.Q(in_header=True) | models.Q(in_footer=True)
    pages = list(
        StaticPage.objects.published()
        .filter(marked)
        .order_by("footer_order", "title")
        .only("title", "path", "in_header", "in_footer")
    )
    return {
        "sections": sections,
        "header": [page for page in pages if page.in_header],
        "footer": [page for page in pages if page.in_footer],
        "upcoming": upcoming,
    }


def sections_with_articles() -> models.QuerySet[Section]:
    """The sections with a published article. Each section asks for one of its own (the
    section's listing index answers at its first row): ``pk__in`` the published
    articles' sections read the whole articles table on SQLite, however big the site."""
    live = Article.objects.published().filter(section=models.OuterRef("pk"))
    return Section.objects.filter(models.Exists(live))


def is_due(upcoming: float | None) -> bool:
    """A scheduled article the entry did not count has come due since it was read."""
    return upcoming is not None and upcoming <= time.time()


def sections_for_navigation() -> list[Section]:
    """Sections with at least one published article, cached until the site changes."""
    return Chrome().sections()


def pages_for_footer() -> list[StaticPage]:
    """Published static pages marked for the footer menu, in their order, cached likewise."""
    return Chrome().footer()


def pages_for_header() -> list[StaticPage]:
    """Published static pages marked for the header's navigation, in their order, likewise."""
    return Chrome().header()


def next_publication_time() -> float | None:
    """When the next scheduled article comes due (a Unix time), or None."""
    upcoming = (
        Article.objects.filter(status=Article.Status.SCHEDULED, published_at__gt=timezone.now())
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return upcoming.timestamp() if upcoming is not None else None


def upcoming_for(request: HttpRequest | None) -> float | None:
    """When the next scheduled article comes due, read once a request: left in the
    request (``UPCOMING``) for what else reads it in this render (the navigation, the
    related stories, the page cache's layer)."""
    if request is not None and UPCOMING in request.META:
        return request.META[UPCOMING]
    upcoming = next_publication_time()
    if request is not None:
        request.META[UPCOMING] = upcoming
    return upcoming


def seconds_to_keep(upcoming: float | None, longest: int = CACHE_SECONDS) -> int:
    """``longest`` seconds (a minute), or less when a scheduled article (due at
    ``upcoming``) comes due sooner."""
    if upcoming is None:
        return longest
    return max(1, min(longest, math.ceil(upcoming - time.time())))
