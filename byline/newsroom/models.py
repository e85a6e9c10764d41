"""What the newsroom keeps beside its articles: revisions, the audit trail, and
the dated corrections and updates shown under an article."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from byline.articles.models import Article
from byline.modelfields import done_by


class Revision(models.Model):
    """One saved state of an article: every save (and autosave) keeps one.

    ``data`` holds the headline, dek, body, image fields, filing and metadata as
    JSON (``revisions.snapshot``); ``version`` is the article's version after it.
    """

    class Kind(models.TextChoices):
        SAVED = "saved", "Saved"
        AUTOSAVED = "autosaved", "Autosaved"
        RESTORED = "restored", "Restored"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SAVED)
    user = done_by(editable=True)
    created_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["article", "-created_at"], name="revision_latest")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version} ({self.kind})"


class AuditEntry(models.Model):
    """Who did what to which article, and when. Written by ``newsroom.actions`` only."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        SUBMITTED = "submitted", "Submitted for review"
        RETURNED = "returned", "Returned to draft"
        PUBLISHED = "published", "Published"
        SCHEDULED = "scheduled", "Scheduled"
        UNPUBLISHED = "unpublished", "Unpublished"
        RESTORED = "restored", "Restored a revision"
        NOTED = "noted", "Added a correction or update"
        FEATURED = "featured", "Featured"
        UNFEATURED = "unfeatured", "Stopped featuring"
        DELETED = "deleted", "Deleted"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = done_by(editable=True)
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=12, choices=Action.choices)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    headline = models.CharField(max_length=300, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"

    def __str__(self) -> str:
        return f"{self.username or 'system'} {self.action} {self.headline}"


class ArticleNote(models.Model):
    """A dated correction or update, shown under the article it amends."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        UPDATE = "update", "Update"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CORRECTION)
    text = models.TextField(help_text="What was wrong and what is right now, or what is new.")
    noted_at = models.DateTimeField("date", default=timezone.now)
    created_by = done_by()

    class Meta:
        ordering = ["noted_at", "pk"]
        verbose_name = "correction or update"
        verbose_name_plural = "corrections and updates"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {self.noted_at:%Y-%m-%d}"
