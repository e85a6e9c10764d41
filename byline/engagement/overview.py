"""The editors' overview: most viewed, most reacted and best rated articles over a period.

Admin-only queries; they scan the period's rows, which the reader-facing
pages never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Aggregate, Avg, Count, QuerySet, Sum

from byline.articles.models import Article
from byline.engagement.models import DailyViews, Rating, Reaction

PERIODS = (7, 30)
TOP = 10


@dataclass(frozen=True)
class Ranked:
    article_id: int
    headline: str
    value: float
    shown: str


def _since(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def _with_headlines(rows: list[tuple[int, float, str]]) -> list[Ranked]:
    headlines = dict(
        Article.objects.filter(pk__in=[row[0] for row in rows]).values_list("pk", "headline")
    )
    return [
        Ranked(article_id, headlines.get(article_id, f"Article {article_id}"), value, shown)
        for article_id, value, shown in rows
    ]


def _most(rows: QuerySet[Any], total: Aggregate) -> list[Ranked]:
    """The ``TOP`` articles of ``rows`` by ``total``, highest first."""
    ranked = rows.values("article_id").annotate(n=total).order_by("-n", "article_id")[:TOP]
    return _with_headlines([(row["article_id"], row["n"], f"{row['n']:,}") for row in ranked])


def most_viewed(days: int) -> list[Ranked]:
    since = _since(days).date() + timedelta(days=1)
    return _most(DailyViews.objects.filter(day__gte=since), Sum("views"))


def most_reacted(days: int) -> list[Ranked]:
    reacted = Reaction.objects.filter(updated_at__gte=_since(days)).exclude(reaction="")
    return _most(reacted, Count("id"))


def best_rated(days: int) -> list[Ranked]:
    rows = (
        Rating.objects.filter(updated_at__gte=_since(days), stars__isnull=False)
        .values("article_id")
        .annotate(mean=Avg("stars"), n=Count("id"))
        .order_by("-mean", "-n", "article_id")[:TOP]
    )
    return _with_headlines(
        [(row["article_id"], float(row["mean"]), f"{row['mean']:.1f} ({row['n']})") for row in rows]
    )
