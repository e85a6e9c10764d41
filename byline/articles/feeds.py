"""RSS 2.0 and Atom feeds: the site, each section, tag and author, and each article's comments.

Declarative ``django.contrib.syndication`` feeds. Every link is absolute
(``BYLINE_SITE_URL`` or the request's origin), the site's own pictures and links in
the text too, dates are RFC 822 in RSS and RFC
3339 in Atom, each feed names itself with a self link, and
``BYLINE_FEED_FULL_TEXT`` chooses between the full text (``content:encoded`` /
Atom ``content``, with the standfirst as summary) and the standfirst alone.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape
from django.utils.text import Truncator

from byline.articles import hooks
from byline.articles.models import Article, Author, Section, Tag
from byline.articles.origin import site_origin
from byline.articles.xmltext import xml_safe

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
SUMMARY_WORDS = 60
# An attribute holding one of the site's own addresses, written from its root ("/media/…",
# never "//other.example/…"), and a srcset, whose candidates may each be one.
SITE_ADDRESS = re.compile(r'(?<=\s)(src|href|poster)="(/(?!/)[^"]*)"')
SRCSET = re.compile(r'(?<=\s)srcset="([^"]*)"')


def absolute_addresses(html: str, origin: str) -> str:
    """``html`` with the site's own root-relative addresses made absolute from ``origin``.

    RSS has no base address, and a feed reader shows the text away from the site: a
    picture at "/media/…" would be asked of the reader's own server, or of none.
    """

    def candidate(text: str) -> str:
        text = text.strip()
        return origin + text if text.startswith("/") and not text.startswith("//") else text

    html = SITE_ADDRESS.sub(lambda match: f'{match[1]}="{origin}{match[2]}"', html)
    return SRCSET.sub(
        lambda match: 'srcset="' + ", ".join(map(candidate, match[1].split(","))) + '"', html
    )


class RssWithContent(Rss201rev2Feed):
    """RSS 2.0 that carries the full text in ``content:encoded`` beside the summary."""

    def rss_attributes(self) -> dict[str, str]:
        return {**super().rss_attributes(), "xmlns:content": CONTENT_NS}

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content:encoded", item["content"])


class AtomWithContent(Atom1Feed):
    """Atom 1.0 that carries the full text in ``content`` beside the ``summary``."""

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


class BylineFeed(Feed):
    """What every Byline feed shares: absolute links from the site's origin, the language."""

    feed_type = RssWithContent
    origin = ""

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The feed object is shared by all requests: give each request its own copy.
        feed = copy.copy(self)
        feed.origin = site_origin(request)
        return Feed.__call__(feed, request, *args, **kwargs)

    def get_feed(self, obj, request: HttpRequest):
        """The feed, without the control characters XML 1.0 forbids in any of its text."""
        generator = super().get_feed(obj, request)
        generator.feed = xml_safe(generator.feed)
        generator.items = [xml_safe(self.absolute_text(item)) for item in generator.items]
        return generator

    def absolute_text(self, item: dict) -> dict:
        """The item with the site's own addresses in its summary and text made absolute."""
        texts = {key: item[key] for key in ("description", "content") if item.get(key)}
        return item | {key: absolute_addresses(text, self.origin) for key, text in texts.items()}

    def absolute(self, path: str) -> str:
        return self.origin + path

    def feed_url(self, obj) -> str:
        return self.absolute(reverse(self.url_name, kwargs=self.url_kwargs(obj)))

    def url_kwargs(self, obj) -> dict:
        return {"slug": obj.slug} if obj is not None else {}

    def feed_extra_kwargs(self, obj) -> dict:
        return {}

    @property
    def language(self) -> str:
        return settings.BYLINE_SITE_LANGUAGE


class ArticlesFeed(BylineFeed):
    """The latest published articles of the whole site (RSS 2.0)."""

    url_name = "articles:feed"
    subject_model: type[Model] | None = None
    lookup = ""

    def get_object(self, request: HttpRequest, slug: str | None = None):
        if self.subject_model is None:
            return None
        return get_object_or_404(self.subject_model, slug=slug)

    def title(self, obj) -> str:
        site = settings.BYLINE_SITE_NAME
        return f"{obj.name} · {site}" if obj is not None else site

    def link(self, obj) -> str:
        return self.absolute(
            obj.get_absolute_url() if obj is not None else reverse("articles:home")
        )

    def description(self, obj) -> str:
        if obj is None:
            return f"The latest articles from {settings.BYLINE_SITE_NAME}."
        kind = obj._meta.verbose_name
        return getattr(obj, "description", "") or f"The latest articles of the {kind} {obj.name}."

    def items(self, obj) -> QuerySet[Article]:
        articles = Article.objects.for_listing().prefetch_related("tags")
        if obj is not None:
            articles = articles.filter(**{self.lookup: obj})
        return articles[: settings.BYLINE_FEED_ITEMS]

    def item_title(self, item: Article) -> str:
        return item.headline

    def item_description(self, item: Article) -> str:
        """The summary: the standfirst, else the first words of the body."""
        if item.standfirst_html:
            return item.standfirst_html
        return f"<p>{escape(Truncator(item.body_text).words(SUMMARY_WORDS))}</p>"

    def item_extra_kwargs(self, item: Article) -> dict:
        return {"content": item.body_html} if settings.BYLINE_FEED_FULL_TEXT else {}

    def item_link(self, item: Article) -> str:
        return self.absolute(item.get_absolute_url())

    def item_guid(self, item: Article) -> str:
        return self.absolute(item.get_absolute_url())

    def item_pubdate(self, item: Article) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Article) -> datetime | None:
        return item.modified_at

    def item_author_name(self, item: Article) -> str | None:
        return ", ".join(author.name for author in item.authors.all()) or None

    def item_categories(self, item: Article) -> list[str]:
        section = [item.section.name] if item.section else []
        return section + [tag.name for tag in item.tags.all()]


class SectionFeed(ArticlesFeed):
    url_name = "articles:section-feed"
    subject_model = Section
    lookup = "section"


class TagFeed(ArticlesFeed):
    url_name = "articles:tag-feed"
    subject_model = Tag
    lookup = "tags"


class AuthorFeed(ArticlesFeed):
    url_name = "articles:author-feed"
    subject_model = Author
    lookup = "authors"

    def description(self, obj: Author) -> str:
        return obj.bio or f"The latest articles by {obj.name}."


# -- comments ---------------------------------------------------------------------


@dataclass(frozen=True)
class FeedComment:
    """One approved comment as a feed shows it; the discussion app provides these."""

    id: int
    author_name: str
    html: str
    posted_at: datetime
    url: str  # path of the comment on the article page, e.g. /articles/slug/#comment-12


def approved_comments(article: Article, limit: int) -> list[FeedComment]:
    """The latest approved comments of ``article``, newest first, at most ``limit``.

    The discussion app provides them (it registers ``byline.discussion.threads.latest_approved``
    with ``hooks.register_comment_source``):
    the name the commenter gave (never their e-mail address), the body as the
    sanitized HTML the article page shows, and the comment's place on that page.
    """
    return [
        FeedComment(entry.id, entry.author_name, entry.html, entry.submitted_at, entry.url)
        for entry in hooks.latest_comments(article, limit)
    ]


class ArticleCommentsFeed(BylineFeed):
    """The approved comments on one article, newest first (RSS 2.0)."""

    url_name = "articles:comments-feed"

    def get_object(self, request: HttpRequest, slug: str) -> Article:
        return get_object_or_404(Article.objects.published(), slug=slug)

    def title(self, obj: Article) -> str:
        return f"Comments on “{obj.headline}” · {settings.BYLINE_SITE_NAME}"

    def link(self, obj: Article) -> str:
        return self.absolute(obj.get_absolute_url())

    def description(self, obj: Article) -> str:
        return f"Readers' comments on “{obj.headline}”."

    def items(self, obj: Article) -> list[FeedComment]:
        return approved_comments(obj, settings.BYLINE_FEED_ITEMS)

    def item_title(self, item: FeedComment) -> str:
        return f"Comment by {item.author_name}"

    def item_description(self, item: FeedComment) -> str:
        return item.html

    def item_link(self, item: FeedComment) -> str:
        return self.absolute(item.url)

    def item_guid(self, item: FeedComment) -> str:
        return self.absolute(item.url)

    def item_pubdate(self, item: FeedComment) -> datetime:
        return item.posted_at

    def item_author_name(self, item: FeedComment) -> str:
        return item.author_name


def atom(feed_class: type[BylineFeed]) -> type[BylineFeed]:
    """The Atom 1.0 twin of an RSS feed class: same items, Atom's format and URL."""
    return type(
        f"{feed_class.__name__}Atom",
        (feed_class,),
        {
            "feed_type": AtomWithContent,
            "url_name": feed_class.url_name + "-atom",
            "subtitle": feed_class.description,
        },
    )
