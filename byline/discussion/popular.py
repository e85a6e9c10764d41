"""The "most discussed" list: the articles with the most approved comments this week.

For the reader-facing front and listing pages (``{% most_discussed %}``).
Ranking counts the approved comments of the last 7 days per article through
the ``(status, submitted_at)`` index and keeps the top few: work in proportion
to the week's comments, not the site's size, but not free on a newsroom
(60,000 approved comments in a week: about 0.6 s on PostgreSQL). Approving a
comment redraws every listing (they show this list's counts), so without more
the busiest sites would count again on almost every render: the ranking (ids and counts only)
is kept in the shared cache for ``BYLINE_RANKING_SECONDS``. The articles are
read on every render, published ones only, so an article unpublished since
it was ranked never appears. Two queries when the ranking is counted, one
when it is reused, however big the site.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Func, IntegerField, QuerySet
from django.utils import timezone

from byline.articles.models import Article
from byline.discussion.models import Comment

TOP = 5
DAYS = 7
CANDIDATES = TOP * 2  # an article unpublished since must not leave the list short
CACHE_KEY = "discussion:most-discussed"


class Unindexed(Func):
    """A column's own value, as ``+column``: SQLite's documented way to keep the planner
    from reading it through an index. Grouped by the bare article column, SQLite walked
    the (article, ...) index to skip the sort: every comment of the site, whatever its
    date (100 ms at 100,000 comments). Grouped by this, it reads the week's comments from
    the (status, submitted_at) index and sorts them. PostgreSQL plans it as the column."""

    template = "+%(expressions)s"
    output_field = IntegerField()


@dataclass(frozen=True)
class DiscussedArticle:
    article: Article
    comments: int


def week_counts(now: datetime) -> QuerySet:
    """The approved comments of the week before ``now`` counted per article, most first:
    rows of ``article_pk`` and ``n``."""
    return (
        Comment.objects.approved()
        .filter(submitted_at__gte=now - timedelta(days=DAYS))
        .values(article_pk=Unindexed("article_id"))
        .annotate(n=Count("id"))
        .order_by("-n", "article_pk")[:CANDIDATES]
    )


def ranking(now: datetime) -> list[tuple[int, int]]:
    """(article id, approved comments) of the week before ``now``, most first."""
    return [(row["article_pk"], row["n"]) for row in week_counts(now)]


def may_change(article_id: int) -> bool:
    """Whether a change to ``article_id``'s approved comments may change what the listings
    show of this list, drawn from the ranking kept in the shared cache: when that ranking
    holds the article, or has room for it, or the article's count this week could now
    rank it; or when no ranking is kept (the listings then count again). A comment on an
    article far from the list does not redraw every listing: they would show the same
    kept ranking again. An article the kept ranking lacks but may now enter has the
    ranking forgotten (counted again at the next render), or the redrawn listings would
    show it without the article. One query at most (the article's own week), none for an
    article the ranking holds."""
    ranked: list[tuple[int, int]] | None = cache.get(CACHE_KEY)
    if ranked is None:
        return True
    if any(ranked_id == article_id for ranked_id, _ in ranked):
        return True
    enters = len(ranked) < CANDIDATES
    if not enters:
        last_id, last_count = ranked[-1]
        week = Comment.objects.approved().filter(
            article_id=article_id, submitted_at__gte=timezone.now() - timedelta(days=DAYS)
        )
        count = week.count()
        # Most first, then the lower id (``week_counts``'s order).
        enters = (-count, article_id) < (-last_count, last_id)
    if enters:
        cache.delete(CACHE_KEY)
    return enters


def most_discussed(now: datetime | None = None, top: int = TOP) -> list[DiscussedArticle]:
    """The published articles with the most approved comments over the last 7 days.

    Without ``now`` the ranking comes from the shared cache when it is there.
    """
    if now is None:
        ranked: list[tuple[int, int]] | None = cache.get(CACHE_KEY)
        if ranked is None:
            ranked = ranking(timezone.now())
            cache.set(CACHE_KEY, ranked, settings.BYLINE_RANKING_SECONDS)
    else:
        ranked = ranking(now)
    published = (
        Article.objects.published()
        .filter(pk__in=[article_id for article_id, _ in ranked])
        .only("headline", "slug")
    )
    articles = {article.pk: article for article in published}
    found = [
        DiscussedArticle(articles[article_id], count)
        for article_id, count in ranked
        if article_id in articles
    ]
    return found[:top]
