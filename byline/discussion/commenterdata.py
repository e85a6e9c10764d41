"""Commenters' data: export, erasure, unsubscribing, and the retention purge.

What the comment-data page (``datapolicy.py``) promises, these functions keep.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from byline.articles import addresses
from byline.discussion.actions import refresh_articles
from byline.discussion.models import Comment, DataLink
from byline.discussion.reactions import forget_reactions

log = logging.getLogger(__name__)

# What the export reads of a comment and of its article (no rendered HTML, no article body).
EXPORTED_FIELDS: tuple = (
    "pk",
    "article__headline",
    "article__slug",
    # The comment answered: at the deepest level not the one the reply is attached to.
    Coalesce("answers_id", "parent_id"),
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
EXPORT_CHUNK = 500  # comments fetched from the database at a time
PIECE_CHARACTERS = 64 * 1024  # about what the download sends at a time (at most one comment more)


def export_comments(email: str) -> list[dict]:
    """Everything stored about the comments under ``email``, for the commenter, oldest
    first: the download's comments (``export_lines``), read back."""
    return [json.loads(line) for line in export_lines(email)]


def export_lines(email: str) -> Iterator[str]:
    """Each comment under ``email``, oldest first, as the download's line of JSON, one at
    a time, so what is held stays bounded however much one commenter wrote: one query
    (``export_rows``), read ``EXPORT_CHUNK`` rows at a time (on PostgreSQL a server-side
    cursor)."""
    article_url = addresses.by_slug("articles:detail")
    for row in export_rows(email).iterator(chunk_size=EXPORT_CHUNK):
        yield _line(row, article_url)


def export_rows(email: str) -> QuerySet:
    """The rows of the comments under ``email`` (``EXPORTED_FIELDS``), oldest first.

    Ordered by ``COALESCE(submitted_at, submitted_at)`` (the date: the column is never
    null), not by the column itself, so that no index offers the order: PostgreSQL plans
    a cursor to return its first rows fast, and with the date's order on offer it walked
    the date index of every comment on the site (1,000,000 rows, 0.5 s of its CPU for a
    reader's 2,000). This way it reads the reader's rows from the address index and
    sorts them (12 ms), as it plans the query outside a cursor."""
    return (
        Comment.objects.by_email(email)
        .order_by(Coalesce("submitted_at", "submitted_at"), "pk")
        .values_list(*EXPORTED_FIELDS)
    )


# What json.dumps(..., ensure_ascii=False) writes for a string (JSON's own, in C), and
# for any other value (its generic encoder: a few microseconds a call, kept for the rare).
_string = json.encoder.encode_basestring  # type: ignore[attr-defined]
_value = json.JSONEncoder(ensure_ascii=False).encode


def _number(value: float | None) -> str:
    """What json.dumps writes for an int, a float or None."""
    if value is None:
        return "null"
    return repr(value) if isinstance(value, int) or math.isfinite(value) else _value(value)


def _line(row: tuple, article_url: Callable[[str], str]) -> str:
    """One comment's row (``EXPORTED_FIELDS``, in that order) as the download's line: what
    ``json.dumps`` writes for the comment's object, written straight from the row (the
    generic encoder walked a dictionary made for it, a third of the download's CPU)."""
    (
        pk,
        headline,
        slug,
        parent_id,
        status,
        submitted_at,
        edited_at,
        name,
        email,
        website,
        body,
        notify_replies,
        reactions,
        ip_hash,
        user_agent,
        spam_backend,
        spam_verdict,
        spam_score,
        spam_reasons,
    ) = row
    return (
        f'{{"id": {int(pk)}, "article": {_string(headline)}, '
        f'"article_url": {_string(article_url(slug))}, "in_reply_to": {_number(parent_id)}, '
        f'"status": {_string(status)}, "submitted_at": {_string(submitted_at.isoformat())}, '
        f'"edited_at": {_string(edited_at.isoformat()) if edited_at else "null"}, '
        f'"name": {_string(name)}, "email": {_string(email)}, "website": {_string(website)}, '
        f'"body": {_string(body)}, "reply_notifications": {"true" if notify_replies else "false"}, '
        f'"reactions": {int(reactions)}, "hashed_ip": {_string(ip_hash)}, '
        f'"browser": {_string(user_agent)}, "spam_check": {{"backend": {_string(spam_backend)}, '
        f'"verdict": {_string(spam_verdict)}, "score": {_number(spam_score)}, '
        f'"reasons": {_value(spam_reasons) if spam_reasons else "[]"}}}}}'
    )


def export_json(email: str) -> Iterator[str]:
    """The commenter's download, ``{"email": ..., "comments": [...]}``, one comment a line,
    sent in pieces of about ``PIECE_CHARACTERS``, never the whole of it in memory. (One
    line a comment, not indented: JSON's indenting encoder is pure Python, several times
    slower; pieces, not a line each: a server writes each piece to the socket on its own.)

    If the database fails once it has begun, the file ends with ``CUT_SHORT``: the
    server cannot take back what it sent, and ends the response as if it were whole."""
    # The head at once, before the database is asked: the download starts.
    yield "{\n" + f'  "email": {json.dumps(email, ensure_ascii=False)},\n' + '  "comments": ['
    piece: list[str] = []
    size, separator = 0, "\n    "
    try:
        for line in export_lines(email):
            piece.append(separator + line)
            separator = ",\n    "
            size += len(line)
            if size >= PIECE_CHARACTERS:
                yield "".join(piece)
                piece, size = [], 0
    except DatabaseError as error:
        log.warning("comment-data download cut short: %s", error)
        yield "".join(piece) + CUT_SHORT
        return
    piece.append("\n  ]\n}\n" if separator != "\n    " else "]\n}\n")
    yield "".join(piece)


# Not JSON: whatever reads the file fails on it, and whoever opens it reads why.
CUT_SHORT = (
    "\n\nThis file is incomplete: the site could not read the rest of your comments."
    " The link has been used; ask for a new one on the site's comment-data page.\n"
)


ERASED_NAME = "Anonymous"


def erase_comments(email: str) -> int:
    """Erase the comments under ``email``.

    A comment nobody answered is deleted. One with replies (of others, or of theirs
    that others answered) stays as an empty placeholder ("erased at its author's
    request") so the replies keep their place, with nothing left of its author. Either
    way its readers' reactions go with it.
    """
    with transaction.atomic():
        # Locked before their replies are read: a reply sent meanwhile either committed
        # before (its comment stays, as a placeholder) or commits after the erasure (and
        # is refused when its comment is deleted); never published, then deleted with it.
        # In the order of their ids, as a moderator's delete locks (never a deadlock).
        comments = list(Comment.objects.by_email(email).select_for_update().order_by("pk"))
        if not comments:
            return 0
        ids = {c.pk for c in comments}
        answered = set(
            Comment.objects.filter(parent_id__in=ids)
            .exclude(pk__in=ids)
            .values_list("parent_id", flat=True)
        )
        # A comment above an answered one of theirs is kept too: deleting it would take
        # the replies under it, another reader's among them.
        parent_of = {c.pk: c.parent_id for c in comments}
        for pk in list(answered):
            while (pk := parent_of.get(pk)) in ids and pk not in answered:
                answered.add(pk)
        now = timezone.now()
        article_ids = {c.article_id for c in comments}
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
