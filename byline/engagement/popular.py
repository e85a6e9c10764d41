"""The "most read" lists: the articles with the most views over the last 24 hours and 7 days.

For the reader-facing front and listing pages (``{% most_read %}``). Ranking
reads only the period's ``DailyViews`` rows (through their ``day`` index),
groups them per article and keeps the top few. That is work in proportion to
how many articles were read in the period, not to the site's size, but on a
newsroom it is still far from free (50,000 articles all read every day:
350,000 rows for the week, about 0.4 s on PostgreSQL), so the ranking, ids
and figures only, is kept in the shared cache for ``BYLINE_RANKING_SECONDS``
and reused by every page rendered meanwhile. The articles themselves are read
on every render, published ones only (one query by primary key), so an
article unpublished since it was ranked never appears. Three queries when the
ranking is counted, one when it is reused, however big the site.

Views are counted per UTC day, so "24 hours" is estimated: today's views
plus yesterday's in proportion to the part of yesterday that lies within the
last 24 hours. "7 days" is today and the six days before.

The lists are part of pages the page cache stores whole, and views do not
invalidate pages (they would on every read): the lists are as old as the
cached page, at most ``BYLINE_PAGE_CACHE_SECONDS`` plus ``BYLINE_RANKING_SECONDS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, F, FloatField, Sum, Value, When

from byline.articles.models import Article
from byline.engagement.models import DailyViews

TOP = 5
# More candidates than shown, so that an article unpublished since it was
# read does not leave its list short.
CANDIDATES = TOP * 2
CACHE_KEY = "engagement:most-read"

Ranking = list[tuple[int, float]]


@dataclass(frozen=True)
class ReadArticle:
    """One line of a "most read" list: the article and its (estimated) views."""

    article: Article
    views: int


@dataclass(frozen=True)
class MostRead:
    day: list[ReadArticle]
    week: list[ReadArticle]


def _top_ids(today: date, days: int, yesterday_weight: float) -> Ranking:
    """The most read article ids since ``days`` days before ``today``, with their views."""
    yesterday = today - timedelta(days=1)
    if days == 1:
        weighted = Case(
            When(day=yesterday, then=F("views") * Value(yesterday_weight)),
            default=F("views"),
            output_field=FloatField(),
        )
        since = yesterday
    else:
        weighted = Case(default=F("views"), output_field=FloatField())
        since = today - timedelta(days=days - 1)
    rows = (
        DailyViews.objects.filter(day__gte=since, day__lte=today)
        .values("article_id")
        .annotate(total=Sum(weighted))
        .filter(total__gt=0)
        .order_by("-total", "article_id")[:CANDIDATES]
    )
    return [(int(row["article_id"]), float(row["total"])) for row in rows]


def rankings(now: datetime) -> tuple[Ranking, Ranking]:
    """The 24-hour and 7-day rankings at ``now`` (two aggregate queries)."""
    today = now.astimezone(UTC).date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
    yesterday_weight = 1 - (now - midnight).total_seconds() / 86400
    return _top_ids(today, 1, yesterday_weight), _top_ids(today, 7, 1.0)


def most_read(now: datetime | None = None, top: int = TOP) -> MostRead:
    """The most read published articles over the last 24 hours and the last 7 days.

    Without ``now`` the rankings come from the shared cache when they are there.
    """
    if now is None:
        ranked: tuple[Ranking, Ranking] | None = cache.get(CACHE_KEY)
        if ranked is None:
            ranked = rankings(datetime.now(UTC))
            cache.set(CACHE_KEY, ranked, settings.BYLINE_RANKING_SECONDS)
    else:
        ranked = rankings(now)
    day, week = ranked
    ids = {article_id for article_id, _ in day + week}
    published = (
        Article.objects.published()
        .filter(pk__in=ids)
        .select_related("section")
        .only("headline", "slug", "section__name", "section__slug")
    )
    articles = {article.pk: article for article in published}

    def listed(rows: Ranking) -> list[ReadArticle]:
        found = [ReadArticle(articles[pk], round(views)) for pk, views in rows if pk in articles]
        return found[:top]

    return MostRead(day=listed(day), week=listed(week))
