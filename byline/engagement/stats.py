"""Reading and writing an article's running totals.

Other apps go through these functions, never through ``ArticleStats`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from byline.engagement.models import ArticleStats


@dataclass(frozen=True)
class Figures:
    """An article's running totals, read in one query."""

    views: int = 0
    comments: int = 0


def figures_for(article_id: int) -> Figures:
    """The counters shown under the headline; zero for an article nobody has seen."""
    row = ArticleStats.objects.filter(article_id=article_id).values("views", "comments").first()
    return Figures(**row) if row else Figures()


def set_comment_count(article_id: int, count: int) -> None:
    """Record how many approved comments an article has (the discussion app calls this)."""
    ArticleStats.objects.update_or_create(article_id=article_id, defaults={"comments": count})
