"""The spam filter. Other apps use ``check()`` and ``learn()``; see ``contract.py``."""

from __future__ import annotations

from byline.antispam.contract import Decision, Label, Submission, Verdict

__all__ = ["Decision", "Label", "Submission", "Verdict", "check", "learn"]


def check(submission: Submission) -> Decision:
    """Decide what happens to a new comment, with reasons a moderator can read."""
    from byline.antispam.backends import get_backend

    backend = get_backend()
    decision = backend.check(submission)
    if not decision.backend:
        decision = Decision(decision.verdict, decision.reasons, decision.score, backend.name)
    return decision


def learn(submission: Submission, label: Label) -> None:
    """Teach the filter a moderator's decision (approve / not spam = ham; spam = spam)."""
    from byline.antispam.backends import get_backend

    get_backend().train(submission, label)
