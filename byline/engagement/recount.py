"""Recounting the running totals from the vote rows, to find and repair drift.

The totals are moved in the same transaction as each vote, so drift means
something outside Byline changed the tables (a restore, a manual edit). The
``recount_engagement`` command reports it and, unless ``--dry-run``, repairs it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Sum

from byline.engagement.models import (
    STARS,
    ArticleStats,
    DailyViews,
    Rating,
    Reaction,
    ReactionTally,
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
    tables = [model._meta.db_table for model in (ArticleStats, ReactionTally, Reaction, Rating)]
    tables.append(DailyViews._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {', '.join(tables)} IN SHARE MODE")  # noqa: S608


def _reaction_drift() -> list[Drift]:
    recounted: Counter[tuple[int, str]] = Counter(
        {
            (row["article_id"], row["reaction"]): row["n"]
            for row in Reaction.objects.exclude(reaction="")
            .values("article_id", "reaction")
            .annotate(n=Count("id"))
        }
    )
    shown = {
        (row["article_id"], row["reaction"]): row["count"]
        for row in ReactionTally.objects.values("article_id", "reaction", "count")
    }
    drifts = []
    for article_id, reaction in sorted(set(recounted) | set(shown)):
        total = shown.get((article_id, reaction), 0)
        counted = recounted.get((article_id, reaction), 0)
        if total != counted:
            drifts.append(Drift(article_id, f"reaction {reaction}", total, counted))
    return drifts


def _rating_drift() -> list[Drift]:
    recounted = Counter(
        {
            (row["article_id"], row["stars"]): row["n"]
            for row in Rating.objects.filter(stars__isnull=False)
            .values("article_id", "stars")
            .annotate(n=Count("id"))
        }
    )
    drifts = []
    rated = {article_id for article_id, _ in recounted}
    fields = [f"stars_{stars}" for stars in STARS]
    for row in ArticleStats.objects.values("article_id", *fields).order_by("article_id"):
        rated.discard(row["article_id"])
        for stars in STARS:
            shown, counted = row[f"stars_{stars}"], recounted.get((row["article_id"], stars), 0)
            if shown != counted:
                drifts.append(Drift(row["article_id"], f"{stars} stars", shown, counted))
    for article_id in sorted(rated):  # ratings without a totals row at all
        for stars in STARS:
            if recounted.get((article_id, stars)):
                drifts.append(
                    Drift(article_id, f"{stars} stars", 0, recounted[(article_id, stars)])
                )
    return drifts


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
    ArticleStats.objects.bulk_create(
        [ArticleStats(article_id=drift.article_id)], ignore_conflicts=True
    )
    if drift.what.startswith("reaction "):
        reaction = drift.what.removeprefix("reaction ")
        ReactionTally.objects.update_or_create(
            article_id=drift.article_id, reaction=reaction, defaults={"count": drift.recounted}
        )
    elif drift.what.endswith(" stars"):
        stars = int(drift.what.split()[0])
        ArticleStats.objects.filter(article_id=drift.article_id).update(
            **{f"stars_{stars}": drift.recounted}
        )
    else:
        ArticleStats.objects.filter(article_id=drift.article_id).update(views=drift.recounted)
