"""How the filter has done against moderators' decisions: the editors' report."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from byline.antispam.models import CheckLog

FLAGGED = ("spam", "discard")
VERDICTS = ("approve", "hold", "spam", "discard")


@dataclass
class Report:
    days: int
    checked: int = 0
    by_verdict: dict[str, int] = field(default_factory=dict)
    # verdict → {"spam": n, "ham": n} for comments a moderator has labelled
    decided: dict[str, dict[str, int]] = field(default_factory=dict)
    false_positives: list[CheckLog] = field(default_factory=list)
    missed: list[CheckLog] = field(default_factory=list)

    @property
    def true_positives(self) -> int:
        return sum(self.decided[v]["spam"] for v in FLAGGED)

    @property
    def false_positive_count(self) -> int:
        return sum(self.decided[v]["ham"] for v in FLAGGED)

    @property
    def false_negative_count(self) -> int:
        return sum(self.decided[v]["spam"] for v in VERDICTS if v not in FLAGGED)

    @property
    def labelled(self) -> int:
        return sum(sum(row.values()) for row in self.decided.values())

    @property
    def precision(self) -> float | None:
        flagged = self.true_positives + self.false_positive_count
        return self.true_positives / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        spam = self.true_positives + self.false_negative_count
        return self.true_positives / spam if spam else None

    @property
    def false_positive_rate(self) -> float | None:
        ham = sum(row["ham"] for row in self.decided.values())
        return self.false_positive_count / ham if ham else None

    @property
    def rows(self) -> list[tuple[str, int, int, int]]:
        """(verdict, checked, moderators said spam, moderators said not spam)."""
        return [
            (v, self.by_verdict[v], self.decided[v]["spam"], self.decided[v]["ham"])
            for v in VERDICTS
        ]


def performance(days: int = 30, examples: int = 20) -> Report:
    """Every check of the last ``days`` days against the moderators' later decisions.

    "Flagged" means filed as spam or discarded; a held comment is not flagged (it waits
    for a person). Precision: of the flagged comments a moderator reviewed, how many were
    spam. Recall: of the comments moderators called spam, how many the filter flagged.
    """
    report = Report(days=days)
    report.by_verdict = dict.fromkeys(VERDICTS, 0)
    report.decided = {v: {"spam": 0, "ham": 0} for v in VERDICTS}
    recent = CheckLog.objects.since(days)
    for verdict, label, n in _counts(recent):
        if verdict not in report.by_verdict:
            continue
        report.by_verdict[verdict] += n
        report.checked += n
        if label in ("spam", "ham"):
            report.decided[verdict][label] += n
    report.false_positives = list(
        recent.filter(verdict__in=FLAGGED, label="ham").order_by("-created_at")[:examples]
    )
    report.missed = list(
        recent.filter(verdict__in=("approve", "hold"), label="spam").order_by("-created_at")[
            :examples
        ]
    )
    return report


def _counts(queryset: QuerySet[CheckLog]) -> list[tuple[str, str, int]]:
    from django.db.models import Count

    rows = queryset.values_list("verdict", "label").annotate(n=Count("id")).order_by()
    return list(rows)
