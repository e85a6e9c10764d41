"""schema.org ``NewsArticle`` JSON-LD for an article page.

Built from plain values so every part can be tested alone; the ``seo`` template
tags put it into the page head beside the Open Graph and Twitter card tags.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from byline.articles import hooks
from byline.articles.models import Article, Author, Tag


def describe(article: Article, limit: int = 200) -> str:
    """One short plain-text description: the standfirst, else the start of the body."""
    from byline.articles.rendering import plain_text

    text = plain_text(article.standfirst_html) if article.standfirst_html else article.body_text
    return Truncator(text).chars(limit)


def _absolute(origin: str, url: str) -> str:
    return url if url.startswith(("http://", "https://")) else origin + url


def news_article(
    article: Article,
    *,
    origin: str,
    comment_count: int,
    authors: Iterable[Author] = (),
    tags: Iterable[Tag] = (),
    aggregate_rating: Mapping[str, Any] | None = None,
    description: str | None = None,
    image: str | None = None,
) -> dict[str, Any]:
    """The ``NewsArticle`` object Google and others read from the page.

    ``aggregate_rating`` (for example ``{"ratingValue": 4.2, "ratingCount": 17}``,
    as ``byline.engagement.stats.aggregate_rating`` returns it) is included only
    when given, so an article nobody has rated claims no rating. ``description``
    and ``image`` (the share image's URL): ``describe(article)`` and
    ``hooks.share_image(article)``'s, when the caller has them already.
    """
    url = origin + article.get_absolute_url()
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": Truncator(article.headline).chars(110),
        "description": describe(article) if description is None else description,
        "inLanguage": settings.BYLINE_SITE_LANGUAGE,
        "wordCount": article.word_count,
        "timeRequired": article.reading_time_iso,
        "commentCount": comment_count,
        "isAccessibleForFree": True,
    }
    if article.published_at:
        modified = article.modified_at
        data["datePublished"] = article.published_at.replace(microsecond=0).isoformat()
        data["dateModified"] = modified.replace(microsecond=0).isoformat()
    people = [
        {"@type": "Person", "name": a.name, "url": origin + a.get_absolute_url()} for a in authors
    ]
    if people:
        data["author"] = people
    # Always an image (search engines require one): the lead image, else the site's default.
    if image is None:
        image = hooks.share_image(article)[0]
    if image:
        data["image"] = [_absolute(origin, image)]
    publisher: dict[str, Any] = {
        "@type": "NewsMediaOrganization",
        "name": settings.BYLINE_SITE_NAME,
        "url": origin + "/",
    }
    if settings.BYLINE_PUBLISHER_LOGO:
        logo = _absolute(origin, settings.BYLINE_PUBLISHER_LOGO)
        publisher["logo"] = {"@type": "ImageObject", "url": logo}
    data["publisher"] = publisher
    if article.section:
        data["articleSection"] = article.section.name
    keywords = [tag.name for tag in tags]
    if keywords:
        data["keywords"] = keywords
    if aggregate_rating:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "bestRating": 5,
            "worstRating": 1,
            **aggregate_rating,
        }
    return data


def website(*, origin: str, search_path: str) -> dict[str, Any]:
    """The site itself, with its search, for the front page (search engines' sitelinks box)."""
    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": settings.BYLINE_SITE_NAME,
        "url": origin + "/",
        "inLanguage": settings.BYLINE_SITE_LANGUAGE,
        "potentialAction": {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                "urlTemplate": f"{origin}{search_path}?q={{search_term_string}}",
            },
            "query-input": "required name=search_term_string",
        },
    }


def json_ld(data: Mapping[str, Any]) -> SafeString:
    """JSON safe inside ``<script type="application/ld+json">``: no ``<``, ``>`` or ``&``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 (the three characters that could end the script are escaped)
