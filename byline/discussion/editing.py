"""A reader edits their own comment, for a few minutes after posting it.

Who may: the browser that posted the comment. Posting sets the signed
commenter cookie (``readers.set_commenter_cookie``: a random token signed with
``django.core.signing``, HttpOnly, SameSite=Lax) and stores a hash of its token
on the comment (``Comment.owner_key``); an edit must come with a cookie whose
token hashes to that key. No login, no token in any page: the cached article
page is the same for everyone and never shows an edit button; the page's script
learns which comments this reader may still edit from the uncached
``/comments/session/``, and a reader without script reaches the edit form from
their comment's own page (``/comments/<id>/``, uncached, shown to its owner).

When: ``BYLINE_COMMENT_EDIT_MINUTES`` after the comment was submitted (0: never).
After that the edit is refused with a clear message and the words typed are
given back.

How: the same checks as a new comment (the comment form's own body
validation, a rate limit per reader and per address), the spam filter again on
the new words (``antispam.check``; a verdict of spam or hold takes the comment
off the page until a moderator looks, and never does an edit publish a comment
that was waiting), the same renderer and sanitizer, then one transaction: the
body, its HTML, ``edited_at`` (the "edited" marker) and the record of the edit.
After the commit the article's count and cached pages are refreshed
(``actions.refresh_articles``) and moderators hear of a comment that now waits.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from byline import antispam
from byline.antispam import Verdict
from byline.discussion import actions, notifications
from byline.discussion.models import Comment, ModerationRecord
from byline.discussion.readers import hash_key
from byline.discussion.rendering import render_body
from byline.readers import hit

EDITABLE = (Comment.Status.APPROVED, Comment.Status.PENDING)


def edit_window() -> timedelta:
    return timedelta(minutes=settings.BYLINE_COMMENT_EDIT_MINUTES)


def owns(comment: Comment, owner_token: str) -> bool:
    """The reader holding ``owner_token`` (their commenter cookie) posted ``comment``."""
    return bool(owner_token and comment.owner_key and hash_key(owner_token) == comment.owner_key)


def editable_until(comment: Comment) -> datetime:
    return comment.submitted_at + edit_window()


def may_edit(comment: Comment, owner_token: str, now: datetime | None = None) -> bool:
    """Whether this reader may still edit this comment (their own, in time, not filed away)."""
    now = now or timezone.now()
    return (
        settings.BYLINE_COMMENT_EDIT_MINUTES > 0
        and comment.status in EDITABLE
        and comment.erased_at is None
        and comment.author_user_id is None
        and owns(comment, owner_token)
        and now <= editable_until(comment)
    )


def editable_comments(article_id: int, owner_token: str) -> list[Comment]:
    """This reader's comments on the article that they may still edit (for the page's script)."""
    if not owner_token or settings.BYLINE_COMMENT_EDIT_MINUTES <= 0:
        return []
    since = timezone.now() - edit_window()
    candidates = (
        Comment.objects.on_article(article_id)
        .filter(owner_key=hash_key(owner_token), submitted_at__gte=since, status__in=EDITABLE)
        .filter(erased_at__isnull=True, author_user__isnull=True)
        .order_by("submitted_at")[:20]
    )
    return list(candidates)


def check_edit(comment: Comment, owner_token: str, ip_hash: str) -> None:
    """Refuse an edit (``actions.CommentRejected``, nothing changed) that is not allowed now."""
    if not owns(comment, owner_token) or comment.author_user_id is not None:
        raise actions.CommentRejected(
            "You can only edit your own comments, from the browser you posted them from.",
            status=403,
        )
    if comment.status not in EDITABLE or comment.erased_at is not None:
        raise actions.CommentRejected(
            "This comment cannot be edited any more: it is with the moderators.", status=403
        )
    minutes = settings.BYLINE_COMMENT_EDIT_MINUTES
    if minutes <= 0 or timezone.now() > editable_until(comment):
        allowed = (
            "cannot be edited on this site"
            if minutes <= 0
            else (
                f"can be edited for {minutes} minute{'s' if minutes != 1 else ''} after posting, "
                "and that time is over"
            )
        )
        raise actions.CommentRejected(
            f"Your comment was not changed: comments {allowed}. What you wrote is kept below, "
            "so you can copy it.",
            status=403,
        )
    limit, window = settings.BYLINE_COMMENT_RATE_LIMIT, settings.BYLINE_COMMENT_RATE_WINDOW
    keys = {"reader": hash_key(owner_token), "ip": ip_hash}
    wait = max(hit(f"comment-edit-{scope}", key, limit, window) for scope, key in keys.items())
    if wait:
        raise actions.CommentRejected(
            f"You are editing too quickly. Please wait {wait} seconds and save it again.",
            status=429,
        )


def status_after_edit(comment: Comment, verdict_status: str) -> str:
    """An edit never publishes a comment that was waiting: it can only keep or lower it."""
    if comment.status != Comment.Status.APPROVED and verdict_status == Comment.Status.APPROVED:
        return comment.status
    return verdict_status


def edit_own_comment(comment: Comment, body: str, context: actions.Context) -> actions.Outcome:
    """Check, re-score, store and announce a reader's edit of their own comment.

    ``body`` was validated by ``forms.EditForm``. Raises ``actions.CommentRejected``
    (nothing changed) when the edit is not allowed.
    """
    check_edit(comment, context.owner_token, context.ip_hash)
    if body == comment.body:
        return actions.Outcome(str(comment.status), comment, ("Nothing was changed.",))
    history = Comment.objects.by_email(comment.author_email).exclude(pk=comment.pk)
    approved_before = history.filter(status=Comment.Status.APPROVED).count()
    article = comment.article
    submission = replace(
        actions.submission_for(comment),
        body=body,
        article_title=article.headline,
        ip_hash=context.ip_hash or comment.ip_hash,
        referrer=context.referrer,
        author_approved_comments=approved_before,
        author_spam_comments=history.filter(status=Comment.Status.SPAM).count(),
        ip_address=context.ip_address,
    )
    decision = antispam.check(submission)
    if decision.verdict == Verdict.DISCARD:  # an edit is never dropped silently: it is filed
        decision = replace(decision, verdict=Verdict.SPAM)
    own = 1 if comment.status == Comment.Status.APPROVED else 0
    verdict_status, reasons = actions.status_for(decision, approved_before + own)
    previous = comment.status
    now = timezone.now()
    with transaction.atomic():
        comment.body = body
        comment.body_html = render_body(body)
        comment.edited_at = now
        comment.status = status_after_edit(comment, verdict_status)
        comment.spam_verdict = str(decision.verdict)
        comment.spam_score = decision.score
        comment.spam_reasons = [*reasons, "Edited by its author."]
        comment.spam_backend = decision.backend
        comment.save(
            update_fields=[
                "body",
                "body_html",
                "edited_at",
                "status",
                "spam_verdict",
                "spam_score",
                "spam_reasons",
                "spam_backend",
            ]
        )
        ModerationRecord.objects.create(
            comment=comment,
            decision=ModerationRecord.Decision.EDIT,
            previous_status=previous,
            moderator=None,  # its author
            decided_at=now,
        )
    if Comment.Status.APPROVED in {previous, comment.status}:
        actions.after_commit(actions.refresh_articles, [comment.article_id])
    if comment.status == Comment.Status.PENDING and previous != Comment.Status.PENDING:
        actions.after_commit(notifications.notify_moderators, comment, context.site_url)
    return actions.Outcome(str(comment.status), comment, tuple(reasons))
