"""Spam backends, chosen by the BYLINE_SPAM_BACKEND setting.

- ``LocalFilterBackend`` (the default): the on-site pipeline, learning from moderators.
- ``AkismetBackend`` (``byline.antispam.akismet_backend.AkismetBackend``): the hosted service.
- ``FirstTimersWaitBackend``: no content filter at all, for a site that wants none.
- ``DummyBackend``: for tests.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

from byline.antispam.contract import Decision, Label, SpamBackend, Submission, Verdict
from byline.antispam.pipeline import Assessment, assess


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


class FirstTimersWaitBackend(SpamBackend):
    """No content filter: a known commenter is approved, a first comment waits.

    For a site that wants every first comment read by a person; it says so in its reasons.
    """

    name = "first-timers-wait"

    def check(self, submission: Submission) -> Decision:
        if submission.honeypot_filled:
            return Decision(Verdict.DISCARD, ("The hidden honeypot field was filled in.",))
        if submission.author_approved_comments > 0:
            reason = "Known commenter: an earlier comment under this e-mail was approved."
            return Decision(Verdict.APPROVE, (reason, "No content filter is active."))
        reason = "First comment under this e-mail: held for a moderator."
        return Decision(Verdict.HOLD, (reason, "No content filter is active."))


class DummyBackend(SpamBackend):
    """For tests: returns the verdict it was configured with and records training."""

    name = "dummy"

    def __init__(self, verdict: str = Verdict.APPROVE, **options: object) -> None:
        super().__init__(**options)
        self.verdict = Verdict(verdict)
        self.trained: list[tuple[Submission, str]] = []

    def check(self, submission: Submission) -> Decision:
        return Decision(self.verdict, (f"Dummy backend always says {self.verdict}.",))

    def train(self, submission: Submission, label: Label) -> None:
        self.trained.append((submission, str(label)))


@lru_cache(maxsize=1)
def get_backend() -> SpamBackend:
    """The configured backend, built once per process."""
    backend_class: type[SpamBackend] = import_string(settings.BYLINE_SPAM_BACKEND)
    return backend_class()
