"""The "most discussed" list: the articles with the most approved comments this week.

For the reader-facing front and listing pages (``{% most_discussed %}``):
one query counts the approved comments of the last 7 days per article through
the ``(status, submitted_at)`` index and keeps the top few, one more fetches
those articles, published ones only. Two queries, whatever the site's size.

Approving, removing or erasing a comment sends ``article_changed``, which
invalidates every cached page, so the list is as fresh as the comments shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from byline.articles.models import Article
from byline.discussion.models import Comment

TOP = 5
DAYS = 7
CANDIDATES = TOP * 2  # an article unpublished since must not leave the list short


@dataclass(frozen=True)
class DiscussedArticle:
    article: Article
    comments: int


def most_discussed(now: datetime | None = None, top: int = TOP) -> list[DiscussedArticle]:
    """The published articles with the most approved comments over the last 7 days."""
    since = (now or timezone.now()) - timedelta(days=DAYS)
    rows = list(
        Comment.objects.approved()
        .filter(submitted_at__gte=since)
        .values("article_id")
        .annotate(n=Count("id"))
        .order_by("-n", "article_id")[:CANDIDATES]
    )
    published = (
        Article.objects.published()
        .filter(pk__in=[row["article_id"] for row in rows])
        .only("headline", "slug")
    )
    articles = {article.pk: article for article in published}
    found = [
        DiscussedArticle(articles[row["article_id"]], row["n"])
        for row in rows
        if row["article_id"] in articles
    ]
    return found[:top]
