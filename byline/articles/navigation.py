"""The site navigation: sections that have published articles."""

from __future__ import annotations

from django.core.cache import cache

from byline.articles.models import Article, Section

CACHE_KEY = "articles:nav-sections"


def sections_for_navigation() -> list[Section]:
    """Sections with at least one published article, cached for a minute."""
    sections = cache.get(CACHE_KEY)
    if sections is None:
        live = Article.objects.published().values("section_id")
        sections = list(Section.objects.filter(pk__in=live))
        cache.set(CACHE_KEY, sections, 60)
    return sections
