"""Every change the newsroom makes to an article, one function per mutation.

Each checks the person's permission (``roles``), refuses a save based on an
out-of-date version (``Conflict``), keeps a revision and writes the audit
trail. The admin, its bulk actions, the autosave endpoint and code all use these.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from byline.articles.models import Article
from byline.newsroom import revisions, roles
from byline.newsroom.models import ArticleNote, AuditEntry, Revision
from byline.signals import article_changed
from byline.sitetime import site_time

Status = Article.Status
Action = AuditEntry.Action
PUBLIC = {Status.PUBLISHED, Status.SCHEDULED}


class Conflict(Exception):
    """Someone else saved the article since this version was loaded."""

    def __init__(self, article: Article, loaded_version: int) -> None:
        super().__init__("This article was saved by someone else since you opened it.")
        self.article = article
        self.loaded_version = loaded_version


class Refused(PermissionDenied):
    """Not allowed: the message says why, for the person who tried."""


def audit(user, action: str, article: Article | None, detail: str = "") -> AuditEntry:
    return AuditEntry.objects.create(
        user=user if getattr(user, "pk", None) else None,
        username=getattr(user, "username", "") or "",
        action=action,
        article=article if article is not None and article.pk else None,
        headline=(article.headline if article is not None else "")[:300],
        detail=detail[:500],
    )


def check_scheduling(status: str, published_at) -> str | None:
    """Why this status and time cannot go together (None: they can)."""
    if status == Status.SCHEDULED and published_at is None:
        return "Choose when to publish: a scheduled article needs a date and time."
    if status == Status.SCHEDULED and published_at <= timezone.now():
        return "That time has passed: choose a later time to schedule, or Published to publish now."
    return None


def status_actions(before: Article | None, after: Article) -> list[str]:
    """The audit actions a change of status stands for."""
    old = before.status if before is not None else None
    new = after.status
    moved_time = before is not None and before.published_at != after.published_at
    if new == old and not (new in PUBLIC and moved_time):
        return []
    if new == Status.REVIEW:
        return [Action.SUBMITTED]
    if new == Status.DRAFT:
        return [Action.UNPUBLISHED] if old in PUBLIC else [Action.RETURNED] if old else []
    if new in PUBLIC:
        live = after.published_at is None or after.published_at <= timezone.now()
        return [Action.PUBLISHED if live else Action.SCHEDULED]
    return []


def check_change(user, before: Article | None, after: Article) -> None:
    """Raise ``Refused`` unless ``user`` may turn ``before`` into ``after``."""
    if before is None:
        if not user.has_perm("articles.add_article"):
            raise Refused("You cannot create articles.")
    elif not roles.can_edit(user, before):
        raise Refused("You can edit only your own drafts and articles in review.")
    if roles.can_publish(user):
        return
    if after.status in PUBLIC or (before is not None and before.status in PUBLIC):
        raise Refused("Only editors can publish, schedule or unpublish: submit it for review.")
    if before is not None and (
        before.published_at != after.published_at or before.featured != after.featured
    ):
        raise Refused("Only editors can set the publication time or feature an article.")
    if before is None and after.featured:
        raise Refused("Only editors can feature an article.")


def claim_version(article: Article, loaded_version: int | None) -> None:
    """Move the stored version on by one if it is still ``loaded_version``, or raise
    ``Conflict``: two people never silently overwrite each other (atomic UPDATE)."""
    if article.pk is None:
        return
    expected = article.version if loaded_version is None else loaded_version
    moved = Article.objects.filter(pk=article.pk, version=expected).update(version=F("version") + 1)
    if not moved:
        raise Conflict(article, expected)
    article.version = expected + 1


def save_article(
    user,
    article: Article,
    *,
    loaded_version: int | None = None,
    before: Article | None = None,
    keep_revision: bool = True,
    detail: str = "",
) -> Article:
    """Save an article as ``user``: permission check, version check, audit, revision.

    ``before`` is the article as stored (read again if not given). The admin
    passes ``keep_revision=False`` and keeps the revision once the tags and
    authors are saved too (``after_related``).
    """
    with transaction.atomic():
        if before is None and article.pk is not None:
            before = Article.objects.get(pk=article.pk)
        check_change(user, before, article)
        if article.pk is None and article.created_by_id is None and getattr(user, "pk", None):
            article.created_by = user
        if reason := _scheduling_error(before, article):
            raise Refused(reason)
        claim_version(article, loaded_version)
        changed = before is not None and _content(before) != _content(article)
        article.save()
        if before is None:
            audit(user, Action.CREATED, article, detail)
        elif changed:
            audit(user, Action.EDITED, article, detail)
        for action in status_actions(before, article):
            audit(user, action, article, _when(article))
        if before is not None and before.featured != article.featured:
            audit(user, Action.FEATURED if article.featured else Action.UNFEATURED, article)
        if keep_revision:
            revisions.record(article, user)
    return article


def after_related(user, article: Article) -> Revision:
    """The admin saved the tags and authors too: keep the revision now."""
    return revisions.record(article, user)


def _scheduling_error(before: Article | None, article: Article) -> str | None:
    if article.status != Status.SCHEDULED:
        return None
    if before is not None and before.status == Status.SCHEDULED:
        if before.published_at == article.published_at:
            return None  # an unchanged schedule that has since come due is fine
    return check_scheduling(article.status, article.published_at)


def _content(article: Article) -> tuple:
    return tuple(str(getattr(article, f) or "") for f in Article.CONTENT_FIELDS)


def _when(article: Article) -> str:
    return f"for {site_time(article.published_at)}" if article.published_at else ""


def set_status(user, article: Article, status: str, published_at=None) -> Article:
    """Submit, publish, schedule or unpublish one article (bulk actions use this)."""
    before = Article.objects.get(pk=article.pk)
    article.status = status
    if status == Status.PUBLISHED:
        article.published_at = published_at or (
            article.published_at
            if article.published_at and article.published_at <= timezone.now()
            else timezone.now().replace(microsecond=0)  # to the second, as the admin's widget
        )
    elif published_at is not None:
        article.published_at = published_at
    return save_article(user, article, before=before)


def submit_for_review(user, article: Article) -> Article:
    return set_status(user, article, Status.REVIEW)


def publish(user, article: Article) -> Article:
    return set_status(user, article, Status.PUBLISHED)


def unpublish(user, article: Article) -> Article:
    return set_status(user, article, Status.DRAFT)


def set_featured(user, article: Article, featured: bool) -> None:
    """Feature or stop featuring: only the flag is saved (no "Updated" line)."""
    if not roles.can_publish(user):
        raise Refused("Only editors can feature articles on the front page.")
    if article.featured == featured:
        return
    article.featured = featured
    article.save(update_fields=["featured"])
    audit(user, Action.FEATURED if featured else Action.UNFEATURED, article)


def restore(user, article: Article, revision: Revision) -> Article:
    """Bring back a revision's content as a new revision (the status is untouched)."""
    if revision.article_id != article.pk:
        raise Refused("That revision belongs to another article.")
    if not roles.can_restore(user, article):
        raise Refused("Only editors can restore revisions.")
    with transaction.atomic():
        before = Article.objects.get(pk=article.pk)
        revisions.restore_into(article, revision)
        claim_version(article, before.version)
        article.save()
        revisions.restore_relations(article, revision)
        audit(user, Action.RESTORED, article, f"revision of {site_time(revision.created_at)}")
        revisions.record(article, user, Revision.Kind.RESTORED)
    return article


def autosave(user, article: Article, fields: dict[str, str], loaded_version: int) -> str:
    """Keep what is being typed: "saved" (a draft's text is stored and the version moves
    on) or "kept" (a published or scheduled article: a revision only; readers see the
    change when the editor presses Save). Never changes the status; ``Conflict`` if
    someone saved since ``loaded_version``."""
    if not roles.can_edit(user, article):
        raise Refused("You cannot edit this article.")
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        if current.version != loaded_version:
            raise Conflict(current, loaded_version)
        for name, value in fields.items():
            setattr(current, name, value)
        if current.status in PUBLIC:
            revisions.record(current, user, Revision.Kind.AUTOSAVED)  # the article is untouched
            return "kept"
        claim_version(current, loaded_version)
        current.save()
        revisions.record(current, user, Revision.Kind.AUTOSAVED)
        article.version = current.version
    return "saved"


def add_note(user, article: Article, kind: str, text: str, noted_at=None) -> ArticleNote:
    """A dated correction or update under the article: a real change (dateModified)."""
    if not roles.can_add_notes(user):
        raise Refused("Only editors can add corrections and updates.")
    note = ArticleNote(article=article, kind=kind, text=text, created_by=user)
    if noted_at is not None:
        note.noted_at = noted_at
    note.save()
    noted(user, note)
    return note


def noted(user, note: ArticleNote) -> None:
    """A note was added or changed: the article's content changed then, pages redrawn."""
    Article.objects.filter(pk=note.article_id).update(content_changed_at=timezone.now())
    audit(user, Action.NOTED, note.article, f"{note.get_kind_display()}: {note.text[:200]}")
    article_changed.send(sender=Article, article_id=note.article_id)
