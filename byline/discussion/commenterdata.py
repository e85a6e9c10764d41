"""Commenters' data: export, erasure, unsubscribing, and the retention purge.

What the comment-data page (``datapolicy.py``) promises, these functions keep.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from byline.discussion.actions import refresh_articles
from byline.discussion.models import Comment, DataLink
from byline.discussion.reactions import forget_reactions

# What the export reads of a comment and of its article (no rendered HTML, no article body).
EXPORTED_FIELDS = (
    "pk",
    "article_id",
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
    "article__headline",
    "article__slug",
)
EXPORT_CHUNK = 200  # comments read from the database at a time


def exported_comments(email: str) -> Iterator[dict]:
    """Everything stored about the comments under ``email``, for the commenter, oldest
    first, one at a time: read ``EXPORT_CHUNK`` at a time (a server-side cursor on
    PostgreSQL), so what is held stays bounded however much one commenter wrote."""
    rows = (
        Comment.objects.by_email(email)
        .select_related("article")
        .only(*EXPORTED_FIELDS)
        .order_by("submitted_at", "pk")
    )
    addresses: dict[int, str] = {}  # article id -> its address (one reverse() an article)
    for c in rows.iterator(chunk_size=EXPORT_CHUNK):
        if c.article_id not in addresses:
            addresses[c.article_id] = c.article.get_absolute_url()
        yield {
            "id": c.pk,
            "article": c.article.headline,
            "article_url": addresses[c.article_id],
            "in_reply_to": c.parent_id,
            "status": c.status,
            "submitted_at": c.submitted_at.isoformat(),
            "edited_at": c.edited_at.isoformat() if c.edited_at else None,
            "name": c.author_name,
            "email": c.author_email,
            "website": c.author_url,
            "body": c.body,
            "reply_notifications": c.notify_replies,
            "reactions": c.reactions,
            "hashed_ip": c.ip_hash,
            "browser": c.user_agent,
            "spam_check": {
                "backend": c.spam_backend,
                "verdict": c.spam_verdict,
                "score": c.spam_score,
                "reasons": c.spam_reasons,
            },
        }


def export_comments(email: str) -> list[dict]:
    """Everything stored about the comments under ``email``, for the commenter."""
    return list(exported_comments(email))


def export_json(email: str) -> Iterator[str]:
    """The commenter's download, ``{"email": ..., "comments": [...]}``, written a comment
    at a time: the same text as ``json.dumps(document, ensure_ascii=False, indent=2)``,
    never the whole of it in memory. (A JSON string holds no raw line break, so each
    comment's lines are indented by adding to its line breaks.)"""
    yield '{\n  "email": ' + json.dumps(email, ensure_ascii=False) + ',\n  "comments": ['
    written = False
    for comment in exported_comments(email):
        text = json.dumps(comment, ensure_ascii=False, indent=2).replace("\n", "\n    ")
        yield (",\n    " if written else "\n    ") + text
        written = True
    yield "\n  ]\n}" if written else "]\n}"


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
