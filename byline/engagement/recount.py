"""Recounting the running totals from the vote rows, to find and repair drift.

The totals are moved in the same transaction as each vote, so drift means
something outside Byline changed the tables (a restore, a manual edit). The
``recount_engagement`` command reports it and, unless ``--dry-run``, repairs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, QuerySet, Sum

from byline.engagement.models import (
    ArticleStats,
    DailyViews,
    Rating,
    Reaction,
    ReactionTally,
    StarTally,
)


@dataclass(frozen=True)
class Drift:
    """One total that differs from its recount."""

    article_id: int
    what: str
    shown: int
    recounted: int

    def __str__(self) -> str:
        return (
            f"article {self.article_id}: {self.what} shows {self.shown}, recount {self.recounted}"
        )


def recount(*, fix: bool = False) -> list[Drift]:
    """Compare every total with a recount of its rows; with ``fix``, correct the totals.

    Views have no rows per reader; their check is that ``ArticleStats.views``
    equals the sum of ``DailyViews`` (both move in the same flush).
    """
    with transaction.atomic():
        _hold_writers()
        drifts = _reaction_drift() + _rating_drift() + _view_drift()
        if fix:
            for drift in drifts:
                _repair(drift)
    return drifts


def _hold_writers() -> None:
    """Make votes and flushes wait while we count, so rows and totals are one snapshot.

    SQLite's write transactions already exclude each other; PostgreSQL needs
    the tables locked against writes (reads go on).
    """
    if connection.vendor != "postgresql":
        return
    tables = [
        model._meta.db_table for model in (ArticleStats, ReactionTally, StarTally, Reaction, Rating)
    ]
    tables.append(DailyViews._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {', '.join(tables)} IN SHARE MODE")  # noqa: S608


def _tally_drift(
    votes: QuerySet[Any], tallies: QuerySet[Any], column: str, describe: Callable[[Any], str]
) -> list[Drift]:
    """Each (article, choice)'s sum of shards against a count of the vote rows choosing it."""
    recounted = {
        (row["article_id"], row[column]): row["n"]
        for row in votes.values("article_id", column).annotate(n=Count("id"))
    }
    shown = {
        (row["article_id"], row[column]): row["n"]
        for row in tallies.values("article_id", column).annotate(n=Sum("count"))
    }
    drifts = []
    for article_id, key in sorted(set(recounted) | set(shown)):
        total = shown.get((article_id, key)) or 0
        counted = recounted.get((article_id, key), 0)
        if total != counted:
            drifts.append(Drift(article_id, describe(key), total, counted))
    return drifts


def _reaction_drift() -> list[Drift]:
    return _tally_drift(
        Reaction.objects.exclude(reaction=""),
        ReactionTally.objects.all(),
        "reaction",
        lambda key: f"reaction {key}",
    )


def _rating_drift() -> list[Drift]:
    return _tally_drift(
        Rating.objects.filter(stars__isnull=False),
        StarTally.objects.all(),
        "stars",
        lambda key: f"{key} stars",
    )


def _view_drift() -> list[Drift]:
    daily = {
        row["article_id"]: row["n"]
        for row in DailyViews.objects.values("article_id").annotate(n=Sum("views"))
    }
    drifts = []
    for row in ArticleStats.objects.values("article_id", "views").order_by("article_id"):
        counted = daily.pop(row["article_id"], 0)
        if row["views"] != counted:
            drifts.append(Drift(row["article_id"], "views", row["views"], counted))
    drifts += [Drift(article_id, "views", 0, n) for article_id, n in sorted(daily.items()) if n]
    return drifts


def _repair(drift: Drift) -> None:
    """Put the recounted total in shard 0 and empty the other shards (writers are held)."""
    ArticleStats.objects.bulk_create(
        [ArticleStats(article_id=drift.article_id)], ignore_conflicts=True
    )
    if drift.what.startswith("reaction "):
        reaction = drift.what.removeprefix("reaction ")
        ReactionTally.objects.filter(article_id=drift.article_id, reaction=reaction).delete()
        ReactionTally.objects.create(
            article_id=drift.article_id, reaction=reaction, count=drift.recounted
        )
    elif drift.what.endswith(" stars"):
        stars = int(drift.what.split()[0])
        StarTally.objects.filter(article_id=drift.article_id, stars=stars).delete()
        StarTally.objects.create(article_id=drift.article_id, stars=stars, count=drift.recounted)
    else:
        ArticleStats.objects.filter(article_id=drift.article_id).update(views=drift.recounted)
