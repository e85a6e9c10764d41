"""Commenters' data: export, erasure, unsubscribing, and the retention purge.

What the comment-data page (``datapolicy.py``) promises, these functions keep.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from byline.articles import addresses
from byline.discussion.actions import refresh_articles
from byline.discussion.models import Comment, DataLink
from byline.discussion.reactions import forget_reactions

log = logging.getLogger(__name__)

# What the export reads of a comment and of its article (no rendered HTML, no article body).
EXPORTED_FIELDS = (
    "pk",
    "article__headline",
    "article__slug",
    "parent_id",
    "status",
    "submitted_at",
    "edited_at",
    "author_name",
    "author_email",
    "author_url",
    "body",
    "notify_replies",
    "reactions",
    "ip_hash",
    "user_agent",
    "spam_backend",
    "spam_verdict",
    "spam_score",
    "spam_reasons",
)
EXPORT_CHUNK = 200  # comments read from the database at a time


def exported_comments(email: str) -> Iterator[dict]:
    """Everything stored about the comments under ``email``, for the commenter, oldest
    first, one at a time, so what is held stays bounded however much one commenter wrote.

    Their ids first, in order (one read of the address index), then ``EXPORT_CHUNK``
    comments at a time by id. (A server-side cursor over the ordered query would hold
    no list either, but PostgreSQL plans a cursor to start fast: it walked the date
    index of every comment on the site, 0.6 s of the database's CPU at 1,000,000.)
    """
    mine = Comment.objects.by_email(email).order_by("submitted_at", "pk")
    ids = list(mine.values_list("pk", flat=True))
    article_url = addresses.by_slug("articles:detail")
    for start in range(0, len(ids), EXPORT_CHUNK):
        rows = (
            Comment.objects.filter(pk__in=ids[start : start + EXPORT_CHUNK])
            .order_by("submitted_at", "pk")
            .values_list(*EXPORTED_FIELDS)
        )
        for row in rows:
            yield _exported(dict(zip(EXPORTED_FIELDS, row, strict=True)), article_url)


def _exported(c: dict, article_url: Callable[[str], str]) -> dict:
    return {
        "id": c["pk"],
        "article": c["article__headline"],
        "article_url": article_url(c["article__slug"]),
        "in_reply_to": c["parent_id"],
        "status": c["status"],
        "submitted_at": c["submitted_at"].isoformat(),
        "edited_at": c["edited_at"].isoformat() if c["edited_at"] else None,
        "name": c["author_name"],
        "email": c["author_email"],
        "website": c["author_url"],
        "body": c["body"],
        "reply_notifications": c["notify_replies"],
        "reactions": c["reactions"],
        "hashed_ip": c["ip_hash"],
        "browser": c["user_agent"],
        "spam_check": {
            "backend": c["spam_backend"],
            "verdict": c["spam_verdict"],
            "score": c["spam_score"],
            "reasons": c["spam_reasons"],
        },
    }


def export_comments(email: str) -> list[dict]:
    """Everything stored about the comments under ``email``, for the commenter."""
    return list(exported_comments(email))


def export_json(email: str) -> Iterator[str]:
    """The commenter's download, ``{"email": ..., "comments": [...]}``, written a comment
    at a time, one comment a line, never the whole of it in memory. (One line each,
    not indented: JSON's indenting encoder is pure Python, several times slower.)

    If the database fails once it has begun, the file ends with ``CUT_SHORT``: the
    server cannot take back what it sent, and ends the response as if it were whole."""
    yield "{\n" + f'  "email": {json.dumps(email, ensure_ascii=False)},\n' + '  "comments": ['
    separator = "\n    "
    try:
        for comment in exported_comments(email):
            yield separator + json.dumps(comment, ensure_ascii=False)
            separator = ",\n    "
    except DatabaseError as error:
        log.warning("comment-data download cut short: %s", error)
        yield CUT_SHORT
        return
    yield "\n  ]\n}\n" if separator != "\n    " else "]\n}\n"


# Not JSON: whatever reads the file fails on it, and whoever opens it reads why.
CUT_SHORT = (
    "\n\nThis file is incomplete: the site could not read the rest of your comments."
    " The link has been used; ask for a new one on the site's comment-data page.\n"
)


ERASED_NAME = "Anonymous"


def erase_comments(email: str) -> int:
    """Erase the comments under ``email``.

    A comment nobody answered is deleted. One with approved replies stays as an empty
    placeholder ("erased at its author's request") so the replies keep their place,
    with nothing left of its author. Either way its readers' reactions go with it.
    """
    comments = list(Comment.objects.by_email(email))
    if not comments:
        return 0
    ids = {c.pk for c in comments}
    answered = set(
        Comment.objects.filter(parent_id__in=ids)
        .exclude(pk__in=ids)
        .values_list("parent_id", flat=True)
    )
    now = timezone.now()
    article_ids = {c.article_id for c in comments}
    with transaction.atomic():
        for comment in comments:
            if comment.pk in answered:
                comment.body = comment.body_html = ""
                comment.author_name = ERASED_NAME
                comment.author_email = comment.author_url = ""
                comment.ip_hash = comment.user_agent = comment.owner_key = ""
                comment.notify_replies = False
                comment.erased_at = now
                comment.save()
        forget_reactions(sorted(answered))
        Comment.objects.filter(pk__in=ids - answered).delete()
    refresh_articles(article_ids)
    return len(comments)


def unsubscribe(email: str) -> int:
    """Stop reply notifications to ``email``; returns how many comments it affected."""
    return Comment.objects.by_email(email).filter(notify_replies=True).update(notify_replies=False)


@dataclass(frozen=True)
class PurgeResult:
    addresses_cleared: int
    comments_deleted: int


def purge_old_data(now: datetime | None = None, dry_run: bool = False) -> PurgeResult:
    """Clear hashed IPs and browser names past their retention; delete old spam and trash."""
    now = now or timezone.now()
    ip_cutoff = now - timedelta(days=settings.BYLINE_COMMENT_IP_RETENTION_DAYS)
    spam_cutoff = now - timedelta(days=settings.BYLINE_COMMENT_SPAM_RETENTION_DAYS)
    old_addresses = Comment.objects.filter(submitted_at__lt=ip_cutoff).exclude(
        ip_hash="", user_agent=""
    )
    old_junk = Comment.objects.filter(
        status__in=[Comment.Status.SPAM, Comment.Status.TRASH],
        submitted_at__lt=spam_cutoff,
        replies__isnull=True,
    )
    if dry_run:
        return PurgeResult(old_addresses.count(), old_junk.count())
    cleared = old_addresses.update(ip_hash="", user_agent="")
    DataLink.objects.filter(Q(expires_at__lt=now) | Q(used_at__isnull=False)).delete()
    deleted = Comment.objects.filter(pk__in=list(old_junk.values_list("pk", flat=True))).delete()
    return PurgeResult(cleared, deleted[1].get("discussion.Comment", 0))
