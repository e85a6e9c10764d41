"""The related stories an article page shows, read once a generation, not at every render.

Every approved comment purges its article's page, and the next reader has it drawn
again; the related stories (their query and their authors') were most of the view's
work at each of those renders (~3.3 ms of ~15), though a comment changes nothing they
show. So the list is cached as the navigation is (``navigation``): one entry an
article under the page cache's generation, which every change the cards show moves
on (an article published, edited, unpublished or deleted, its tags or authors
changed, an author, section or tag renamed: ``names``; a lead image changed:
``media.references``), on any worker or app server, so an old generation's list is
never read. A scheduled article coming due changes the list without any write, so
an entry is never kept past the next scheduled publication time either. Otherwise it
is kept as the story is (``story.KEEP_SECONDS``, an hour: that bounds only the memory
of articles nobody asks for again), not a minute as the navigation: a comment's redraw
comes minutes apart on most articles, and found the list gone, drawing it again (its
query, its authors' and the cards: ~4.5 ms of a ~15 ms redraw, ``bench/article_renders.py
--parts --aged 120``). While the generation cannot be read (Redis down) the list is drawn at
each render and nothing is kept (``story.UNREADABLE``), as the story.

The entry holds the section as drawn (``articles/related.html``, the stories' cards),
the template's work at each render as much as the queries', for the article's
section and tags it was read for (a change another server made, seen here before the
moved generation is). It is read from the primary, whatever the render reads: a page
the page layer does not take (a signed-in reader's, an address with a query it does
not key, which anyone can ask for) may read a lagging replica, and what it kept would
be drawn on the pages after it under the new generation.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from byline.articles import hooks
from byline.articles.models import Article
from byline.articles.navigation import is_due, seconds_to_keep, upcoming_for
from byline.articles.story import KEEP_SECONDS, UNREADABLE
from byline.db import reading_from_primary

CACHE_KEY = "articles:related"


def cache_key(article_id: int, generation: str | None = None) -> str:
    """The article's related stories' cache key under ``generation`` (the page cache's
    current)."""
    generation = hooks.site_generation() if generation is None else generation
    return f"{CACHE_KEY}:{generation}:{article_id}"


def related_section(
    article: Article, tag_ids: list[int], request: HttpRequest | None = None
) -> SafeString:
    """The page's "Related" section: the latest published articles sharing ``article``'s
    section or one of its tags (``ArticleQuerySet.related_to``) as cards, drawn once
    while the site does not change; empty without any. A miss reads the next publication
    time once for ``request``'s render (``navigation.upcoming_for``)."""
    generation = hooks.site_generation()  # before the rows
    kept = not generation.startswith(UNREADABLE)
    key = cache_key(article.pk, generation)
    shares = [article.section_id, *tag_ids]
    entry = cache.get(key) if kept else None
    if entry is None or entry["shares"] != shares or is_due(entry["upcoming"]):
        # From the primary: a render that may read a replica (``db``) would
        # otherwise keep a lagging replica's old list under the new generation. The
        # schedule first: an article coming due between the two reads is in the list.
        with reading_from_primary():
            upcoming = upcoming_for(request)
            stories = list(Article.objects.related_to(article, tag_ids))
            html = str(render_to_string("articles/related.html", {"related": stories}))
        entry = {"shares": shares, "html": html, "upcoming": upcoming}
        if kept:
            cache.set(key, entry, seconds_to_keep(upcoming, KEEP_SECONDS))
    return mark_safe(entry["html"])  # noqa: S308 (the template's own output, escaped there)
