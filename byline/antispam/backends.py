"""Spam backends, chosen by the BYLINE_SPAM_BACKEND setting.

- ``LocalFilterBackend`` (the default): the on-site pipeline, learning from moderators.
- ``AkismetBackend`` (``byline.antispam.akismet_backend.AkismetBackend``): the hosted service.
- ``FirstTimersWaitBackend``: no content filter at all, for a site that wants none.
- ``DummyBackend``: for tests.
"""

from __future__ import annotations

from byline.antispam.contract import Decision, Label, SpamBackend, Submission, Verdict

# The local filter and the backend lookup live with the pipeline that checks a comment.
from byline.antispam.pipeline import LocalFilterBackend, get_backend

__all__ = [
    "DummyBackend",
    "FirstTimersWaitBackend",
    "LocalFilterBackend",
    "get_backend",
]


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
