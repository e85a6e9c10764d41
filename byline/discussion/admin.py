"""The moderation queue: counts per status, bulk decisions, reasons, reply from the queue;
and on a comment's own page, the same decisions as buttons."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from byline.adminpaging import CappedPaginator
from byline.adminsafety import SafeChangeListMixin
from byline.antispam import Verdict
from byline.discussion import actions
from byline.discussion.models import Comment, ModerationRecord
from byline.sitetime import site_time

Decision = ModerationRecord.Decision


def _site_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


GONE_MEANWHILE = (
    "This comment (or the one above it that a reply at the deepest level joins) was "
    "deleted or taken back for moderation while you were writing: your reply was not "
    "published. Your words are below."
)

# What each decision does to a comment, as the queue's messages and buttons say it.
DONE = {
    Decision.APPROVE: "approved",
    Decision.SPAM: "marked as spam",
    Decision.NOT_SPAM: "marked as not spam and approved",
    Decision.UNAPPROVE: "sent back to the queue",
    Decision.TRASH: "moved to the trash",
}
BUTTONS = {
    Decision.APPROVE: "Approve",
    Decision.NOT_SPAM: "Not spam (approve)",
    Decision.UNAPPROVE: "Unapprove",
    Decision.SPAM: "Spam",
    Decision.TRASH: "Trash",
}


def decisions_for(comment: Comment) -> list[tuple[str, str]]:
    """The decisions a comment's page offers, as (value, button label): each one that
    changes its status; a spam comment is approved as "not spam" (the filter learns)."""
    offered = []
    for decision, label in BUTTONS.items():
        if actions.DECISION_STATUS[decision] == comment.status:
            continue
        is_spam = comment.status == Comment.Status.SPAM
        if decision == (Decision.APPROVE if is_spam else Decision.NOT_SPAM):
            continue
        offered.append((decision.value, label))
    return offered


def _decide(decision: str):
    def action(modeladmin, request, queryset):
        changed = actions.moderate(
            queryset.select_related("article"), decision, request.user, _site_url(request)
        )
        plural = "s" if changed != 1 else ""
        modeladmin.message_user(request, f"{changed} comment{plural} {DONE[decision]}.")

    return action


class ModerationRecordInline(admin.TabularInline):
    model = ModerationRecord
    extra = 0
    can_delete = False
    fields = ("decision", "previous_status", "moderator", "decided")
    readonly_fields = fields
    verbose_name_plural = "Moderators' decisions"

    @admin.display(description="decided at")
    def decided(self, record: ModerationRecord) -> str:
        return site_time(record.decided_at)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", widget=forms.Textarea(attrs={"rows": 6}))


class StatusFilter(admin.SimpleListFilter):
    """The queue's status filter, with how many comments each status holds.

    Counted no further than ``COUNT_CAP`` (then shown as "10,000+"), each an index
    read of at most that many rows: on a site with a million comments, exact
    counts would read them all on every page of the queue.
    """

    title = "status"
    parameter_name = "status__exact"
    COUNT_CAP = 10_000

    def lookups(self, request, model_admin):
        choices = []
        for value, label in Comment.Status.choices:
            count = Comment.objects.filter(status=value).order_by()[: self.COUNT_CAP + 1].count()
            shown = f"{self.COUNT_CAP:,}+" if count > self.COUNT_CAP else f"{count:,}"
            choices.append((value, f"{label} ({shown})"))
        return choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class VerdictFilter(admin.SimpleListFilter):
    """The spam check's verdicts, listed from the contract: not a DISTINCT over every comment."""

    title = "spam verdict"
    parameter_name = "spam_verdict__exact"

    def lookups(self, request, model_admin):
        return [(verdict.value, verdict.value) for verdict in Verdict if verdict != "discard"]

    def queryset(self, request, queryset):
        return queryset.filter(spam_verdict=self.value()) if self.value() else queryset


# What a moderator may correct of what the commenter wrote; the rest of a comment is record.
MODERATORS_CORRECT = ("author_name", "author_email", "author_url", "body", "notify_replies")


@admin.register(Comment)
class CommentAdmin(SafeChangeListMixin, admin.ModelAdmin):
    list_display = (
        "excerpt",
        "author_name",
        "article",
        "status",
        "submitted",
        "reactions",
        "held_because",
        "reply_link",
    )
    list_filter = (StatusFilter, VerdictFilter, "submitted_at")
    # Counts of every filter's choices on request only ("Show counts"): always on, they
    # read the whole table on every page. The status filter counts by itself.
    show_facets = admin.ShowFacets.ALLOW
    show_full_result_count = False
    paginator = CappedPaginator  # a million comments are not counted (see byline.adminpaging)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    search_fields = ("body", "author_name", "author_email", "article__headline")
    list_select_related = ("article",)
    list_per_page = 50
    # No date_hierarchy: its list of years reads every comment; the date filter stays.
    inlines = [ModerationRecordInline]

    actions = [
        "approve",
        "mark_spam",
        "mark_not_spam",
        "unapprove",
        "move_to_trash",
        "delete_selected",
    ]

    class Media:
        css = {"all": ("discussion/admin.css",)}

    fields = (
        "article",
        "parent",
        "answers",
        "status",
        "author_name",
        "author_email",
        "author_url",
        "body",
        "notify_replies",
        "submitted",
        "reactions",
        "spam_check",
        "last_decision",
        "ip_hash",
        "user_agent",
    )
    readonly_fields = tuple(name for name in fields if name not in MODERATORS_CORRECT)

    approve = admin.action(description="Approve selected comments")(_decide(Decision.APPROVE))
    mark_spam = admin.action(description="Mark selected comments as spam")(_decide(Decision.SPAM))
    mark_not_spam = admin.action(description="Mark selected comments as not spam (approve)")(
        _decide(Decision.NOT_SPAM)
    )
    unapprove = admin.action(description="Unapprove selected comments")(_decide(Decision.UNAPPROVE))
    move_to_trash = admin.action(description="Move selected comments to the trash")(
        _decide(Decision.TRASH)
    )

    @admin.display(description="comment")
    def excerpt(self, obj: Comment) -> str:
        return Truncator(obj.body).chars(80) or "(erased)"

    @admin.display(description="reasons")
    def held_because(self, obj: Comment) -> str:
        """The first reason as a sentence ("Offers a loan."), then how many more: one
        line in the list; the comment's page lists them all (``spam_check``)."""
        reasons = obj.spam_reasons or []
        if not reasons:
            return ""
        first = reasons[0] if reasons[0].endswith((".", "!", "?")) else reasons[0] + "."
        return f"{first} ({len(reasons) - 1} more)" if len(reasons) > 1 else first

    @admin.display(description="submitted at", ordering="submitted_at")
    def submitted(self, obj: Comment) -> str:
        return site_time(obj.submitted_at)

    @admin.display(description="spam check")
    def spam_check(self, obj: Comment) -> str:
        score = "" if obj.spam_score is None else f", score {obj.spam_score:.2f}"
        reasons = format_html_join("", "<li>{}</li>", ((r,) for r in obj.spam_reasons or []))
        return format_html(
            '{} by <code>{}</code>{}<ul class="spam-reasons">{}</ul>',
            obj.spam_verdict or "none",
            obj.spam_backend or "-",
            score,
            reasons,
        )

    @admin.display(description="last decision")
    def last_decision(self, obj: Comment) -> str:
        if not obj.moderated_at:
            return "-"
        label = Decision(obj.moderation).label if obj.moderation in Decision.values else "-"
        return f"{label} by {obj.moderated_by} at {site_time(obj.moderated_at)}"

    @admin.display(description="reply")
    def reply_link(self, obj: Comment) -> str:
        if obj.status != Comment.Status.APPROVED:
            return ""
        url = reverse("admin:discussion_comment_reply", args=[obj.pk])
        return format_html('<a href="{}">Reply</a>', url)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # comments come from readers, or as replies from the queue

    def save_model(self, request, obj, form, change) -> None:
        if change and form.changed_data:
            actions.edit_comment(obj, request.user, site_url=_site_url(request))
        else:
            super().save_model(request, obj, form, change)

    def delete_model(self, request, obj) -> None:
        actions.delete_comments([obj])

    def delete_queryset(self, request, queryset) -> None:
        actions.delete_comments(queryset)

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("<int:pk>/reply/", view(self.reply_view), name="discussion_comment_reply"),
            path("<int:pk>/decide/", view(self.decide_view), name="discussion_comment_decide"),
        ]
        return [*own, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        comment = self.get_object(request, object_id)
        decisions = []
        if comment is not None and self.has_change_permission(request, comment):
            decisions = decisions_for(comment)
        extra_context = {**(extra_context or {}), "decisions": decisions}
        return super().change_view(request, object_id, form_url, extra_context)

    @method_decorator(require_POST)
    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A button on the comment's page: one of the queue's decisions, for this comment
        (the same ``actions.moderate`` as the queue's bulk actions)."""
        comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
        if not self.has_change_permission(request, comment):
            return HttpResponse(status=403)
        decision = request.POST.get("decision", "")
        if actions.DECISION_STATUS.get(decision) == comment.status:
            # Sent twice (a double click, a browser sending the form again): done already.
            messages.info(request, f"The comment was already {DONE[Decision(decision)]}.")
        elif decision not in dict(decisions_for(comment)):
            messages.warning(request, "The comment had changed: nothing was done. Choose again.")
        else:
            actions.moderate([comment], decision, request.user, _site_url(request))
            messages.success(request, f"The comment was {DONE[Decision(decision)]}.")
        return HttpResponseRedirect(reverse("admin:discussion_comment_change", args=[pk]))

    def reply_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """An editor answers a comment from the queue; the reply is published at once."""
        parent = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
        if not self.has_change_permission(request, parent):
            return HttpResponse(status=403)
        form = ReplyForm(request.POST or None)
        if request.method == "POST" and parent.status != Comment.Status.APPROVED:
            messages.error(request, "Approve the comment before replying to it.")
        elif request.method == "POST" and form.is_valid():
            try:
                reply = actions.reply_as_editor(
                    parent, form.cleaned_data["body"], request.user, _site_url(request)
                )
            except actions.CommentRejected:  # deleted or held since this page read it
                messages.error(request, GONE_MEANWHILE)
            else:
                messages.success(request, f"Your reply is published on “{parent.article}”.")
                change = reverse("admin:discussion_comment_change", args=[reply.pk])
                return HttpResponseRedirect(change)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Reply to {parent.author_name}",
            "parent": parent,
            "form": form,
        }
        return TemplateResponse(request, "admin/discussion/comment/reply.html", context)
