"""The filter in the admin: its report for editors, its model versions, what it learned."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse

from byline.adminsafety import SafeChangeListMixin
from byline.antispam.models import (
    CheckLog,
    Classifier,
    FilterReport,
    SpamDomain,
    TrainingExample,
)
from byline.antispam.report import performance

REPORT_DAYS = 30

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:  # not subscriptable at run time
    ModelAdmin = admin.ModelAdmin


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FilterReport)
class FilterReportAdmin(ReadOnlyAdmin):
    """The admin index links here: precision, recall and false positives, 30 days."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"Spam filter: the last {REPORT_DAYS} days",
            "opts": self.model._meta,
            "report": performance(REPORT_DAYS),
        }
        return TemplateResponse(request, "admin/antispam/report.html", context)


@admin.register(CheckLog)
class CheckLogAdmin(SafeChangeListMixin, ReadOnlyAdmin):
    list_display = ("created_at", "verdict", "score", "label", "backend", "model_version")
    list_filter = ("verdict", "label", "backend")
    date_hierarchy = "created_at"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of what the filter did; `antispam prune` ages it out


@admin.register(TrainingExample)
class TrainingExampleAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "label", "updated_at")
    list_filter = ("label",)
    search_fields = ("body",)


@admin.register(SpamDomain)
class SpamDomainAdmin(ModelAdmin):
    list_display = ("domain", "spam_count", "ham_count", "is_spam", "updated_at")
    search_fields = ("domain",)

    @admin.display(boolean=True, description="treated as spam")
    def is_spam(self, obj: SpamDomain) -> bool:
        return obj.is_spam


@admin.register(Classifier)
class ClassifierAdmin(ReadOnlyAdmin):
    list_display = ("version", "kind", "examples", "created_at")
    exclude = ("data",)
