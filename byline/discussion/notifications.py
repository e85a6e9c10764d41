"""E-mails about comments, through Django's e-mail framework.

Editors hear of comments waiting for moderation; a commenter who opted in hears
when someone replies, with a one-click unsubscribe link (no login). The
backend is Django's: the console by default, SMTP when ``BYLINE_SMTP_HOST`` is
set. Every e-mail is handed to Django's e-mail backend once the transaction that
caused it commits (nothing is sent for a change that was rolled back); with
``BYLINE_EMAIL_IN_BACKGROUND`` that backend queues it for a background thread
(``mailbackend``), so a slow mail server never delays a reader. A failed e-mail
is logged and never loses the comment nor changes the answer.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from byline.db import PRIMARY, Statement, after_commit
from byline.discussion.models import REMOVED, Comment, DataLink, may_moderate, same_address

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "byline.discussion.unsubscribe"
DATA_LINK_SALT = "byline.discussion.data-link"


def absolute(site_url: str, path: str) -> str:
    base = (settings.BYLINE_SITE_URL or site_url or "").rstrip("/")
    return f"{base}{path}"


def unsubscribe_token(email: str) -> str:
    return signing.dumps(email.strip().lower(), salt=UNSUBSCRIBE_SALT, compress=True)


def email_from_unsubscribe_token(token: str) -> str | None:
    try:
        return signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None


def data_link_token(email: str, action: str) -> str:
    """A new single-use link key to export or erase the comments under ``email``.

    The key is random: the address stays in the database (``DataLink``, found by
    the key's digest), never in the URL. It expires after
    ``BYLINE_COMMENT_DATA_LINK_HOURS`` and works once.
    """
    key = secrets.token_urlsafe(32)
    DataLink.objects.create(
        key=_digest(key),
        email=email.strip().lower(),
        action=action,
        expires_at=timezone.now() + timedelta(hours=settings.BYLINE_COMMENT_DATA_LINK_HOURS),
    )
    return key


def _digest(key: str) -> str:
    return hashlib.sha256(f"{DATA_LINK_SALT}:{key}".encode()).hexdigest()


def _live_link(key: str):
    if not key or len(key) > 100:
        return None
    return (
        DataLink.objects.filter(key=_digest(key), used_at__isnull=True)
        .filter(expires_at__gt=timezone.now())
        .first()
    )


def read_data_link_token(key: str) -> tuple[str, str] | None:
    """(email, action) of a link that has not expired nor been used, else None."""
    link = _live_link(key)
    return (link.email, link.action) if link is not None else None


def spend_data_link(key: str) -> tuple[str, str] | None:
    """Use a link: (email, action) the one time it works, else None (even when two
    requests use it at once, only one gets it)."""
    link = _live_link(key)
    if link is None:
        return None
    spent = DataLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
        used_at=timezone.now(), email=""
    )
    return (link.email, link.action) if spent == 1 else None


def _send(
    subject: str,
    template: str,
    context: dict,
    to: list[str],
    headers: dict[str, str] | None = None,
) -> bool:
    """Send one e-mail through Django's e-mail backend once the current transaction
    commits (at once outside one). True: handed over (or queued, ``mailbackend``)."""
    message = EmailMessage(
        subject=" ".join(subject.split())[:200],
        body=render_to_string(template, context),
        from_email=settings.BYLINE_EMAIL_FROM,
        to=to,
        headers=headers or {},
    )
    after_commit(deliver, message)
    return True


def deliver(message: EmailMessage) -> bool:
    """Hand one message to the e-mail backend; a failure is logged, never raised."""
    try:
        message.send()
    except Exception:  # the mail server being down must not lose the comment
        log.exception("Could not send the e-mail %r", message.subject)
        return False
    return True


def moderator_addresses() -> list[str]:
    if settings.BYLINE_COMMENT_MODERATOR_EMAILS:
        return list(settings.BYLINE_COMMENT_MODERATOR_EMAILS)
    staff = get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")
    return sorted({u.email for u in staff if may_moderate(u)})


def notify_moderators(comment: Comment, site_url: str = "") -> bool:
    """Tell editors a comment waits for moderation."""
    recipients = moderator_addresses()
    if not recipients:
        return False
    queue = reverse("admin:discussion_comment_changelist") + "?status__exact=pending"
    context = {
        "comment": comment,
        "article": comment.article,
        "queue_url": absolute(site_url, queue),
        "change_url": absolute(
            site_url, reverse("admin:discussion_comment_change", args=[comment.pk])
        ),
        "site_name": settings.BYLINE_SITE_NAME,
    }
    subject = f"[{settings.BYLINE_SITE_NAME}] Comment awaiting moderation: {comment.article}"
    return _send(subject, "discussion/email/moderation.txt", context, recipients)


# A comment by id, from the primary: its SQL written once (``db.Statement``).
COMMENT_ON_PRIMARY = Statement(lambda pk: Comment.objects.filter(pk=pk)[:1], int, using=PRIMARY)


def notify_reply(reply: Comment, site_url: str = "") -> bool:
    """Tell the author of the comment replied to, if they opted in (once per reply): the
    one the reader answered (``Comment.answers`` when the reply is attached to another,
    at the deepest level), never the author of a comment a moderator removed."""
    if reply.status != Comment.Status.APPROVED or reply.reply_notified:
        return False
    # Read as it is now, never as the reply's POST read it: erased at its author's
    # request meanwhile (the reply waited for the erasure's lock, then joined the
    # placeholder), or removed, its author is not e-mailed (nothing of theirs is kept).
    target_id = reply.answers_id or reply.parent_id
    target = COMMENT_ON_PRIMARY.first(target_id) if target_id else None
    if (
        target is None
        or target.status in REMOVED
        or not target.notify_replies
        or not target.author_email
        or same_address(target, reply.author_email)
    ):
        return False
    token = unsubscribe_token(target.author_email)
    unsubscribe_url = absolute(site_url, reverse("discussion:unsubscribe", args=[token]))
    context = {
        "reply": reply,
        "target": target,
        "article": reply.article,
        "reply_url": absolute(site_url, reply.get_absolute_url()),
        "unsubscribe_url": unsubscribe_url,
        "site_name": settings.BYLINE_SITE_NAME,
    }
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    subject = f"[{settings.BYLINE_SITE_NAME}] {reply.shown_name} replied to your comment"
    # Marked before it goes, so approving the reply again cannot queue a second
    # e-mail; if the mail server refuses it, the log says so.
    reply.reply_notified = True
    Comment.objects.filter(pk=reply.pk).update(reply_notified=True)
    return _send(subject, "discussion/email/reply.txt", context, [target.author_email], headers)


def send_data_link(email: str, action: str, site_url: str = "") -> bool:
    """E-mail a single-use link to export or erase the comments under ``email``."""
    token = data_link_token(email, action)
    context = {
        "action": action,
        "link": absolute(site_url, reverse("discussion:data-link", args=[token])),
        "hours": settings.BYLINE_COMMENT_DATA_LINK_HOURS,
        "site_name": settings.BYLINE_SITE_NAME,
    }
    verb = "Export" if action == "export" else "Erase"
    subject = f"[{settings.BYLINE_SITE_NAME}] {verb} your comments"
    return _send(subject, "discussion/email/data_link.txt", context, [email])
