"""Editors see each article's engagement and an overview with charts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from byline.adminsafety import SafeObjectIdMixin
from byline.engagement import overview
from byline.engagement.charts import Bar, bar_chart
from byline.engagement.models import STARS, ArticleStats, StarTally
from byline.engagement.stats import Figures, figures_for

if TYPE_CHECKING:  # ModelAdmin is generic for the type checker only
    StatsAdminBase = admin.ModelAdmin[ArticleStats]
else:
    StatsAdminBase = admin.ModelAdmin


@admin.register(ArticleStats)
class ArticleStatsAdmin(SafeObjectIdMixin, StatsAdminBase):
    """Read-only: the totals move only with readers' votes and views."""

    list_display = ["article", "views", "comments", "reactions", "rating", "ratings"]
    list_select_related = ["article"]
    search_fields = ["article__headline"]
    ordering = ["-views"]
    fields = readonly_fields = (
        "article",
        "views",
        "comments",
        "reaction_breakdown",
        "rating",
        "ratings",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ArticleStats]:
        star_sums = {
            f"stars_{stars}": Subquery(
                StarTally.objects.filter(article_id=OuterRef("article_id"), stars=stars)
                .values("stars")
                .annotate(n=Sum("count"))
                .values("n")
            )
            for stars in STARS
        }
        return (
            super()
            .get_queryset(request)
            .annotate(reaction_sum=Sum("article__reaction_tallies__count"), **star_sums)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def _figures(self, stats: ArticleStats) -> Figures:
        return Figures(
            rating_counts={stars: getattr(stats, f"stars_{stars}", 0) or 0 for stars in STARS}
        )

    @admin.display(description="Reactions", ordering="reaction_sum")
    def reactions(self, stats: ArticleStats) -> int:
        return getattr(stats, "reaction_sum", None) or 0

    @admin.display(description="Average rating")
    def rating(self, stats: ArticleStats) -> str:
        average = self._figures(stats).rating_average
        return "–" if average is None else f"{average} / 5"

    @admin.display(description="Ratings")
    def ratings(self, stats: ArticleStats) -> int:
        return self._figures(stats).rating_count

    @admin.display(description="Reactions by kind")
    def reaction_breakdown(self, stats: ArticleStats) -> str:
        figures = figures_for(stats.article_id)
        return ", ".join(
            f"{r.emoji} {r.label}: {r.count} ({r.percent} %)" for r in figures.reactions
        )

    def get_urls(self) -> list[URLPattern]:
        overview_url = path(
            "overview/",
            self.admin_site.admin_view(self.overview_view),
            name="engagement_overview",
        )
        return [overview_url, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "overview_url": reverse("admin:engagement_overview"),
        }
        return super().changelist_view(request, extra_context)

    def overview_view(self, request: HttpRequest) -> HttpResponse:
        """Most viewed, most reacted and best rated articles over 7 and 30 days."""
        rankings = [
            ("Most viewed", "views", overview.most_viewed),
            ("Most reacted", "reactions", overview.most_reacted),
            ("Best rated", "rating", overview.best_rated),
        ]
        periods = []
        for days in overview.PERIODS:
            charts = []
            for title, slug, rank in rankings:
                ranked = rank(days)
                full_title = f"{title}, last {days} days"
                bars = [Bar(item.headline, item.value, item.shown) for item in ranked]
                charts.append(
                    {
                        "title": full_title,
                        "svg": bar_chart(full_title, bars, chart_id=f"chart-{slug}-{days}"),
                        "rows": ranked,
                    }
                )
            periods.append({"days": days, "charts": charts})
        context = {
            **self.admin_site.each_context(request),
            "title": "Engagement overview",
            "opts": self.model._meta,
            "periods": periods,
        }
        return TemplateResponse(request, "admin/engagement/overview.html", context)
