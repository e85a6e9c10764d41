"""The comment-data policy, generated from the settings in force.

The page "Learn how your comment data is processed" renders this, so it can
never drift from what the site really does: retention periods, the spam
backend's own account of its data use, where e-mail goes and which cookies
are set all come from the live configuration. This module gathers the facts;
the template (``discussion/data_policy.html``) words them for readers, in
plain language, without code or product names.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from byline import readers
from byline.antispam import first_comment_policy as first_comment_policy_text
from byline.antispam.backends import get_backend
from byline.readers import COMMENTER_MAX_AGE

MODERATION_TEXT = {
    "all": "Every comment waits for a moderator before it is published.",
    "none": "Comments are published at once unless the spam check holds them.",
}
# The first-comment policy in words, when the discussion applies it to another spam
# backend's verdict (the local filter words its own: ``antispam.first_comment_policy``).
FIRST_COMMENT_TEXT = {
    "hold": "A first comment under an e-mail address waits for a moderator.",
    "hold-links": "A first comment under an e-mail address waits for a moderator when it "
    "has links.",
}


@dataclass(frozen=True)
class DataPolicy:
    database: str
    cache: str
    ip_retention_days: int
    spam_retention_days: int
    spam_backend_name: str
    spam_backend_path: str
    spam_data_use: str
    moderation: str
    first_comment_policy: str  # BYLINE_SPAM_FIRST_COMMENT's value and its sentence
    first_comment: str
    rate_limit: str
    mail: str
    mail_leaves_site: bool
    commenter_cookie_days: int
    data_link_hours: int
    min_seconds: int
    comment_reaction: str  # the label of the one reaction readers give comments
    reader_cookie: str
    reader_cookie_days: int


def _database() -> str:
    """Where comments are kept, in readers' words (no product names: they mean nothing to
    most readers, and tell an attacker what to try)."""
    if connection.vendor == "sqlite":
        return "this site's own database, a file on its server"
    return "this site's own database server"


def _cache() -> str:
    backend = settings.CACHES["default"]["BACKEND"]
    if "redis" in backend.lower():
        return "this site's own short-term memory store"
    return "the memory of this site's server programs"


def data_policy() -> DataPolicy:
    """Describe, from the configuration in force, what happens to commenters' data."""
    backend = get_backend()
    first_comment_policy, first_comment = first_comment_policy_text()
    if not first_comment_policy:  # another backend: the discussion applies it
        first_comment_policy = settings.BYLINE_SPAM_FIRST_COMMENT
        first_comment = FIRST_COMMENT_TEXT.get(first_comment_policy, "")
    smtp_host = settings.BYLINE_SMTP_HOST
    if smtp_host:
        mail = (
            f"E-mails (reply notifications you asked for, data links, and moderation notices "
            f"to editors) are handed to the mail server {smtp_host}."
        )
    else:
        mail = (
            "E-mails (reply notifications you asked for, data links, and moderation notices to "
            "editors) are not sent over the internet by this configuration: they are written "
            "to the server's log for the site's operator."
        )
    window = settings.BYLINE_COMMENT_RATE_WINDOW
    per = "a minute" if window == 60 else f"every {window} seconds"
    return DataPolicy(
        database=_database(),
        cache=_cache(),
        ip_retention_days=settings.BYLINE_COMMENT_IP_RETENTION_DAYS,
        spam_retention_days=settings.BYLINE_COMMENT_SPAM_RETENTION_DAYS,
        spam_backend_name=getattr(backend, "name", type(backend).__name__),
        spam_backend_path=settings.BYLINE_SPAM_BACKEND,
        spam_data_use=backend.describe_data_use(),
        moderation=MODERATION_TEXT[settings.BYLINE_COMMENT_MODERATION],
        first_comment_policy=first_comment_policy,
        first_comment=first_comment,
        rate_limit=f"{settings.BYLINE_COMMENT_RATE_LIMIT} comments {per}",
        mail=mail,
        mail_leaves_site=bool(smtp_host),
        commenter_cookie_days=COMMENTER_MAX_AGE // 86400,
        data_link_hours=settings.BYLINE_COMMENT_DATA_LINK_HOURS,
        min_seconds=settings.BYLINE_COMMENT_MIN_SECONDS,
        comment_reaction=settings.BYLINE_COMMENT_REACTION_LABEL,
        reader_cookie=settings.BYLINE_READER_COOKIE,
        reader_cookie_days=readers.COOKIE_MAX_AGE // 86400,
    )
