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

How: the reader's checks come first (their cookie, the time, a rate limit per
reader and per address; the comment form's own body validation ran in the
view), then the spam filter again on the new words (``actions.judge``; a
verdict of spam or hold takes the comment off the page until a moderator looks,
and never does an edit publish a comment that was waiting). Then the edit is
stored by ``actions.edit_comment``, the one write path an editor's correction in
the admin takes too: rendered and sanitized again, marked "edited", recorded,
and after the commit the article's count and cached pages refreshed and the
moderators told of a comment that now waits.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from byline.antispam import Verdict
from byline.db import Statement
from byline.discussion import actions
from byline.discussion.models import EDITABLE, Comment
from byline.readers import hash_key


def edit_window() -> timedelta:
    return timedelta(minutes=settings.BYLINE_COMMENT_EDIT_MINUTES)


def owns(comment: Comment, owner_token: str) -> bool:
    """The reader holding ``owner_token`` (their commenter cookie) posted ``comment``."""
    return comment.owned_by(owner_token)


def editable_until(comment: Comment) -> datetime:
    return comment.editable_until()


def may_edit(comment: Comment, owner_token: str, now: datetime | None = None) -> bool:
    """Whether this reader may still edit this comment (their own, in time, not filed
    away): ``Comment.editable_by``."""
    return comment.editable_by(owner_token, now)


def editable_comments(article_id: int, owner_token: str) -> list[Comment]:
    """This reader's comments on the article that they may still edit (for the page's script)."""
    if not owner_token or settings.BYLINE_COMMENT_EDIT_MINUTES <= 0:
        return []
    since = timezone.now() - edit_window()
    return EDITABLE_OF_READER.rows(article_id, hash_key(owner_token), since)


# A reader's comments on an article that they may still edit (submitted since the edit
# window opened): their SQL written once (``db.Statement``), at every comment session.
EDITABLE_OF_READER = Statement(
    lambda article_id, owner_key, since: (
        Comment.objects.on_article(article_id)
        .filter(owner_key=owner_key, submitted_at__gte=since, status__in=EDITABLE)
        .filter(erased_at__isnull=True, author_user__isnull=True)
        .order_by("submitted_at")[:20]
    ),
    int,
    str,
    datetime,
)


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
    too_quick = "You are editing too quickly. Please wait {wait} seconds and save it again."
    actions.check_rate("comment-edit", owner_token, {"ip": ip_hash}, too_quick)


def status_after_edit(comment: Comment, verdict_status: str) -> str:
    """An edit never publishes a comment that was waiting: it can only keep or lower it."""
    if comment.status != Comment.Status.APPROVED and verdict_status == Comment.Status.APPROVED:
        return comment.status
    return verdict_status


def edit_own_comment(comment: Comment, body: str, context: actions.Context) -> actions.Outcome:
    """Check and re-score a reader's edit of their own comment, then store it
    (``actions.edit_comment``).

    ``body`` was validated by ``forms.EditForm``. Raises ``actions.CommentRejected``
    (nothing changed) when the edit is not allowed.
    """
    check_edit(comment, context.owner_token, context.ip_hash)
    if body == comment.body:
        return actions.Outcome(str(comment.status), comment, ("Nothing was changed.",))
    new = replace(actions.NewComment.of(comment), body=body)
    context = replace(context, ip_hash=context.ip_hash or comment.ip_hash)
    decision, approved_before = actions.judge(comment.article, new, context, edited=comment)
    if decision.verdict == Verdict.DISCARD:  # an edit is never dropped silently: it is filed
        decision = replace(decision, verdict=Verdict.SPAM)
    own = 1 if comment.status == Comment.Status.APPROVED else 0
    verdict_status, reasons = actions.status_for(decision, approved_before + own, new)
    previous = comment.status
    comment.body = body
    comment.status = status_after_edit(comment, verdict_status)
    comment.spam_verdict = str(decision.verdict)
    comment.spam_score = decision.score
    comment.spam_reasons = [*reasons, "Edited by its author."]
    comment.spam_backend = decision.backend
    actions.edit_comment(comment, None, previous, context.site_url)
    return actions.Outcome(str(comment.status), comment, tuple(reasons))
