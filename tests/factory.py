"""Plain factory functions for tests: real rows, sensible defaults, override anything."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from byline.articles.models import Article, Author, Section, Tag

_counter = itertools.count(1)

# The smallest GIF: one white pixel.
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def pixel_upload(name: str = "pixel.gif") -> SimpleUploadedFile:
    """A one-pixel GIF as an uploaded file (an article's lead image, say)."""
    return SimpleUploadedFile(name, PIXEL_GIF, content_type="image/gif")


def make_author(name: str | None = None, **fields) -> Author:
    n = next(_counter)
    name = name or f"Author {n}"
    return Author.objects.create(name=name, slug=fields.pop("slug", f"author-{n}"), **fields)


def make_section(name: str | None = None, **fields) -> Section:
    n = next(_counter)
    name = name or f"Section {n}"
    return Section.objects.create(name=name, slug=fields.pop("slug", f"section-{n}"), **fields)


def make_tag(name: str | None = None, **fields) -> Tag:
    n = next(_counter)
    name = name or f"Tag {n}"
    return Tag.objects.create(name=name, slug=fields.pop("slug", f"tag-{n}"), **fields)


def make_article(
    headline: str | None = None,
    *,
    status: str = Article.Status.PUBLISHED,
    published_at=None,
    authors=(),
    tags=(),
    **fields,
) -> Article:
    n = next(_counter)
    if published_at is None and status != Article.Status.DRAFT:
        published_at = timezone.now() - timedelta(minutes=n)
    article = Article.objects.create(
        headline=headline or f"Headline {n}",
        slug=fields.pop("slug", f"headline-{n}"),
        standfirst=fields.pop("standfirst", "A short standfirst."),
        body=fields.pop("body", "Some body text.\n\nA second paragraph."),
        status=status,
        published_at=published_at,
        **fields,
    )
    article.authors.add(*authors)
    article.tags.add(*tags)
    return article


def store_as_is(article: Article, **fields: str) -> Article:
    """Write text straight into the article's row (rendered, but not cleaned), as a row
    stored before text was cleaned on save, or written in bulk, can hold it."""
    for name, value in fields.items():
        setattr(article, name, value)
    article.render()
    rendered = ("standfirst_html", "body_html", "body_text")
    Article.objects.filter(pk=article.pk).update(
        **fields, **{name: getattr(article, name) for name in rendered}
    )
    return article


def make_filed_article(headline: str, **fields) -> Article:
    """An article filed under the section "Politics", the tag "Votes" and the author Ada Brent."""
    return make_article(
        headline,
        section=make_section("Politics"),
        tags=[make_tag("Votes")],
        authors=[make_author("Ada Brent")],
        **fields,
    )


def make_editor(username: str = "editor", password: str = "correct horse battery"):
    return get_user_model().objects.create_user(
        username=username, password=password, is_staff=True, is_superuser=True
    )


@contextmanager
def articles_changed():
    """The ids ``article_changed`` is sent with while this is open (None: all changed)."""
    from byline.signals import article_changed

    heard: list[int | None] = []

    def listener(sender, article_id, **kwargs):
        heard.append(article_id)

    article_changed.connect(listener)
    try:
        yield heard
    finally:
        article_changed.disconnect(listener)
