"""The newsroom in the admin: roles enforced on the article form and its bulk
actions, the version check, revisions (diff, restore), autosave, corrections,
the clock-following status filter and the read-only audit trail.

``ArticleAdmin`` (byline/newsroom/article_admin.py) mixes ``NewsroomArticleAdmin`` in;
every change goes through ``newsroom.actions``.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from byline.articles.models import Article
from byline.errors import error_body
from byline.newsroom import actions, revisions, roles
from byline.newsroom.models import ArticleNote, AuditEntry, Revision
from byline.sitetime import site_time

Status = Article.Status
Comments = Article.Comments
AUTOSAVED_FIELDS = ("headline", "standfirst", "body")
MAX_AUTOSAVE_CHARS = 1_000_000


def site_default_comments() -> str:
    """The "site default" comment choice as editors read it: what the site does now
    (``BYLINE_COMMENTS_CLOSE_AFTER_DAYS``, read at each render), not the setting's name."""
    days = settings.BYLINE_COMMENTS_CLOSE_AFTER_DAYS
    if not days:
        return "Site default (comments never close)"
    return f"Site default (comments close {days} day{'' if days == 1 else 's'} after publication)"


class StatusFilter(admin.SimpleListFilter):
    """Status as readers experience it now: a scheduled article whose time has come
    is listed as published, computed against the clock on every request."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("draft", "Draft"),
            ("review", "In review"),
            ("scheduled", "Scheduled"),
            ("published", "Published"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        public = [Status.PUBLISHED, Status.SCHEDULED]
        value = self.value()
        if value in (Status.DRAFT, Status.REVIEW):
            return queryset.filter(status=value)
        if value == "scheduled":
            return queryset.filter(status__in=public, published_at__gt=now)
        if value == "published":
            return queryset.filter(status__in=public, published_at__lte=now)
        return queryset


class ArticleForm(forms.ModelForm):
    """The article form, carrying the version it was loaded from."""

    user_id: int | None = None  # set per request by ``NewsroomArticleAdmin.get_form``

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    class Meta:
        model = Article
        fields = "__all__"  # noqa: DJ007 - the admin passes the fields it shows

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["loaded_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        stored = self.instance.published_at
        if stored and cleaned.get("published_at") == stored.replace(microsecond=0):
            # The date/time fields have no fraction of a second: the same time to the
            # second is the time unchanged (not a new publication, nor an audit entry).
            cleaned["published_at"] = stored
        if "published_at" in self.fields and status == Status.SCHEDULED:
            published_at = cleaned.get("published_at")
            unchanged = (
                self.instance.pk is not None
                and self.instance.status == Status.SCHEDULED
                and self.instance.published_at == published_at
            )
            if not unchanged and (reason := actions.check_scheduling(status, published_at)):
                if "published_at" not in self.errors:
                    self.add_error("published_at", reason)
        if self.instance.pk is not None:
            self._check_version(cleaned.get("loaded_version"))
        return cleaned

    def _check_version(self, loaded: int | None) -> None:
        """Refuse a save based on an older version, showing what the other person changed
        and keeping what this one typed (the form comes back with it)."""
        current = (
            Article.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values("version")
            .first()
        )
        if current is None or loaded is None or loaded == current["version"]:
            return
        since = Revision.objects.filter(article_id=self.instance.pk, version__gt=loaded)
        if not since.exclude(kind=Revision.Kind.AUTOSAVED, user_id=self.user_id).exists():
            return  # only this person's own autosaves since: what they submit is newer
        stored = Article.objects.get(pk=self.instance.pk)
        theirs = revisions.snapshot(stored)
        base = revisions.at_version(stored, loaded)
        if base is not None:
            title, changes = "What they changed", revisions.diff(base.data, theirs)
        else:
            yours = {k: self.cleaned_data.get(k, theirs.get(k)) for k in AUTOSAVED_FIELDS}
            title, changes = "Their version → yours", revisions.diff(theirs, {**theirs, **yours})
        who = stored.revisions.order_by("-created_at", "-pk").select_related("user").first()
        name = who.user.get_username() if who is not None and who.user else "someone else"
        # The next save is deliberate: it is based on the version shown here.
        self.data = self.data.copy()
        self.data["loaded_version"] = str(current["version"])
        message = format_html(
            "Not saved: {} saved this article since you opened it. Your text is still in the "
            "form below. Compare, merge what you need, then save again (that save replaces "
            'their version). <details open class="conflict-diff"><summary>{}</summary>{}</details>',
            name,
            title,
            changes or "(no difference in the text)",
        )
        raise ValidationError(mark_safe(message), code="conflict")  # noqa: S308 - format_html


class ArticleNoteInline(admin.TabularInline):
    model = ArticleNote
    extra = 0
    fields = ("kind", "noted_at", "text")
    verbose_name_plural = "Corrections and updates (shown on the article, dated)"

    def has_add_permission(self, request, obj=None) -> bool:
        return roles.can_add_notes(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("newsroom.change_articlenote")

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("newsroom.delete_articlenote")


class NewsroomArticleAdmin:
    """Mixed into ``ArticleAdmin``: the roles, revisions, autosave and audit."""

    form = ArticleForm
    newsroom_readonly = ["revisions_link"]

    class Media:
        js = ("newsroom/autosave.js",)
        css = {"all": ("newsroom/admin.css",)}

    # -- permissions --------------------------------------------------------
    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)  # type: ignore[misc]
        return allowed and (obj is None or roles.can_edit(request.user, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)  # type: ignore[misc]
        return allowed and (obj is None or roles.can_edit(request.user, obj))

    def has_publish_permission(self, request) -> bool:
        return roles.can_publish(request.user)

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj), *self.newsroom_readonly]  # type: ignore[misc]
        if not roles.can_publish(request.user):
            fields += ["published_at", "featured"]
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (name, {**options, "fields": list(options["fields"])})
            for name, options in super().get_fieldsets(request, obj)  # type: ignore[misc]
        ]
        fieldsets[0][1]["fields"] += ["loaded_version"]
        fieldsets.append(("Comments", {"fields": ["comment_state", "comments_close_days"]}))
        fieldsets.append(("Revisions", {"fields": ["revisions_link"]}))
        return fieldsets

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status" and not roles.can_publish(request.user):
            kwargs["choices"] = [c for c in Status.choices if c[0] in roles.WRITER_STATUSES]
        if db_field.name == "comment_state":
            kwargs["choices"] = [
                (value, site_default_comments() if value == Comments.DEFAULT else label)
                for value, label in Comments.choices
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)  # type: ignore[misc]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        return type(form.__name__, (form,), {"user_id": request.user.pk})

    def get_inlines(self, request, obj):
        return [*super().get_inlines(request, obj), ArticleNoteInline]  # type: ignore[misc]

    # -- saving through the actions -----------------------------------------
    def save_model(self, request, obj, form, change) -> None:
        actions.save_article(
            request.user,
            obj,
            loaded_version=form.cleaned_data.get("loaded_version") if change else None,
            keep_revision=False,
        )

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        actions.after_related(request.user, form.instance)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not ArticleNote:
            return super().save_formset(request, form, formset, change)  # type: ignore[misc]
        notes = formset.save(commit=False)
        for note in notes:
            if note.pk is None:
                note.created_by = request.user
            note.save()
            actions.noted(request.user, note)
        for note in formset.deleted_objects:
            note.delete()
        return None

    def delete_model(self, request, obj) -> None:
        actions.audit(request.user, AuditEntry.Action.DELETED, obj)
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request, queryset) -> None:
        for article in queryset:
            if not roles.can_edit(request.user, article):
                raise PermissionDenied
            actions.audit(request.user, AuditEntry.Action.DELETED, article)
        super().delete_queryset(request, queryset)  # type: ignore[misc]

    # -- bulk actions ---------------------------------------------------------
    def _bulk(self, request, queryset, change, done: str) -> None:
        count, refused = 0, []
        for article in queryset:
            try:
                change(request.user, article)
                count += 1
            except (actions.Refused, actions.Conflict) as error:
                refused.append(f"{article.headline}: {error}")
        plural = "" if count == 1 else "s"
        self.message_user(request, f"{count} article{plural} {done}.")  # type: ignore[attr-defined]
        for line in refused[:10]:
            self.message_user(request, line, messages.ERROR)  # type: ignore[attr-defined]

    @admin.action(description="Publish now", permissions=["publish"])
    def publish_now(self, request, queryset) -> None:
        self._bulk(request, queryset, actions.publish, "published")

    @admin.action(description="Unpublish (back to draft)", permissions=["publish"])
    def unpublish(self, request, queryset) -> None:
        self._bulk(request, queryset, actions.unpublish, "unpublished")

    @admin.action(description="Submit for review", permissions=["change"])
    def submit_for_review(self, request, queryset) -> None:
        self._bulk(request, queryset, actions.submit_for_review, "submitted for review")

    # -- revisions, restore, autosave ------------------------------------------
    @admin.display(description="Revisions")
    def revisions_link(self, article: Article) -> str:
        if not article.pk:
            return "Revisions are kept from the first save."
        url = reverse("admin:articles_article_revisions", args=[article.pk])
        autosave = reverse("admin:articles_article_autosave", args=[article.pk])
        return format_html(
            '<a href="{}">Revisions and differences</a> '
            '<span id="autosave-status" class="autosave-status" role="status" aria-live="polite" '
            'data-autosave-url="{}" data-autosave-seconds="{}"></span>',
            url,
            autosave,
            settings.BYLINE_AUTOSAVE_SECONDS,
        )

    def get_urls(self):
        view = self.admin_site.admin_view  # type: ignore[attr-defined]
        own = [
            path(
                "<int:pk>/revisions/",
                view(self.revisions_view),
                name="articles_article_revisions",
            ),
            path(
                "<int:pk>/revisions/<int:revision_id>/restore/",
                view(self.restore_view),
                name="articles_article_restore",
            ),
            path("<int:pk>/autosave/", view(self.autosave_view), name="articles_article_autosave"),
        ]
        return own + super().get_urls()  # type: ignore[misc]

    def revisions_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        article = get_object_or_404(Article, pk=pk)
        if not self.has_view_or_change_permission(request, article):  # type: ignore[attr-defined]
            raise PermissionDenied
        kept = list(article.revisions.select_related("user")[:50])
        current = revisions.snapshot(article)
        rows = []
        for index, revision in enumerate(kept):
            previous = kept[index + 1].data if index + 1 < len(kept) else {}
            rows.append(
                {
                    "revision": revision,
                    "changes": revisions.diff(previous, revision.data),
                    "to_current": revisions.diff(revision.data, current),
                }
            )
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": f"Revisions of “{article.headline}”",
            "article": article,
            "opts": Article._meta,
            "rows": rows,
            "can_restore": roles.can_restore(request.user, article),
        }
        return TemplateResponse(request, "newsroom/revisions.html", context)

    def restore_view(self, request: HttpRequest, pk: int, revision_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:articles_article_revisions", args=[pk]))
        article = get_object_or_404(Article, pk=pk)
        revision = get_object_or_404(Revision, pk=revision_id, article=article)
        try:
            actions.restore(request.user, article, revision)
        except actions.Refused as refusal:
            raise PermissionDenied(str(refusal)) from refusal
        self.message_user(  # type: ignore[attr-defined]
            request, f"Restored the revision of {site_time(revision.created_at)} as a new one."
        )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[pk]))

    def autosave_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return autosave(request, pk)


@require_POST
def autosave(request: HttpRequest, pk: int) -> JsonResponse:
    """Autosave a draft's text (JSON in the error contract). Never publishes; refused
    (409) when someone saved since the form's version."""

    def refuse(status: int, message: str, **extra) -> JsonResponse:
        response = JsonResponse({**error_body(status, message), **extra}, status=status)
        response["Cache-Control"] = "private, no-store"
        return response

    article = Article.objects.filter(pk=pk).first()
    if article is None:
        return refuse(404, "No such article.")
    try:
        loaded = int(request.POST.get("loaded_version", ""))
    except ValueError:
        return refuse(400, "The form's version is missing: reload the page.")
    fields = {}
    for name in AUTOSAVED_FIELDS:
        value = request.POST.get(name)
        if value is None:
            continue
        if "\x00" in value or len(value) > MAX_AUTOSAVE_CHARS:
            return refuse(400, f"The {name} cannot be autosaved as it is.")
        limit = Article._meta.get_field(name).max_length
        fields[name] = value[:limit] if limit else value
    if not Article.headline_of(fields.get("headline", article.headline)):
        return refuse(400, "A headline is needed before the draft can be autosaved.")
    try:
        with transaction.atomic():
            outcome = actions.autosave(request.user, article, fields, loaded)
    except actions.Refused as refusal:
        return refuse(403, str(refusal))
    except actions.Conflict as conflict:
        stored = conflict.article
        base = revisions.at_version(stored, loaded)
        changes = revisions.diff(base.data if base else {}, revisions.snapshot(stored))
        message = (
            "Someone else saved this article since you opened it: autosave has stopped. "
            "Your text is still in the form; press Save to compare."
        )
        return refuse(409, message, diff=str(changes))
    response = JsonResponse(
        {
            "status": outcome,
            "version": article.version,
            "saved_at": timezone.localtime().strftime("%H:%M:%S"),
            "message": (
                "Draft autosaved"
                if outcome == "saved"
                else "Autosaved as a revision; readers see the change once you press Save"
            ),
        }
    )
    response["Cache-Control"] = "private, no-store"
    return response


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Who created, submitted, published, unpublished and edited what, and when (read only)."""

    list_display = ("when", "username", "action", "headline", "detail")
    list_filter = ("action",)
    search_fields = ("username", "headline", "detail")
    list_select_related = ()
    readonly_fields = ("at", "user", "username", "action", "article", "headline", "detail")
    show_full_result_count = False

    @admin.display(description="when", ordering="at")
    def when(self, entry: AuditEntry) -> str:
        return site_time(entry.at)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
