"""The article's own story, drawn once a generation, not at every render of its page.

Every approved comment has its article's page drawn again (``pagecache``), and the
page's story (standfirst, lead image, body, corrections and updates, tags, share
links, the author box: ``articles/article_story.html``) and its tags and authors (the
header's byline and the head's tags and JSON-LD show them too) were read and drawn
each time, though a comment changes none of them. They are kept in one cache entry an
article, under the page cache's generation, as the related stories are (``related``):
every change the story shows moves the generation on, on every worker and app server
(the article saved, published, unpublished or deleted; a note added, changed or
removed: ``newsroom.actions``; its tags or authors changed, an author or tag renamed or
given another bio or photo: ``names``; a lead image changed: ``media.references``), so
an entry of an old generation is never read. Nothing in it depends on the time or on
who reads: the share links' origin is part of the key (``BYLINE_SITE_URL`` or the
request's scheme and host), and the counts, the reactions, the discussion and the
related stories stay outside it.

An entry is kept only by a render that read the article from the primary database
(the page cache's renders do, ``db.reading_from_primary``; so does a site without
replicas): a render that may have read a lagging replica uses an entry it finds but
keeps none, so a replica's old copy is never kept under the new generation. A
protected article's story, and an editor's preview, are never kept (``ArticleDetailView``
asks only for a published page anyone can read). While the page cache's generation
cannot be read (Redis down), the story is drawn at each render and nothing is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db import router
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from byline.articles import hooks
from byline.articles.models import Article, Author, Tag
from byline.articles.origin import site_origin
from byline.db import PRIMARY

CACHE_KEY = "articles:story"
# An entry outlives no generation (its key holds it); this only bounds the memory of
# entries for articles nobody asks for again.
KEEP_SECONDS = 3600
# The page cache's generation while its store cannot be read (``pagecache.files``): a new
# one at each retry, a second apart, so nothing is kept under it (an entry would be read
# for a second, then fill the cache's process-memory fallback with bodies for an hour).
UNREADABLE = "unreadable-"


@dataclass
class Story:
    """What an article page shows of the article itself, beside its counts and comments."""

    tags: list[Tag]
    authors: list[Author]
    html: SafeString


def cache_key(article_id: int, origin: str, generation: str | None = None) -> str:
    """The article's story's cache key under ``generation`` (the page cache's current)."""
    generation = hooks.site_generation() if generation is None else generation
    return f"{CACHE_KEY}:{generation}:{article_id}:{origin}"


def story_of(article: Article, request: HttpRequest) -> Story:
    """``article``'s story for its published page: from the cache, else read (its tags,
    authors and notes: three queries) and drawn, and kept when read from the primary."""
    generation = hooks.site_generation()  # before the rows
    if generation.startswith(UNREADABLE):
        return draw(article, request)
    key = cache_key(article.pk, site_origin(request), generation)
    entry = cache.get(key)
    if entry is not None:
        tags, authors, html = entry
        return Story(tags, authors, mark_safe(html))  # noqa: S308 (the template's own output)
    story = draw(article, request)
    if router.db_for_read(Article) == PRIMARY:
        cache.set(key, (story.tags, story.authors, str(story.html)), KEEP_SECONDS)
    return story


def draw(article: Article, request: HttpRequest | None) -> Story:
    """The story read from the database and drawn (the template the page includes)."""
    tags = list(article.tags.all())
    authors = list(article.authors.all())
    context = {
        "article": article,
        "tags": tags,
        "authors": authors,
        "notes": list(article.notes.all()),  # corrections and updates (byline/newsroom)
        "request": request,
    }
    return Story(tags, authors, render_to_string("articles/article_story.html", context))
