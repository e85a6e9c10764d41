"""The spam filter's contract with the rest of Byline.

The discussion app describes a new comment as a ``Submission`` (a plain frozen
dataclass, never a model), asks ``byline.antispam.check()`` for a ``Decision``,
and reports moderators' decisions through ``byline.antispam.learn()``.
Backends implement ``SpamBackend``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Verdict(enum.StrEnum):
    APPROVE = "approve"  # publish at once
    HOLD = "hold"  # wait for a moderator
    SPAM = "spam"  # file as spam; a moderator may rescue it
    DISCARD = "discard"  # drop without storing (blatant abuse, e.g. the honeypot)


class Label(enum.StrEnum):
    """A moderator's decision, as the filter learns it."""

    HAM = "ham"
    SPAM = "spam"


@dataclass(frozen=True)
class Submission:
    """What the filter may know about one comment. Nothing leaves the site unless an
    external backend is switched on."""

    body: str
    author_name: str
    author_email: str = ""
    author_url: str = ""
    article_id: int | None = None
    article_title: str = ""
    parent_id: int | None = None
    ip_hash: str = ""  # salted hash; the raw IP is never stored or passed on
    user_agent: str = ""
    referrer: str = ""
    honeypot_filled: bool = False
    seconds_to_submit: float | None = None
    author_approved_comments: int = 0  # earlier approved comments under the same e-mail
    author_spam_comments: int = 0  # earlier comments under the same e-mail marked spam
    created_at: datetime | None = None
    # Only for an external backend that needs it (Akismet): never stored by Byline.
    ip_address: str = field(default="", repr=False)


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reasons: tuple[str, ...] = ()
    score: float | None = None  # 0 = certainly genuine, 1 = certainly spam
    backend: str = ""


class SpamBackend:
    """One small contract for every spam backend.

    ``check()`` is required; ``train()`` receives moderators' decisions and may
    do nothing. ``describe_data_use()`` says, for the comment-data page, what the
    backend stores or sends and where.
    """

    name = "base"

    def __init__(self, **options: object) -> None:
        self.options = options

    def check(self, submission: Submission) -> Decision:
        raise NotImplementedError("subclasses of SpamBackend must provide check()")

    def train(self, submission: Submission, label: Label) -> None:
        return None

    def describe_data_use(self) -> str:
        from byline.antispam.data_use import kept_on_site

        return f"Comments are checked on this site; nothing is sent elsewhere. {kept_on_site()}"
