"""What the spam filter keeps: its model, what it checked, what moderators taught it.

None of these tables holds a commenter's name, e-mail or IP address. Checks and
examples are keyed by a salted fingerprint of (article, e-mail, text), so the filter
can match a moderator's decision to its own verdict without storing who wrote it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from byline.antispam import generation
from byline.sitetime import site_time


def new_stamp() -> str:
    return secrets.token_hex(16)


class ClassifierQuerySet(models.QuerySet["Classifier"]):
    def latest_version(self) -> int | None:
        return self.order_by("-version").values_list("version", flat=True).first()


class Classifier(models.Model):
    """One version of the trained text model, shared by every app server.

    What moderators teach is kept apart, as ``LearnedUpdate`` rows on top of a version
    and ``LearnedSnapshot`` rows summing them; a version itself is never changed."""

    class Kind(models.TextChoices):
        SHIPPED = "shipped", "shipped starting model"
        LEARNED = "learned", "learned from a moderator (older Byline)"
        RETRAINED = "retrained", "retrained"

    version = models.PositiveIntegerField(unique=True)
    # Tells apart two rows that had the same version number at different times (after
    # a restore, or a rolled-back test), so a server never keeps a stale copy.
    stamp = models.CharField(max_length=32, default=new_stamp, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    examples = models.PositiveIntegerField(default=0, help_text="Training examples seen.")
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = ClassifierQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = "model version"

    def __str__(self) -> str:
        return f"model v{self.version} ({self.get_kind_display()})"


class LearnedUpdate(models.Model):
    """One moderator decision, as the small change it made to the learned weights.

    Every app server adds the updates it has not seen yet on its next check; a new
    server starts from the latest snapshot and adds the updates after it."""

    base_version = models.PositiveIntegerField(help_text="The model version it applies to.")
    label = models.CharField(max_length=4, choices=[("ham", "not spam"), ("spam", "spam")])
    indices = models.BinaryField()
    deltas = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["base_version", "id"], name="antispam_update_base")]
        verbose_name = "learned decision"

    def __str__(self) -> str:
        return f"decision {self.pk} ({self.label}) on model v{self.base_version}"


class LearnedSnapshot(models.Model):
    """What moderators had taught a model version up to one decision: the point an
    administrator can roll back to."""

    base_version = models.PositiveIntegerField()
    last_update_id = models.BigIntegerField(
        default=0, help_text="The last learned decision included (0: none)."
    )
    decisions = models.PositiveIntegerField(default=0, help_text="Decisions included.")
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["base_version", "id"], name="antispam_snapshot_base")]
        verbose_name = "learning snapshot"

    def __str__(self) -> str:
        return f"snapshot {self.pk}: model v{self.base_version} + {self.decisions} decisions"


class TrainingExample(models.Model):
    """A comment a moderator labelled: the text only, for ``antispam retrain``."""

    class Label(models.TextChoices):
        HAM = "ham", "not spam"
        SPAM = "spam", "spam"

    fingerprint = models.CharField(max_length=64, unique=True)
    body = models.TextField()
    label = models.CharField(max_length=4, choices=Label.choices)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["updated_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_label_display()}: {self.body[:60]}"


class CheckLogQuerySet(models.QuerySet["CheckLog"]):
    def since(self, days: int) -> CheckLogQuerySet:
        return self.filter(created_at__gte=timezone.now() - timedelta(days=days))


class CheckLog(models.Model):
    """One check of a new comment: the filter's verdict, later the moderator's."""

    fingerprint = models.CharField(max_length=64, db_index=True)
    text_key = models.CharField(max_length=64, db_index=True)
    article_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    backend = models.CharField(max_length=40)
    verdict = models.CharField(max_length=8)
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    label = models.CharField(max_length=4, blank=True, choices=TrainingExample.Label.choices)
    labelled_at = models.DateTimeField(null=True, blank=True)

    objects = CheckLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "check"

    def __str__(self) -> str:
        return f"{self.verdict} ({self.score if self.score is not None else '-'})"

    @property
    def when_checked(self) -> str:
        """When the filter checked it, as the newsroom reads times (``site_time``)."""
        return site_time(self.created_at)


# A domain counts as spam when marked spam more than this many times for each time it
# was let through.
SPAM_DOMAIN_RATIO = 3


class SpamDomain(models.Model):
    """A domain linked from comments moderators labelled, with the tally either way."""

    domain = models.CharField(max_length=253, unique=True)
    spam_count = models.PositiveIntegerField(default=0)
    ham_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-spam_count", "domain"]
        verbose_name = "linked domain"

    def __str__(self) -> str:
        return self.domain

    @property
    def is_spam(self) -> bool:
        """Marked spam more often than three times for each time it was let through."""
        return self.spam_count > SPAM_DOMAIN_RATIO * self.ham_count


class FilterReport(CheckLog):
    """The editors' report in the admin: how the filter did against moderators."""

    class Meta:
        proxy = True
        verbose_name = "performance report"
        verbose_name_plural = "performance over the last 30 days"


# Plain SQL asked on every check (the ORM's query building costs more than the query
# itself). It is run where it is needed, so a check calls no function of this module.
_CLASSIFIERS = Classifier._meta.db_table
_UPDATES = LearnedUpdate._meta.db_table
_CHECKS = CheckLog._meta.db_table
# The newest model version, its stamp and its last learned decision (NULL: none).
LATEST_MODEL_SQL = (
    f"SELECT c.version, c.stamp, (SELECT MAX(u.id) FROM {_UPDATES} u "  # noqa: S608
    f"WHERE u.base_version = c.version) FROM {_CLASSIFIERS} c ORDER BY c.version DESC LIMIT 1"
)
# Store one check.
RECORD_CHECK_SQL = (
    f"INSERT INTO {_CHECKS} (fingerprint, text_key, article_id, created_at, backend, "  # noqa: S608
    "verdict, score, reasons, model_version, label, labelled_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '', NULL)"
)
# The articles the same text was posted under since a time (the distinct ones are
# counted by the caller).
SAME_TEXT_SQL = (
    f"SELECT article_id FROM {_CHECKS} WHERE text_key = %s AND created_at >= %s "  # noqa: S608
    "AND article_id IS NOT NULL LIMIT 200"
)
# Which of some domains moderators marked as spam, with their spam tally: format with
# one placeholder per domain.
MARKED_DOMAINS_SQL = (
    f"SELECT domain, spam_count FROM {SpamDomain._meta.db_table} "  # noqa: S608
    f"WHERE domain IN ({{}}) AND spam_count > {SPAM_DOMAIN_RATIO} * ham_count"
)


@receiver(post_save, sender=Classifier, dispatch_uid="antispam.classifier-saved")
@receiver(post_delete, sender=Classifier, dispatch_uid="antispam.classifier-deleted")
@receiver(post_save, sender=LearnedUpdate, dispatch_uid="antispam.decision-learned")
def _model_changed(**kwargs: object) -> None:
    """A model version stored, replaced or deleted, or a decision taught: every app server
    asks the database at its next check (``generation``; a rollback says so itself)."""
    generation.changed()
