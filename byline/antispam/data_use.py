"""What the filter keeps about comments, in words for the comment-data page.

Its own module, below the contract and every backend, so that each can say it without
importing what checks comments (the package's modules import one way only).
"""

from __future__ import annotations

from django.conf import settings


def kept_on_site() -> str:
    """What the filter keeps whichever backend is on, for the comment-data page."""
    return (
        "For each new comment the filter keeps its verdict, score and reasons with a "
        f"salted fingerprint of the comment for {settings.BYLINE_SPAM_LOG_DAYS} days. "
        "When a moderator marks a comment as spam or not spam, its text (without name, "
        "e-mail or IP address) and the domains it links to are kept to train the filter."
    )
