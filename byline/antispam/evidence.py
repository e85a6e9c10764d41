"""The signals besides the text model, each a weight (in log-odds) and a reason.

A positive weight pushes toward spam, a negative one toward publishing. Every signal
that moved the score says so in words a moderator can check.
"""

from __future__ import annotations

from dataclasses import dataclass

from byline.antispam.contract import Submission
from byline.antispam.features import SHORTENERS, domain_of

# The weights, in log-odds added to the text model's. Kept here, in one place.
MANY_LINKS = 3  # this many links or more is a sign
W_MANY_LINKS = 1.5
W_SHORTENER = 2.0
W_SPAM_DOMAIN = 3.0
W_TOO_FAST = 2.5
W_SPAM_HISTORY = 2.0
W_APPROVED_HISTORY = -1.5
W_DUPLICATE = 2.0
DUPLICATE_MIN_CHARS = 40  # shorter texts ("Thank you!") repeat innocently
DUPLICATE_DAYS = 30


@dataclass(frozen=True)
class Evidence:
    weight: float
    reason: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def links(domains: list[str]) -> list[Evidence]:
    """Many links, links through shorteners (``domains``: the text's, from
    ``features.link_domains``)."""
    found = []
    if len(domains) >= MANY_LINKS:
        found.append(Evidence(W_MANY_LINKS, f"Links to {len(domains)} different sites."))
    shorteners = [d for d in domains if d in SHORTENERS]
    if shorteners:
        found.append(
            Evidence(
                W_SHORTENER,
                f"Uses a link shortener ({', '.join(shorteners[:3])}) that hides where it leads.",
            )
        )
    return found


def spam_domains(domains: list[str], author_url: str) -> list[Evidence]:
    """Links to domains moderators have marked as spam (the text's ``domains`` and the
    author's URL)."""
    from byline.antispam.models import SpamDomain

    author_domain = domain_of(author_url) if author_url else ""
    if "." in author_domain and author_domain not in domains:
        domains = [*domains, author_domain]
    marked = SpamDomain.objects.marked(domains)
    if not marked:
        return []
    worst = max(spam for _, spam in marked)
    names = ", ".join(domain for domain, _ in marked[:3])
    return [
        Evidence(
            W_SPAM_DOMAIN,
            f"Links to {names}, which moderators have marked as spam {_plural(worst, 'time')}.",
        )
    ]


def timing(submission: Submission, min_seconds: float) -> list[Evidence]:
    seconds = submission.seconds_to_submit
    if seconds is None or seconds < 0 or seconds >= min_seconds:
        return []
    return [
        Evidence(
            W_TOO_FAST,
            f"Sent {seconds:.1f} s after the form was shown: faster than a person writes.",
        )
    ]


def history(submission: Submission) -> list[Evidence]:
    """What moderators decided about earlier comments under the same e-mail."""
    if submission.author_spam_comments > 0:
        n = submission.author_spam_comments
        return [
            Evidence(
                W_SPAM_HISTORY * min(n, 3),
                f"{_plural(n, 'earlier comment')} under this e-mail "
                f"{'was' if n == 1 else 'were'} marked spam.",
            )
        ]
    if submission.author_approved_comments > 0:
        n = submission.author_approved_comments
        return [
            Evidence(
                W_APPROVED_HISTORY,
                f"Known commenter: {_plural(n, 'earlier comment')} under this e-mail "
                f"{'was' if n == 1 else 'were'} approved.",
            )
        ]
    return []


def duplicates(submission: Submission, text_key: str, plain_text: str) -> list[Evidence]:
    """The same text posted under other articles recently."""
    from byline.antispam.models import CheckLog

    if len(plain_text) < DUPLICATE_MIN_CHARS:
        return []
    elsewhere = CheckLog.objects.same_text_elsewhere(
        text_key, submission.article_id, DUPLICATE_DAYS
    )
    if not elsewhere:
        return []
    return [
        Evidence(
            W_DUPLICATE * min(elsewhere, 2),
            f"The same text was posted under {_plural(elsewhere, 'other article')} "
            f"in the last {DUPLICATE_DAYS} days.",
        )
    ]
