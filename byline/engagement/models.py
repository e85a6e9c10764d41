"""Engagement figures shown on the article page."""

from __future__ import annotations

from django.db import models


class ArticleStats(models.Model):
    """One row of running totals per article, so the page never counts rows.

    ``views`` is maintained by the engagement app; ``comments`` (approved
    comments) by the discussion app through ``engagement.stats``.
    """

    article = models.OneToOneField(
        "articles.Article", on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    views = models.PositiveBigIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "article statistics"
        verbose_name_plural = "article statistics"

    def __str__(self) -> str:
        return f"{self.article_id}: {self.views} views, {self.comments} comments"
