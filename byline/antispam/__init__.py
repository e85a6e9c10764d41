"""The spam filter. Other apps use ``check()`` and ``learn()``; see ``contract.py``."""

from __future__ import annotations

from byline.antispam.contract import Decision, Label, SpamBackend, Submission, Verdict

# Defined where it runs, so a check crosses no more modules than it needs.
from byline.antispam.pipeline import check, warm

__all__ = [
    "Decision",
    "Label",
    "SpamBackend",
    "Submission",
    "Verdict",
    "check",
    "describe_data_use",
    "first_comment_policy",
    "learn",
    "warm",
]


def learn(submission: Submission, label: Label) -> None:
    """Teach the filter a moderator's decision (approve / not spam = ham; spam = spam).

    Pass the same ``Submission`` as was checked (same text, e-mail and article), so the
    decision is matched to the filter's verdict for the editors' report. Takes effect
    on the next check, on every app server.
    """
    from byline.antispam.actions import learn_decision
    from byline.antispam.pipeline import get_backend

    learn_decision(get_backend(), submission, label)


def describe_data_use() -> str:
    """For the comment-data page: what the filter stores and what the configured
    backend sends, and where (one paragraph, generated from the configuration)."""
    from byline.antispam.pipeline import get_backend

    return get_backend().describe_data_use()


def first_comment_policy() -> tuple[str, str]:
    """For the comment-data page: the first-comment policy in force
    (BYLINE_SPAM_FIRST_COMMENT) and a sentence saying what it does; ("", "") when the
    configured backend does not apply it (it is the local filter's)."""
    from byline.antispam.pipeline import LocalFilterBackend, get_backend
    from byline.antispam.pipeline import first_comment_policy as policy

    if not isinstance(get_backend(), LocalFilterBackend):
        return "", ""
    return policy()
