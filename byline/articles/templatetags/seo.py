"""The page head's links and tags for search engines, feed readers and link previews.

``{% seo_head %}`` goes once into ``base.html``. It reads the page's context:
an ``article`` page gets JSON-LD ``NewsArticle``, Open Graph ``article`` and
Twitter card tags and its comments feed; a section, tag or author page
(``subject``) gets its own feed; every page gets a canonical link and the
site's feeds.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import NoReverseMatch
from django.utils.http import urlencode

from byline.articles import hooks
from byline.articles.models import Article, Author, Section, Tag
from byline.articles.origin import site_origin
from byline.articles.structured_data import describe, json_ld, news_article, website
from byline.links import url_for

register = template.Library()

SUBJECT_FEEDS = {Section: "section-feed", Tag: "tag-feed", Author: "author-feed"}
# Query parameters that make a different page; all others (utm_*, ...) are the same page.
CANONICAL_PARAMETERS = ("q", "page", "before")


def canonical_url(request) -> str:
    params = [(k, request.GET[k]) for k in CANONICAL_PARAMETERS if request.GET.get(k)]
    params = [(k, v) for k, v in params if not (k == "page" and v == "1")]
    query = f"?{urlencode(params)}" if params else ""
    return site_origin(request) + request.path + query


@register.inclusion_tag("articles/seo_head.html", takes_context=True)
def seo_head(context) -> dict:
    request = context.get("request")
    if request is None:
        return {}
    origin = site_origin(request)
    site_name = settings.BYLINE_SITE_NAME
    page = {
        "canonical": canonical_url(request),
        "site_name": site_name,
        "og_type": "website",
        "title": site_name,
        "description": f"The latest articles from {site_name}.",
        "feeds": [(f"{site_name}: latest articles", origin + url_for("articles:feed"))],
        "twitter_site": settings.BYLINE_TWITTER_SITE,
    }
    article = context.get("article")
    subject = context.get("subject")
    if isinstance(article, Article) and article.is_protected:
        # Only its reader sees the page: no description, image or structured data to share.
        page.update(title=article.headline, description="", feeds=[])
    elif isinstance(article, Article):
        page.update(article_meta(context, article, origin))
    elif request.path == url_for("articles:home"):
        search_path = url_for("articles:search")
        page["json_ld"] = json_ld(website(origin=origin, search_path=search_path))
    elif subject is not None and type(subject) in SUBJECT_FEEDS:
        name = SUBJECT_FEEDS[type(subject)]
        try:
            url = origin + url_for(f"articles:{name}", subject.slug)
        except NoReverseMatch:
            url = ""
        if url:
            page["feeds"].append((f"{site_name}: {subject.name}", url))
        page["title"] = subject.name
        about = getattr(subject, "description", "") or getattr(subject, "bio", "")
        page["description"] = about or page["description"]
    return page


def article_meta(context, article: Article, origin: str) -> dict:
    # The article view's lists, even empty ones (an article without tags): asked again
    # only where the page's context has none (a template rendering the tag alone).
    authors = context.get("authors")
    if authors is None:
        authors = list(article.authors.all())
    tags = context.get("tags")
    if tags is None:
        tags = list(article.tags.all())
    figures = context.get("figures")
    description = describe(article)
    share_url, share_alt = hooks.share_image(article)
    data = news_article(
        article,
        origin=origin,
        comment_count=figures.comments if figures is not None else 0,
        authors=authors,
        tags=tags,
        aggregate_rating=context.get("aggregate_rating"),
        description=description,
        image=share_url,
    )
    comments_feed = url_for("articles:comments-feed", article.slug)
    image = data.get("image", [""])[0]
    return {
        "og_type": "article",
        "title": article.headline,
        "description": description,
        "image": image,
        "image_alt": share_alt,
        "article": article,
        "authors": [origin + a.get_absolute_url() for a in authors],
        "tags": [tag.name for tag in tags],
        "published": data.get("datePublished", ""),
        "modified": data.get("dateModified", ""),
        "json_ld": json_ld(data),
        "feeds": [
            (f"{settings.BYLINE_SITE_NAME}: latest articles", origin + url_for("articles:feed")),
            (f"Comments on “{article.headline}”", origin + comments_feed),
        ],
    }
