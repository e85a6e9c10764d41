"""What the spam filter keeps: its model, what it checked, what moderators taught it.

None of these tables holds a commenter's name, e-mail or IP address. Checks and
examples are keyed by a salted fingerprint of (article, e-mail, text), so the filter
can match a moderator's decision to its own verdict without storing who wrote it.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from django.db import connections, models
from django.utils import timezone


def new_stamp() -> str:
    return secrets.token_hex(16)


class ClassifierQuerySet(models.QuerySet["Classifier"]):
    def latest_stamp(self) -> tuple[int, str] | None:
        """The newest version and its stamp. Asked on every check, so it skips the ORM's
        query building (a third of a millisecond) for one indexed lookup."""
        table = self.model._meta.db_table
        with connections[self.db].cursor() as cursor:
            cursor.execute(
                f"SELECT version, stamp FROM {table} ORDER BY version DESC LIMIT 1"  # noqa: S608
            )
            row = cursor.fetchone()
        return (row[0], row[1]) if row else None

    def latest_version(self) -> int | None:
        latest = self.latest_stamp()
        return latest[0] if latest else None


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

    def same_text_elsewhere(self, text_key: str, article_id: int | None, days: int) -> int:
        """On how many other articles the same text was posted in the last ``days``.

        Asked on every check: one indexed lookup in plain SQL (the ORM's query building
        costs more than the query), the distinct articles counted here.
        """
        connection = connections[self.db]
        since = connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(days=days))
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT article_id FROM {table} WHERE text_key = %s AND created_at >= %s "  # noqa: S608
                "AND article_id IS NOT NULL LIMIT 200",
                [text_key, since],
            )
            articles = {row[0] for row in cursor.fetchall()}
        articles.discard(article_id)
        return len(articles)

    def record(
        self,
        *,
        fingerprint: str,
        text_key: str,
        article_id: int | None,
        backend: str,
        verdict: str,
        score: float | None,
        reasons: list[str],
        model_version: int | None,
    ) -> None:
        """Store one check. Done for every new comment, so it is one INSERT in plain SQL
        (``objects.create()`` spends longer building the query than running it)."""
        connection = connections[self.db]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        table = self.model._meta.db_table
        sql = (
            f"INSERT INTO {table} (fingerprint, text_key, article_id, created_at, backend, "  # noqa: S608
            "verdict, score, reasons, model_version, label, labelled_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '', NULL)"
        )
        params = [
            fingerprint,
            text_key,
            article_id,
            now,
            backend,
            verdict,
            score,
            json.dumps(reasons),
            model_version,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


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


class SpamDomainQuerySet(models.QuerySet["SpamDomain"]):
    def marked(self, domains: list[str]) -> list[tuple[str, int]]:
        """Which of ``domains`` moderators have marked as spam, with their spam tally.

        Asked on every check of a comment with links: one indexed lookup in plain SQL."""
        if not domains:
            return []
        table = self.model._meta.db_table
        placeholders = ", ".join(["%s"] * len(domains))
        with connections[self.db].cursor() as cursor:
            cursor.execute(
                f"SELECT domain, spam_count, ham_count FROM {table} "  # noqa: S608
                f"WHERE domain IN ({placeholders})",
                domains,
            )
            rows = cursor.fetchall()
        order = {domain: n for n, domain in enumerate(domains)}
        return [
            (domain, spam)
            for domain, spam, ham in sorted(rows, key=lambda row: order[row[0]])
            if SpamDomain.counts_as_spam(spam, ham)
        ]


class SpamDomain(models.Model):
    """A domain linked from comments moderators labelled, with the tally either way."""

    domain = models.CharField(max_length=253, unique=True)
    spam_count = models.PositiveIntegerField(default=0)
    ham_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = SpamDomainQuerySet.as_manager()

    class Meta:
        ordering = ["-spam_count", "domain"]
        verbose_name = "linked domain"

    def __str__(self) -> str:
        return self.domain

    @property
    def is_spam(self) -> bool:
        return self.counts_as_spam(self.spam_count, self.ham_count)

    @staticmethod
    def counts_as_spam(spam_count: int, ham_count: int) -> bool:
        """Marked spam more often than three times for each time it was let through."""
        return spam_count > 3 * ham_count


class FilterReport(CheckLog):
    """The editors' report in the admin: how the filter did against moderators."""

    class Meta:
        proxy = True
        verbose_name = "performance report"
        verbose_name_plural = "performance over the last 30 days"
