"""Reading and writing an article's running totals.

Other apps go through these functions, never through the engagement tables.
Everything the article page shows comes from ``figures_for()`` in one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection

from byline.engagement.models import STARS, ArticleStats, ReactionTally


def shares(counts: list[int]) -> list[int]:
    """Whole-number percentages of ``counts`` that add up to exactly 100.

    Largest remainder: each share is rounded down, then the points still
    missing go to the largest remainders (earlier items first on a tie). All
    zero when there is nothing to share.
    """
    total = sum(counts)
    if total == 0:
        return [0] * len(counts)
    floors = [count * 100 // total for count in counts]
    remainders = [count * 100 % total for count in counts]
    missing = 100 - sum(floors)
    order = sorted(range(len(counts)), key=lambda i: (-remainders[i], i))
    for i in order[:missing]:
        floors[i] += 1
    return floors


@dataclass(frozen=True)
class ReactionFigure:
    """One reaction's emoji, label, count and share of all reactions on the article."""

    key: str
    emoji: str
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class StarFigure:
    """How many readers gave this many stars, and their share of all ratings."""

    stars: int
    count: int
    percent: int


@dataclass(frozen=True)
class Figures:
    """An article's running totals, read in one query."""

    views: int = 0
    comments: int = 0
    reactions: tuple[ReactionFigure, ...] = ()
    rating_counts: dict[int, int] = field(default_factory=lambda: dict.fromkeys(STARS, 0))

    @property
    def reaction_total(self) -> int:
        return sum(reaction.count for reaction in self.reactions)

    @property
    def rating_count(self) -> int:
        return sum(self.rating_counts.values())

    @property
    def rating_average(self) -> Decimal | None:
        """The mean number of stars to one decimal, or None without ratings."""
        count = self.rating_count
        if not count:
            return None
        total = sum(stars * n for stars, n in self.rating_counts.items())
        return (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def stars(self) -> tuple[StarFigure, ...]:
        """5 Star … 1 Star, each with its count and share."""
        order = sorted(STARS, reverse=True)
        percents = shares([self.rating_counts[stars] for stars in order])
        return tuple(
            StarFigure(stars, self.rating_counts[stars], percent)
            for stars, percent in zip(order, percents, strict=True)
        )

    def aggregate_rating(self) -> dict | None:
        """The schema.org ``AggregateRating`` for the article's JSON-LD, or None without ratings."""
        if not self.rating_count:
            return None
        return {
            "@type": "AggregateRating",
            "ratingValue": float(self.rating_average),  # type: ignore[arg-type]
            "ratingCount": self.rating_count,
            "bestRating": 5,
            "worstRating": 1,
        }

    def as_json(self) -> dict:
        """The figures as the JSON API returns them (see docs/api.md)."""
        average = self.rating_average
        return {
            "views": self.views,
            "comments": self.comments,
            "reactions": [
                {
                    "key": r.key,
                    "emoji": r.emoji,
                    "label": r.label,
                    "count": r.count,
                    "percent": r.percent,
                }
                for r in self.reactions
            ],
            "rating": {
                "average": float(average) if average is not None else None,
                "count": self.rating_count,
                "stars": [
                    {"stars": s.stars, "count": s.count, "percent": s.percent} for s in self.stars
                ],
            },
        }


def _reaction_figures(counts: dict[str, int]) -> tuple[ReactionFigure, ...]:
    kinds = settings.BYLINE_REACTIONS
    numbers = [counts.get(kind.key, 0) for kind in kinds]
    return tuple(
        ReactionFigure(kind.key, kind.emoji, kind.label, count, percent)
        for kind, count, percent in zip(kinds, numbers, shares(numbers), strict=True)
    )


def figures_for(article_id: int) -> Figures:
    """Everything the article page shows of its engagement, in one query.

    Zero for an article nobody has seen. Reactions no longer configured are
    left out (their rows stay, and come back if the reaction does). One plain
    join, one row per reaction tally: it is read on every page render and
    every API call, so it skips the ORM's query building.
    """
    stats, tallies = ArticleStats._meta.db_table, ReactionTally._meta.db_table
    star_columns = ", ".join(f"s.stars_{stars}" for stars in STARS)
    sql = (
        f"SELECT s.views, s.comments, {star_columns}, t.reaction, t.count "  # noqa: S608
        f"FROM {stats} s LEFT JOIN {tallies} t ON t.article_id = s.article_id "
        "WHERE s.article_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [article_id])
        rows = cursor.fetchall()
    if not rows:
        return Figures(reactions=_reaction_figures({}))
    first = rows[0]
    return Figures(
        views=first[0],
        comments=first[1],
        reactions=_reaction_figures({row[7]: row[8] for row in rows if row[7] is not None}),
        rating_counts=dict(zip(STARS, first[2:7], strict=True)),
    )


def ensure_stats_row(article_id: int) -> None:
    """Create the article's totals row if it is missing; safe when two requests race."""
    ArticleStats.objects.bulk_create([ArticleStats(article_id=article_id)], ignore_conflicts=True)


def set_comment_count(article_id: int, count: int) -> None:
    """Record how many approved comments an article has (the discussion app calls this).

    Only the ``comments`` column is written, so concurrent votes and view
    flushes on the same row are never overwritten.
    """
    if not ArticleStats.objects.filter(article_id=article_id).update(comments=count):
        ensure_stats_row(article_id)
        ArticleStats.objects.filter(article_id=article_id).update(comments=count)


def aggregate_rating(article_id: int) -> dict | None:
    """The schema.org ``AggregateRating`` for an article, or None without ratings."""
    return figures_for(article_id).aggregate_rating()
