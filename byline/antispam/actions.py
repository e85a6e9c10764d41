"""What ``learn()`` and ``antispam retrain`` do, whichever backend is on.

Every check is recorded (``pipeline.check_submission``: verdict, score, reasons, a
salted fingerprint; never who wrote it) so a moderator's later decision can be matched
to it for the editors' report, and every moderator decision is kept as a training
example so a retrain can use it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from byline.antispam.classifier import link_domains
from byline.antispam.contract import Label, SpamBackend, Submission
from byline.antispam.pipeline import encodable_submission, fingerprint

logger = logging.getLogger("byline.antispam")


def learn_decision(backend: SpamBackend, submission: Submission, label: Label) -> bool:
    """Record a moderator's decision and teach the backend; False if nothing changed.

    Idempotent: the same decision twice teaches once. A changed mind (spam, then
    "not spam") is learned again with the new label.
    """
    from byline.antispam.models import CheckLog, SpamDomain, TrainingExample

    submission = encodable_submission(submission)
    label = Label(label)
    key = fingerprint(submission)
    now = timezone.now()
    with transaction.atomic():
        CheckLog.objects.filter(fingerprint=key).update(label=str(label), labelled_at=now)
        example = TrainingExample.objects.select_for_update().filter(fingerprint=key).first()
        previous = example.label if example else None
        if previous == label:
            return False
        TrainingExample.objects.update_or_create(
            fingerprint=key,
            defaults={"body": submission.body, "label": str(label), "updated_at": now},
            create_defaults={
                "body": submission.body,
                "label": str(label),
                "created_at": now,
                "updated_at": now,
            },
        )
        column = {Label.SPAM: "spam_count", Label.HAM: "ham_count"}
        for domain in link_domains(submission.body, submission.author_url):
            SpamDomain.objects.get_or_create(domain=domain)
            if previous:
                SpamDomain.objects.filter(
                    domain=domain, **{f"{column[Label(previous)]}__gt": 0}
                ).update(**{column[Label(previous)]: F(column[Label(previous)]) - 1})
            SpamDomain.objects.filter(domain=domain).update(
                **{column[label]: F(column[label]) + 1, "updated_at": now}
            )
    try:
        backend.train(submission, label)
    except Exception:
        logger.exception("Spam backend %s failed to learn a decision.", backend.name)
    return True


@dataclass(frozen=True)
class RetrainResult:
    version: int | None  # None on a dry run
    corpus_examples: int
    site_examples: int


def retrain(
    dry_run: bool = False,
    progress: Callable[[Iterable[tuple[str, str]]], Iterable[tuple[str, str]]] = iter,
) -> RetrainResult:
    """Rebuild the text model from the seed corpus plus every moderated comment."""
    from byline.antispam import store
    from byline.antispam.classifier import TextModel
    from byline.antispam.corpus import seed_corpus
    from byline.antispam.models import Classifier, TrainingExample

    corpus = seed_corpus()
    site = list(TrainingExample.objects.order_by("updated_at", "id").values_list("body", "label"))
    model = TextModel.train([e.text for e in corpus], [e.is_spam for e in corpus])
    # Then every moderated comment, in the order moderators decided, learned as it was
    # live: the result is the model the moderators taught, rebuilt from a clean start
    # (after a change of features, or once a bad decision has been corrected).
    for body, label in progress(site):
        model.learn(body, label == Label.SPAM)
    version = None if dry_run else store.save(model, Classifier.Kind.RETRAINED)
    return RetrainResult(version, len(corpus), len(site))


def retrain_if_unusable() -> RetrainResult | None:
    """Retrain when the newest stored model cannot be read, as after an upgrade that
    changed the model's features: run after every ``migrate``, so an upgrade needs no
    manual step and keeps what moderators taught. None if nothing needed doing."""
    from byline.antispam.models import Classifier

    if not Classifier.objects.exists():
        return None  # nothing stored yet (and numpy stays unloaded)
    from byline.antispam import store

    problem = store.why_latest_unusable()
    if problem is None:
        return None
    result = retrain()
    logger.warning(
        "Stored spam model unusable (%s); retrained as v%s from %s corpus + %s moderated comments.",
        problem,
        result.version,
        result.corpus_examples,
        result.site_examples,
    )
    return result


def prune(dry_run: bool = False) -> int:
    """Delete check records older than BYLINE_SPAM_LOG_DAYS; returns how many."""
    from byline.antispam.models import CheckLog

    old = CheckLog.objects.exclude(pk__in=CheckLog.objects.since(settings.BYLINE_SPAM_LOG_DAYS))
    count = old.count()
    if not dry_run:
        old.delete()
    return count
