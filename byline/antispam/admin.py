"""The filter in the admin: its report for editors, its model versions, what it learned."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from byline.adminsafety import SafeChangeListMixin
from byline.antispam.models import (
    CheckLog,
    Classifier,
    FilterReport,
    LearnedSnapshot,
    SpamDomain,
    TrainingExample,
)
from byline.antispam.report import performance
from byline.sitetime import admin_time

REPORT_DAYS = 30

if TYPE_CHECKING:
    from byline.antispam.store import Rollback

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
    list_display = ("checked", "verdict", "score", "label", "backend", "model_version")
    list_filter = ("verdict", "label", "backend")
    date_hierarchy = "created_at"
    exclude = ("created_at", "labelled_at")
    readonly_fields = ("checked", "labelled")
    checked = admin_time("created_at", "checked at")
    labelled = admin_time("labelled_at", "labelled at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of what the filter did; `antispam prune` ages it out


@admin.register(TrainingExample)
class TrainingExampleAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "label", "updated")
    exclude = ("created_at", "updated_at")
    readonly_fields = ("created", "updated")
    created = admin_time("created_at", "created at")
    updated = admin_time("updated_at", "updated at")
    list_filter = ("label",)
    search_fields = ("body",)


@admin.register(SpamDomain)
class SpamDomainAdmin(ModelAdmin):
    list_display = ("domain", "spam_count", "ham_count", "is_spam", "updated")
    search_fields = ("domain",)
    exclude = ("updated_at",)
    readonly_fields = ("updated",)
    updated = admin_time("updated_at", "updated at")

    @admin.display(boolean=True, description="treated as spam")
    def is_spam(self, obj: SpamDomain) -> bool:
        return obj.is_spam


@admin.register(Classifier)
class ClassifierAdmin(ReadOnlyAdmin):
    list_display = ("version", "kind", "examples", "created")
    exclude = ("data", "created_at")
    readonly_fields = ("created",)
    created = admin_time("created_at", "created at")
    actions = ["roll_back_one_step"]

    @admin.action(description="Roll back one step: undo what was learned since the last snapshot")
    def roll_back_one_step(self, request: HttpRequest, queryset: QuerySet[Classifier]) -> None:
        if not request.user.is_superuser:
            raise PermissionDenied
        result = _roll_back(self, request)
        if result is not None:
            self.message_user(
                request,
                f"Model v{result.version} rolled back to "
                + (f"snapshot {result.snapshot_id}" if result.snapshot_id else "its trained state")
                + f"; {result.undone} decisions undone.",
                messages.SUCCESS,
            )


@admin.register(LearnedSnapshot)
class LearnedSnapshotAdmin(ReadOnlyAdmin):
    """What moderators had taught the model at each snapshot; an administrator rolls
    the filter back to one in one step (also ``byline antispam rollback``)."""

    list_display = ("id", "base_version", "decisions", "last_update_id", "created")
    exclude = ("data", "created_at")
    readonly_fields = ("created",)
    created = admin_time("created_at", "created at")
    actions = ["roll_back_to"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Roll the spam filter back to this snapshot")
    def roll_back_to(self, request: HttpRequest, queryset: QuerySet[LearnedSnapshot]) -> None:
        if not request.user.is_superuser:
            raise PermissionDenied
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(request, "Choose exactly one snapshot.", messages.ERROR)
            return
        result = _roll_back(self, request, chosen[0].pk)
        if result is not None:
            self.message_user(
                request,
                f"Rolled back to snapshot {chosen[0].pk} ({result.decisions} decisions); "
                f"{result.undone} later decisions undone.",
                messages.SUCCESS,
            )


def _roll_back(
    model_admin: ModelAdmin, request: HttpRequest, snapshot_id: int | None = None
) -> Rollback | None:
    """``store.rollback()`` for an admin action; a failure is said to the user (None)."""
    from byline.antispam import store  # numpy: only when needed

    try:
        return store.rollback(snapshot_id)
    except LookupError as error:
        model_admin.message_user(request, str(error), messages.ERROR)
        return None
