"""What ``check()`` does: the configured backend's verdict, recorded; and the local
filter's pipeline (text model + signals → score → verdict, with reasons).

The whole check of one comment runs in four modules: this one, ``evidence`` (the
signals), ``features`` (what the text says) and ``classifier`` (the text model). The
model comes from this process's cache (``store`` fills it when the database holds a
newer version or a decision it has not seen), and the few statements a check runs are
plain SQL held by ``models``, so neither is called into on an ordinary check.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from byline.antispam import evidence
from byline.antispam.contract import Decision, Label, SpamBackend, Submission, Verdict
from byline.antispam.features import clean, duplicate_key, encodable, link_domains

if TYPE_CHECKING:
    from byline.antispam.classifier import Explanation, TextModel

logger = logging.getLogger("byline.antispam")

FAILED_REASON = "The spam filter failed on this comment, so it waits for a moderator."

# The score's log-odds are kept within this bound so one signal cannot make it absolute.
MAX_LOGIT = 30.0


@dataclass(frozen=True)
class Thresholds:
    approve_below: float
    spam_at: float
    discard_at: float

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            settings.BYLINE_SPAM_APPROVE_BELOW,
            settings.BYLINE_SPAM_SPAM_AT,
            settings.BYLINE_SPAM_DISCARD_AT,
        )


@dataclass(frozen=True)
class Assessment:
    """A decision and what the filter needs to remember about it."""

    decision: Decision
    model_version: int | None = None


def fingerprint(submission: Submission) -> str:
    """A salted hash of (article, e-mail, text): matches a moderator's decision to the
    check of the same comment without storing who wrote it."""
    value = "\0".join(
        (
            str(submission.article_id or ""),
            submission.author_email.strip().lower(),
            submission.body,
        )
    )
    return _salted_hash("byline.antispam.fingerprint", value)


def text_key(body: str) -> str:
    """A salted hash of the text alone, normalised, to find the same text elsewhere."""
    return _text_key(body, settings.SECRET_KEY)


@lru_cache(maxsize=16)  # asked by the duplicate signal, then by the check's record
def _text_key(body: str, secret: str) -> str:
    return _salted_hash("byline.antispam.text", duplicate_key(body))


def _salted_hash(salt: str, value: str) -> str:
    """Django's ``salted_hmac(salt, value, algorithm="sha256")``, its key derived once."""
    key = _hmac_key(salt, settings.SECRET_KEY)
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def _hmac_key(salt: str, secret: str) -> bytes:
    return hashlib.sha256(salt.encode() + secret.encode()).digest()


def is_known_commenter(submission: Submission) -> bool:
    return submission.author_approved_comments > 0 and submission.author_spam_comments == 0


FIRST_COMMENT_TEXT = {
    "publish": "A first comment from an unknown address is published when the filter finds "
    "it genuine, and waits for a moderator when the filter is unsure.",
    "hold": "Every first comment from an unknown address waits for a moderator.",
    "hold-links": "A first comment from an unknown address waits for a moderator when it "
    "has links, and is published when the filter finds it genuine and it has none.",
}


def first_comment_policy() -> tuple[str, str]:
    """The first-comment policy in force (BYLINE_SPAM_FIRST_COMMENT) and what it means,
    in a sentence for the comment-data page."""
    policy = settings.BYLINE_SPAM_FIRST_COMMENT
    return policy, FIRST_COMMENT_TEXT[policy]


def verdict_for(
    score: float,
    submission: Submission,
    limits: Thresholds,
    policy: str = "publish",
    has_links: bool = False,
) -> tuple[Verdict, str]:
    """Map a score to a verdict, with the sentence that says why.

    ``policy`` is the first-comment policy (BYLINE_SPAM_FIRST_COMMENT): what happens to
    a comment from an unknown address that the filter finds genuine."""
    shown = f"Spam score {score:.2f}"
    if limits.discard_at < 1.0 and score >= limits.discard_at:
        return Verdict.DISCARD, f"{shown}, at or above {limits.discard_at:g}: discarded."
    if score >= limits.spam_at:
        return Verdict.SPAM, f"{shown}, at or above {limits.spam_at:g}: filed as spam."
    known = is_known_commenter(submission)
    if score < limits.approve_below:
        under = f"{shown}, under {limits.approve_below:g}"
        if not known and policy == "hold":
            return Verdict.HOLD, (
                f"{under}, but this is the first comment from this address, and the site "
                "holds every first comment for a moderator."
            )
        if not known and policy == "hold-links" and has_links:
            return Verdict.HOLD, (
                f"{under}, but this first comment from this address has links, and the site "
                "holds those for a moderator."
            )
        return Verdict.APPROVE, f"{under}: published."
    between = f"{shown}, between {limits.approve_below:g} and {limits.spam_at:g}"
    if known:
        return Verdict.APPROVE, f"{between}: the filter is unsure, but the commenter is known."
    return Verdict.HOLD, (
        f"{between}: the filter is unsure, and this is the first comment from this address, "
        "so it waits for a moderator."
    )


def _quote(words: list[str]) -> str:
    return ", ".join(f"“{word}”" for word in words)


@dataclass(frozen=True)
class TextReading:
    """What the text alone says: the model's log-odds (damped for a short text with
    nothing to sell), its explanation, and the evidence read from the text."""

    logit: float
    explanation: Explanation
    found: tuple[evidence.Evidence, ...]
    domains: tuple[str, ...]


def read_text(model: TextModel, body: str) -> TextReading:
    """Score a text with the model and the text's own evidence (no database)."""
    explanation = model.explain(body)
    domains = link_domains(body)
    said, payload = evidence.read(body, domains)
    found = (
        *evidence.links(domains),
        *evidence.cheap_domains(domains),
        *evidence.sales_domains(domains),
        *evidence.anchors(body),
        *said,
    )
    found = (*found, *evidence.citation(body, domains, found))
    logit = explanation.logit
    # The cap bounds what the trained model says; what moderators taught this site
    # (bounded on its own) is added on top, so a site can still teach a kind of spam
    # that sells nothing the rules can see.
    trained = logit - explanation.learned
    if trained > evidence.SELLS_NOTHING_MAX_LOGIT and not payload:
        if not any(item.weight > 0 for item in found) and not evidence.asks_something(clean(body)):
            logit = evidence.SELLS_NOTHING_MAX_LOGIT + explanation.learned
            found = (*found, evidence.SELLS_NOTHING)
    logit += sum(item.weight for item in found)
    return TextReading(logit, explanation, found, tuple(domains))


def assess(submission: Submission) -> Assessment:
    """Score one comment with the local model and every signal."""
    if submission.honeypot_filled:
        reason = "The hidden honeypot field was filled in: only bots see it."
        return Assessment(Decision(Verdict.DISCARD, (reason,), 1.0))
    version, model = current_model()
    reading = read_text(model, submission.body)
    explanation = reading.explanation
    leaning = "spam" if explanation.probability >= 0.5 else "genuine"
    words = explanation.toward_spam if leaning == "spam" else explanation.toward_ham
    model_reason = (
        f"The text reads as {leaning} ({explanation.probability:.0%} spam-like"
        f" to model v{version or 'shipped'})"
        + (f"; words that weighed most: {_quote(words)}." if words else ".")
    )
    domains = list(reading.domains)
    found = [
        *reading.found,
        *evidence.spam_domains(domains, submission.author_url),
        *evidence.timing(submission, settings.BYLINE_SPAM_MIN_SECONDS),
        *evidence.history(submission),
        *evidence.duplicates(submission, text_key(submission.body), clean(submission.body)),
    ]
    logit = reading.logit + sum(item.weight for item in found[len(reading.found) :])
    logit = max(-MAX_LOGIT, min(MAX_LOGIT, logit))
    score = 1.0 / (1.0 + math.exp(-logit))
    verdict, summary = verdict_for(
        score,
        submission,
        Thresholds.from_settings(),
        settings.BYLINE_SPAM_FIRST_COMMENT,
        bool(domains or link_domains("", submission.author_url)),
    )
    reasons = (model_reason, *(item.reason for item in found), summary)
    return Assessment(Decision(verdict, reasons, round(score, 4)), version)


def current_model() -> tuple[int | None, TextModel]:
    """The latest model with all it has learned, and its version: this process's copy
    when the database holds nothing newer (one indexed query), else ``store`` reloads."""
    # Imported on first use: the model brings numpy, SciPy and scikit-learn
    # (about 100 MB), which an app worker that only serves pages never needs.
    from byline.antispam import store
    from byline.antispam.models import LATEST_MODEL_SQL, Classifier

    loaded = store.loaded
    if loaded is not None:
        try:
            with connections[Classifier.objects.db].cursor() as cursor:
                cursor.execute(LATEST_MODEL_SQL)
                row = cursor.fetchone()
        except DatabaseError:
            row = None  # store.current() says so, and falls back
        if row is not None and (row[0], row[1], row[2] or 0) == loaded[:3]:
            return loaded[0], loaded[3]
    return store.current()


def warm() -> bool:
    """Load the spam model into this process now, rather than on the first comment.

    For an app worker at start: imports numpy, SciPy and scikit-learn, reads the latest
    model and what it learned (the shipped one when the database cannot be read), and
    scores one text, so the first reader's comment does not wait seconds for it.
    Cheap when already done (one indexed query); never raises: a failure is logged and
    the first check loads the model as before. False when nothing was warmed (another
    backend is configured, or it failed)."""
    try:
        if not isinstance(get_backend(), LocalFilterBackend):
            return False
        _, model = current_model()
        read_text(model, "Warming the spam filter: https://example.org, 0800 555 0199, $5.")
    except Exception:
        logger.exception("Could not warm the spam model; the first check will load it.")
        return False
    return True


class LocalFilterBackend(SpamBackend):
    """The on-site filter: a learned text model plus signals, explained in words."""

    name = "local"

    def assess(self, submission: Submission) -> Assessment:
        return assess(submission)

    def check(self, submission: Submission) -> Decision:
        return self.assess(submission).decision

    def train(self, submission: Submission, label: Label) -> None:
        from byline.antispam import store

        if not submission.body.strip():
            return
        store.learn(submission.body, Label(label) == Label.SPAM)

    def describe_data_use(self) -> str:
        from byline.antispam.data_use import kept_on_site

        return (
            "Comments are checked on this site by Byline's own filter; nothing is sent "
            f"elsewhere. {kept_on_site()}"
        )


@lru_cache(maxsize=1)
def get_backend() -> SpamBackend:
    """The configured backend (BYLINE_SPAM_BACKEND), built once per process."""
    backend_class: type[SpamBackend] = import_string(settings.BYLINE_SPAM_BACKEND)
    return backend_class()


def check(submission: Submission) -> Decision:
    """Decide what happens to a new comment, with reasons a moderator can read.

    Never raises: if the backend fails the comment is held, with that as the reason.
    """
    return check_submission(get_backend(), submission)


def encodable_submission(submission: Submission) -> Submission:
    """The submission with text fields a broken client mangled made safe to hash and store."""
    names = ("body", "author_name", "author_email", "author_url", "user_agent", "referrer")
    changed: dict[str, Any] = {}
    for name in names:
        value = getattr(submission, name)
        safe = encodable(value)
        if safe is not value:
            changed[name] = safe
    return dataclasses.replace(submission, **changed) if changed else submission


def check_submission(backend: SpamBackend, submission: Submission) -> Decision:
    """Ask the backend, never fail (a failure holds the comment), record the check."""
    submission = encodable_submission(submission)
    try:
        assess_with = getattr(backend, "assess", None)
        if assess_with is not None:
            assessment: Assessment = assess_with(submission)
        else:
            assessment = Assessment(backend.check(submission))
    except Exception:
        logger.exception("Spam backend %s failed; holding the comment.", backend.name)
        assessment = Assessment(Decision(Verdict.HOLD, (FAILED_REASON,)))
    decision = assessment.decision
    if not decision.backend:
        decision = Decision(decision.verdict, decision.reasons, decision.score, backend.name)
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint: a failed write leaves the caller's intact
                _record(submission, decision, assessment.model_version)
        else:
            _record(submission, decision, assessment.model_version)  # one statement
    except DatabaseError as error:
        logger.warning("Could not record a spam check: %s", error)
    return decision


def _record(submission: Submission, decision: Decision, model_version: int | None) -> None:
    """Store one check: one INSERT in plain SQL, done for every new comment."""
    from byline.antispam.models import RECORD_CHECK_SQL, CheckLog

    connection = connections[CheckLog.objects.db]
    params = [
        fingerprint(submission),
        text_key(submission.body),
        submission.article_id,
        connection.ops.adapt_datetimefield_value(timezone.now()),
        decision.backend[:40],
        str(decision.verdict),
        decision.score,
        json.dumps(list(decision.reasons)),
        model_version,
    ]
    with connection.cursor() as cursor:
        cursor.execute(RECORD_CHECK_SQL, params)
