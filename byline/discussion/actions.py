"""Everything that changes comments: posting, moderating, editing, deleting.

Views, the admin and management commands all go through these functions, so a
comment is checked, scored, counted, announced and learned from the same way
whichever door it came in by. Each function that changes what readers see ends
with ``refresh_articles()``: the approved-comment count under the headline is
rewritten and ``article_changed`` tells the page cache. Side effects (that,
e-mails, the spam filter's learning) run after the commit (``after_commit``):
their failure is logged and never changes what was stored or the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from byline import antispam
from byline.antispam import Decision, Label, Submission, Verdict
from byline.articles.models import Article
from byline.discussion import notifications
from byline.discussion.models import Comment, ModerationRecord, SpentFormToken
from byline.discussion.readers import hash_key
from byline.discussion.rendering import render_body
from byline.discussion.threads import shown_counts
from byline.engagement.stats import set_comment_count
from byline.readers import hit
from byline.signals import article_changed

log = logging.getLogger(__name__)


class CommentRejected(Exception):
    """A comment refused before anything was stored; ``message`` tells the reader why."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Context:
    """What the request tells about the commenter, without storing who they are."""

    ip_hash: str = ""
    ip_address: str = ""  # for an external spam backend only; never stored
    user_agent: str = ""
    referrer: str = ""
    owner_token: str = ""
    seconds_to_submit: float | None = None
    honeypot_filled: bool = False
    site_url: str = ""
    form_token: str = ""  # the key of the form's single-use token (forms.read_form_token)


@dataclass(frozen=True)
class Outcome:
    """What became of a posted comment: ``comment`` is None when it was discarded."""

    status: str
    comment: Comment | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewComment:
    body: str
    name: str
    email: str
    website: str = ""
    parent_id: int | None = None
    notify: bool = False


# Posting ----------------------------------------------------------------------


def resolve_parent(article: Article, parent_id: int | None) -> Comment | None:
    """The approved comment of this article being replied to, or None for a new thread.

    A reply to a comment at the deepest level joins that level (its parent's parent).
    """
    if not parent_id:
        return None
    parent = Comment.objects.approved().on_article(article.pk).filter(pk=parent_id).first()
    if parent is None:
        raise CommentRejected(
            "The comment you are replying to is not available any more. Send your comment "
            "again to start a new thread.",
            field="parent",
        )
    max_depth = settings.BYLINE_COMMENT_MAX_DEPTH
    if parent.depth >= max_depth - 1:
        return parent.parent if parent.parent_id else None
    return parent


def check_abuse(article: Article, new: NewComment, context: Context) -> None:
    """Refuse a comment, before anything is stored, when it looks like abuse.

    The honeypot is not checked here: a filled honeypot is discarded silently.
    """
    minimum = settings.BYLINE_COMMENT_MIN_SECONDS
    if minimum:
        if context.seconds_to_submit is None:
            raise CommentRejected(
                "The form had expired or was incomplete. Please check your comment and send "
                "it again."
            )
        if context.seconds_to_submit < minimum:
            raise CommentRejected(
                f"That was quick: please take at least {minimum} seconds to write a comment, "
                "then send it again."
            )
    limit, window = settings.BYLINE_COMMENT_RATE_LIMIT, settings.BYLINE_COMMENT_RATE_WINDOW
    keys = {
        "reader": hash_key(context.owner_token) if context.owner_token else "",
        "email": hash_key(new.email.lower()),
        "ip": context.ip_hash,
    }
    wait = max(hit(f"comment-{scope}", key, limit, window) for scope, key in keys.items())
    if wait:
        per = "a minute" if window == 60 else f"every {window} seconds"
        raise CommentRejected(
            f"You are commenting too quickly: at most {limit} comments {per}. "
            f"Please wait {wait} seconds and send it again.",
            status=429,
        )
    duplicate = (
        Comment.objects.on_article(article.pk)
        .by_email(new.email)
        .filter(body=new.body)
        .exclude(status=Comment.Status.TRASH)
        .exists()
    )
    if duplicate:
        raise CommentRejected(
            "You have already posted this comment here: it looks as though you have already "
            "said that.",
            field="body",
            status=409,
        )


def status_for(decision: Decision, approved_before: int) -> tuple[str, list[str]]:
    """The new comment's status from the spam verdict and the moderation policy."""
    reasons = list(decision.reasons)
    if decision.verdict == Verdict.SPAM:
        return Comment.Status.SPAM, reasons
    if decision.verdict == Verdict.HOLD:
        return Comment.Status.PENDING, reasons
    policy = settings.BYLINE_COMMENT_MODERATION
    if policy == "all":
        return Comment.Status.PENDING, [*reasons, "Moderation policy: every comment waits."]
    if policy == "first" and approved_before == 0:
        reason = "Moderation policy: a first comment under an e-mail address waits."
        return Comment.Status.PENDING, [*reasons, reason]
    return Comment.Status.APPROVED, reasons


CLOSED = "Comments are closed on this article."


def post_comment(article: Article, new: NewComment, context: Context) -> Outcome:
    """Check, score, store, count and announce one reader's comment.

    Raises ``CommentRejected`` (nothing stored) when an abuse check refuses it.
    """
    if context.honeypot_filled:
        log.info("Comment discarded: honeypot filled (article %s)", article.pk)
        return Outcome("discarded", reasons=("The hidden honeypot field was filled in.",))
    if (earlier := comment_of_spent_token(context.form_token)) is not None:
        return replayed(earlier, new)
    if not article.comments_open:
        raise CommentRejected(CLOSED, status=403)
    parent = resolve_parent(article, new.parent_id)
    try:
        check_abuse(article, new, context)
    except CommentRejected:
        # Its twin (the same form sent at once) may have been stored meanwhile.
        if (earlier := comment_of_spent_token(context.form_token)) is not None:
            return replayed(earlier, new)
        raise
    history = Comment.objects.by_email(new.email)
    approved_before = history.filter(status=Comment.Status.APPROVED).count()
    now = timezone.now()
    submission = Submission(
        body=new.body,
        author_name=new.name,
        author_email=new.email,
        author_url=new.website,
        article_id=article.pk,
        article_title=article.headline,
        parent_id=parent.pk if parent else None,
        ip_hash=context.ip_hash,
        user_agent=context.user_agent,
        referrer=context.referrer,
        seconds_to_submit=context.seconds_to_submit,
        author_approved_comments=approved_before,
        author_spam_comments=history.filter(status=Comment.Status.SPAM).count(),
        created_at=now,
        ip_address=context.ip_address,
    )
    decision = antispam.check(submission)
    if decision.verdict == Verdict.DISCARD:
        log.info("Comment discarded by %s: %s", decision.backend, "; ".join(decision.reasons))
        return Outcome("discarded", reasons=decision.reasons)
    status, reasons = status_for(decision, approved_before)
    try:
        with transaction.atomic():
            comment = Comment.objects.create(
                article=article,
                parent=parent,
                depth=parent.depth + 1 if parent else 0,
                status=status,
                body=new.body,
                body_html=render_body(new.body),
                author_name=new.name,
                author_email=new.email,
                author_url=new.website,
                notify_replies=new.notify,
                owner_key=hash_key(context.owner_token) if context.owner_token else "",
                ip_hash=context.ip_hash,
                user_agent=context.user_agent[:300],
                submitted_at=now,
                spam_verdict=str(decision.verdict),
                spam_score=decision.score,
                spam_reasons=reasons,
                spam_backend=decision.backend,
            )
            comment.thread_id = parent.thread_id if parent else comment.pk
            comment.save(update_fields=["thread_id"])
            if context.form_token:
                SpentFormToken.objects.create(
                    token=context.form_token, comment=comment, spent_at=now
                )
    except IntegrityError:
        # The same form, sent twice at once: its twin committed first.
        if (earlier := comment_of_spent_token(context.form_token)) is None:
            raise
        return replayed(earlier, new)
    # The commit is the one truth: what follows never changes the answer.
    if status == Comment.Status.APPROVED:
        after_commit(refresh_articles, [article.pk])
        after_commit(notifications.notify_reply, comment, context.site_url)
    elif status == Comment.Status.PENDING:
        after_commit(notifications.notify_moderators, comment, context.site_url)
    return Outcome(str(status), comment, tuple(reasons))


def comment_of_spent_token(form_token: str) -> Comment | None:
    """The comment a form's token already posted, if it did."""
    if not form_token:
        return None
    spent = SpentFormToken.objects.filter(token=form_token).select_related("comment").first()
    return spent.comment if spent is not None else None


def replayed(earlier: Comment, new: NewComment) -> Outcome:
    """A form sent again with a token that already posted: the same comment is the
    answer (a double submit), anything else is refused (a token posts once)."""
    same = earlier.body == new.body and earlier.author_email.lower() == new.email.lower()
    if not same:
        raise CommentRejected(
            "This form has already been used to post a comment. Please send yours again."
        )
    log.info("Comment %s: the same form was sent again; stored once.", earlier.pk)
    return Outcome(str(earlier.status), earlier, ("The same form was sent twice.",))


def after_commit(function: Callable[..., object], *args: object) -> None:
    """Run a side effect (notifications, counters, the page cache, learning) once the
    current transaction commits, or now outside one. It may fail (it is logged), but
    never undoes or changes what was committed, nor the answer the reader gets."""

    def run() -> None:
        try:
            function(*args)
        except Exception:
            log.exception("After the commit, %s failed.", getattr(function, "__name__", function))

    connection = transaction.get_connection()
    # A test case's own wrapping transaction counts as committed, as it does for
    # Django's durable blocks: what the test sees is what a reader would.
    outer = [block for block in connection.atomic_blocks if not block._from_testcase]
    if connection.in_atomic_block and outer:
        transaction.on_commit(run)
    else:
        run()


def reply_as_editor(parent: Comment, body: str, editor, site_url: str = "") -> Comment:
    """An editor answers from the moderation queue: published at once, under their name."""
    parent_for_depth = parent
    if parent.depth >= settings.BYLINE_COMMENT_MAX_DEPTH - 1 and parent.parent_id:
        parent_for_depth = parent.parent
    name = editor.get_full_name() or editor.get_username()
    body = body.strip()
    with transaction.atomic():
        comment = Comment.objects.create(
            article_id=parent.article_id,
            parent=parent_for_depth,
            depth=parent_for_depth.depth + 1,
            thread_id=parent.thread_id,
            status=Comment.Status.APPROVED,
            body=body,
            body_html=render_body(body),
            author_name=name,
            author_email=editor.email or "",
            author_user=editor,
            submitted_at=timezone.now(),
            spam_reasons=["Written by an editor from the moderation queue."],
            moderated_by=editor,
            moderated_at=timezone.now(),
            moderation=ModerationRecord.Decision.APPROVE,
        )
    after_commit(refresh_articles, [parent.article_id])
    after_commit(notifications.notify_reply, comment, site_url, parent)
    return comment


# Moderating -------------------------------------------------------------------

DECISION_STATUS = {
    ModerationRecord.Decision.APPROVE: Comment.Status.APPROVED,
    ModerationRecord.Decision.NOT_SPAM: Comment.Status.APPROVED,
    ModerationRecord.Decision.SPAM: Comment.Status.SPAM,
    ModerationRecord.Decision.UNAPPROVE: Comment.Status.PENDING,
    ModerationRecord.Decision.TRASH: Comment.Status.TRASH,
}
DECISION_LABEL = {
    ModerationRecord.Decision.APPROVE: Label.HAM,
    ModerationRecord.Decision.NOT_SPAM: Label.HAM,
    ModerationRecord.Decision.SPAM: Label.SPAM,
}


def submission_for(comment: Comment) -> Submission:
    """Describe a stored comment to the spam filter (for learning)."""
    return Submission(
        body=comment.body,
        author_name=comment.author_name,
        author_email=comment.author_email,
        author_url=comment.author_url,
        article_id=comment.article_id,
        parent_id=comment.parent_id,
        ip_hash=comment.ip_hash,
        user_agent=comment.user_agent,
        created_at=comment.submitted_at,
    )


def moderate(comments: Iterable[Comment], decision: str, moderator, site_url: str = "") -> int:
    """Apply a moderator's decision to comments; record who and when; teach the filter.

    A decision that leaves the status as it was (approving an approved comment) is
    still recorded and learned from, but not counted. Returns how many comments
    changed status.
    """
    decision = ModerationRecord.Decision(decision)
    new_status = DECISION_STATUS[decision]
    now = timezone.now()
    changed: list[tuple[Comment, str]] = []
    with transaction.atomic():
        for comment in comments:
            previous = comment.status
            if previous == new_status and decision not in DECISION_LABEL:
                continue
            comment.status = new_status
            comment.moderated_by = moderator
            comment.moderated_at = now
            comment.moderation = decision
            comment.save(update_fields=["status", "moderated_by", "moderated_at", "moderation"])
            ModerationRecord.objects.create(
                comment=comment,
                decision=decision,
                previous_status=previous,
                moderator=moderator,
                decided_at=now,
            )
            changed.append((comment, previous))
    # After the commit; a failure is logged and never loses a decision.
    label = DECISION_LABEL.get(decision)
    for comment, _ in changed:
        if label is not None:
            after_commit(antispam.learn, submission_for(comment), label)
    visible_change = [
        c.article_id for c, previous in changed if Comment.Status.APPROVED in {previous, c.status}
    ]
    after_commit(refresh_articles, visible_change)
    if new_status == Comment.Status.APPROVED:
        for comment, previous in changed:
            if previous != Comment.Status.APPROVED:
                after_commit(notifications.notify_reply, comment, site_url)
    return sum(1 for comment, previous in changed if comment.status != previous)


def edit_comment(comment: Comment, editor) -> None:
    """After an editor changed a comment's text: render it again and record the edit."""
    comment.body_html = render_body(comment.body)
    comment.edited_at = timezone.now()
    comment.save()
    ModerationRecord.objects.create(
        comment=comment,
        decision=ModerationRecord.Decision.EDIT,
        previous_status=comment.status,
        moderator=editor,
        decided_at=comment.edited_at,
    )
    refresh_articles([comment.article_id])


def delete_comments(comments: Iterable[Comment]) -> int:
    """Delete comments for good (their replies go with them)."""
    comments = list(comments)
    article_ids = {c.article_id for c in comments}
    count = 0
    for comment in comments:
        if Comment.objects.filter(pk=comment.pk).exists():
            comment.delete()
            count += 1
    refresh_articles(article_ids)
    return count


def refresh_articles(article_ids: Iterable[int]) -> None:
    """Rewrite the comment counters and tell the page cache what changed."""
    counts = shown_counts(article_ids)
    for article_id, count in counts.items():
        set_comment_count(article_id, count)
        article_changed.send(sender=Comment, article_id=article_id)
