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
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import IntegrityError, connection, connections, router, transaction
from django.utils import timezone

from byline import antispam
from byline.antispam import Decision, Label, Submission, Verdict
from byline.articles.models import Article, name_text, shows_text
from byline.db import PRIMARY, Statement, after_commit, prepared_cursor
from byline.discussion import markup, notifications, popular
from byline.discussion.forms import FORM_EXPIRED
from byline.discussion.markup import URL_RE, render_body
from byline.discussion.models import (
    REMOVED,
    Comment,
    ModerationRecord,
    SpentFormToken,
    same_address,
)
from byline.discussion.threads import refresh_shown
from byline.engagement.stats import set_comment_count
from byline.readers import hash_key, hits
from byline.signals import COMMENTS, article_changed

log = logging.getLogger(__name__)


class CommentRejected(Exception):
    """A comment refused before anything was stored; ``message`` tells the reader why."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        status: int = 400,
        retry_after: int | None = None,
        **details,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
        self.retry_after = retry_after  # a rate limit's wait, in seconds (``Retry-After``)
        self.details = details  # more for the page's script (``resolve_parent``)


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

    @classmethod
    def of(cls, comment: Comment) -> NewComment:
        """A stored comment's words and author, as the spam filter is shown them."""
        return cls(
            comment.body,
            comment.author_name,
            comment.author_email,
            comment.author_url,
            comment.parent_id,
        )


# Posting ----------------------------------------------------------------------


def resolve_parent(article: Article, parent_id: int | None) -> Comment | None:
    """The approved comment of this article being replied to, or None for a new thread.

    A reply to a comment at the deepest level joins that level: it is attached to the
    ancestor one level up (``deepest_ancestor``), which must not be held.
    """
    if not parent_id:
        return None
    parent = APPROVED_ON_ARTICLE.first(article.pk, parent_id)
    if parent is None:
        # Taken back since the page was loaded (or never there): the page's script takes
        # it off the page too, leaving the placeholder's words (markup.REMOVED) above its
        # replies when a moderator removed it (trash, spam), as every page now shows it.
        taken_back = Comment.objects.on_article(article.pk).filter(pk=parent_id)
        raise parent_taken_back(parent_id, taken_back.values_list("status", flat=True).first())
    if parent.depth >= settings.BYLINE_COMMENT_MAX_DEPTH - 1:
        return deepest_ancestor(parent) if parent.parent_id else None
    return parent


# An approved comment of an article, by id: its SQL written once (``db.Statement``).
APPROVED_ON_ARTICLE = Statement(
    lambda article_id, pk: Comment.objects.approved().on_article(article_id).filter(pk=pk)[:1],
    int,
    int,
)


def answered_apart(answered_id: int | None, attached: Comment | None) -> int | None:
    """What a reply stores as the comment it answers (``Comment.answers``, whose author
    is e-mailed): ``answered_id`` when ``resolve_parent`` attached it elsewhere (higher
    up at the deepest level; a thread of its own when threads are off), else None."""
    if answered_id and (attached is None or attached.pk != answered_id):
        return answered_id
    return None


def parent_taken_back(comment_id: int, status: str | None) -> CommentRejected:
    """The refusal of a reply whose comment (``comment_id``, now of ``status``; None once
    deleted) is no longer there to answer: the page's script takes it off the page
    (``gone``), leaving ``placeholder``'s words above its replies when a moderator removed
    it (trash, spam), as every page shows it; nothing of it when it is held or deleted."""
    return CommentRejected(
        "The comment you are replying to is not available any more. Send your comment "
        "again to start a new thread.",
        field="parent",
        gone=comment_id,
        placeholder=markup.REMOVED if status in REMOVED else "",
    )


def deepest_ancestor(parent: Comment) -> Comment:
    """What a reply to ``parent``, at the deepest level, is attached to: its ancestor one
    level above the deepest (its parent's parent; further up in an imported thread
    deeper than the site allows). Read as the parent was, one statement a level.

    The comment answered (``parent``, approved) is shown under it, so that ancestor is
    approved, or removed (trash, spam: a placeholder with its replies, the new one
    beside them). Held for moderation (the comment answered waits with it, on no page
    but the reader's stale one) or deleted, the reply is refused as one to a comment
    taken back, naming it."""
    deepest = settings.BYLINE_COMMENT_MAX_DEPTH - 1
    above = parent
    while above.depth >= deepest and above.parent_id:
        comment_id = above.parent_id
        found = Comment.objects.filter(pk=comment_id, article_id=parent.article_id).first()
        if found is None or found.status == Comment.Status.PENDING:
            raise parent_taken_back(comment_id, found.status if found else None)
        above = found
    return above


def thread_of(parent: Comment) -> int:
    """The thread a reply to ``parent`` joins: its parent's. A row without one
    (``thread_id`` NULL: no write path of the site leaves one, since the column came
    with the first migration; only rows written around them, by raw SQL or a site's own
    script) is read as the site reads it: a top-level comment heads its own thread, a
    reply is in its nearest ancestor's (one statement a level, for such rows only)."""
    above = parent
    while not above.thread_id and above.parent_id:
        found = Comment.objects.only("pk", "parent_id", "thread_id").filter(pk=above.parent_id)
        if (above := found.first()) is None:  # deleted since: its replies went with it
            raise parent_taken_back(parent.pk, None)
    return above.thread_id or above.pk


WAIT_AND_SEND = " Please wait {wait} seconds and send it again."


# Three reads of every comment POST, as SQL written once: the ORM built each again at
# every POST (~0.2-0.3 ms of Python apiece). The statements the ORM wrote, so the same
# indexes answer them (tests/test_indexes.py; tests/discussion/test_post_reads.py checks
# they answer as the querysets do): ``UPPER(author_email) = UPPER(%s)`` is
# ``Comment.objects.by_email``'s expression, which the address index holds.
SPENT_FORM_SQL = (
    'SELECT "comment_id" FROM "discussion_spentformtoken" WHERE "token" = %s ORDER BY "id" LIMIT 1'
)
DUPLICATE_SQL = (
    'SELECT 1 FROM "discussion_comment" WHERE "article_id" = %s'
    ' AND UPPER("author_email") = UPPER(%s) AND "body" = %s AND "status" <> %s LIMIT 1'
)
HISTORY_SQL = (
    'SELECT "status", COUNT(*) FROM "discussion_comment"'
    ' WHERE UPPER("author_email") = UPPER(%s) AND "status" IN (%s, %s){other}'
    ' GROUP BY "status"'
)
# The first two asked at once, the POST's first read (``first_read``): one statement.
FIRST_READ_SQL = f"SELECT ({SPENT_FORM_SQL}), EXISTS ({DUPLICATE_SQL})"


def _read(sql: str, params: list, alias: str = PRIMARY) -> list[tuple]:
    """Rows of one of the statements above, from the primary unless ``alias`` says: the
    spent token and the duplicate are asked before the POST writes, where the router
    would pick a replica, and one lagging behind a twin's commit would let the same
    comment through twice. (The author's history may lag: ``router.db_for_read``.)"""
    with prepared_cursor(connections[alias]) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def is_duplicate(article_id: int, email: str, body: str) -> bool:
    """Whether ``email`` already posted these very words on this article (a comment in
    the bin aside): ``Comment.objects.on_article(...).by_email(email).filter(body=body)
    .exclude(status=TRASH).exists()``."""
    params = [article_id, email.strip(), body, Comment.Status.TRASH.value]
    return bool(_read(DUPLICATE_SQL, params))


def first_read(form_token: str, article_id: int, email: str, body: str) -> tuple[int | None, bool]:
    """The id of the comment ``form_token`` posted already (None: not spent) and whether
    the words are a duplicate (``is_duplicate``), asked in one statement of the primary
    before the POST checks anything else: what ``comment_of_spent_token`` and
    ``is_duplicate`` would answer, two round trips apart."""
    params = [form_token, article_id, email.strip(), body, Comment.Status.TRASH.value]
    ((spent, duplicate),) = _read(FIRST_READ_SQL, params)
    return spent, bool(duplicate)


def history_counts(email: str, other_than: int | None = None) -> tuple[int, int]:
    """How many comments under ``email`` (whatever its case; ``other_than`` aside) were
    approved and how many marked spam, read from the (address, status) index alone (the
    one path of this count: the queryset that counted it before is gone)."""
    params: list = [email.strip(), Comment.Status.APPROVED.value, Comment.Status.SPAM.value]
    other = ""
    if other_than is not None:
        other, params = ' AND "id" <> %s', [*params, other_than]
    counts = dict(_read(HISTORY_SQL.format(other=other), params, router.db_for_read(Comment)))
    return counts.get(Comment.Status.APPROVED, 0), counts.get(Comment.Status.SPAM, 0)


def check_abuse(
    article: Article, new: NewComment, context: Context, duplicate: bool | None = None
) -> None:
    """Refuse a comment, before anything is stored, when it looks like abuse.

    The honeypot is not checked here: a filled honeypot is discarded silently.
    ``duplicate``: ``is_duplicate``'s answer when the POST read it already (``first_read``).
    """
    minimum = settings.BYLINE_COMMENT_MIN_SECONDS
    if minimum:
        if context.seconds_to_submit is None:
            raise CommentRejected(FORM_EXPIRED)
        if context.seconds_to_submit < minimum:
            raise CommentRejected(
                f"That was quick: please take at least {minimum} seconds to write a comment, "
                "then send it again."
            )
    if is_duplicate(article.pk, new.email, new.body) if duplicate is None else duplicate:
        raise CommentRejected(
            "You have already posted this comment here: it looks as though you have already "
            "said that.",
            field="body",
            status=409,
        )
    # Counted last: a comment refused for what its reader can put right (the form's
    # errors, too quick, the same words again) does not use up their comments.
    limit, window = settings.BYLINE_COMMENT_RATE_LIMIT, settings.BYLINE_COMMENT_RATE_WINDOW
    per = "a minute" if window == 60 else f"every {window} seconds"
    too_quick = f"You are commenting too quickly: at most {limit} comments {per}."
    keys = {"email": hash_key(new.email.lower()), "ip": context.ip_hash}
    check_rate("comment", context.owner_token, keys, too_quick + WAIT_AND_SEND)


# Refused comment POSTs one reader (or hashed address) may send in a rate window, for each
# comment they may post: far more than anyone correcting a form sends, few for a script.
REFUSED_PER_COMMENT = 10
TOO_MANY_REFUSED = "Too many of your comments could not be posted." + WAIT_AND_SEND


def count_refusal(owner_token: str, ip_hash: str) -> CommentRejected | None:
    """Count a comment POST refused before anything was stored (the form's errors, a
    refusal of ``post_comment``), outside the comments' own limit; past
    ``REFUSED_PER_COMMENT`` times that limit, the refusal to answer instead (429): a
    script sending refused comments is stopped as one sending comments is."""
    limit = settings.BYLINE_COMMENT_RATE_LIMIT * REFUSED_PER_COMMENT
    try:
        check_rate("comment-refused", owner_token, {"ip": ip_hash}, TOO_MANY_REFUSED, limit)
    except CommentRejected as refusal:
        return refusal
    return None


def check_rate(
    action: str, owner_token: str, keys: dict[str, str], message: str, limit: int = 0
) -> None:
    """Count one ``action`` ("comment", "comment-edit") for the reader and each of ``keys``
    (scope: hashed key); refuse it (429, ``message`` with its ``{wait}``) past the limit
    (``limit``, else ``BYLINE_COMMENT_RATE_LIMIT``)."""
    limit = limit or settings.BYLINE_COMMENT_RATE_LIMIT
    window = settings.BYLINE_COMMENT_RATE_WINDOW
    keys = {"reader": hash_key(owner_token) if owner_token else "", **keys}
    wait = hits([(f"{action}-{scope}", key, limit) for scope, key in keys.items()], window)
    if wait:
        raise CommentRejected(message.format(wait=wait), status=429, retry_after=wait)


def judge(article: Article, new: NewComment, context: Context, edited: Comment | None = None):
    """Ask the spam filter about ``new`` (a new comment, or the new words of ``edited``).

    Returns the decision and how many approved comments its author had before.
    """
    approved_before, spam_before = history_counts(
        new.email, other_than=edited.pk if edited is not None else None
    )
    submission = replace(
        describe(new, article.pk, context),
        article_title=article.headline,
        author_approved_comments=approved_before,
        author_spam_comments=spam_before,
        created_at=timezone.now(),
    )
    return antispam.check(submission), approved_before


def status_for(decision: Decision, approved_before: int, new: NewComment) -> tuple[str, list[str]]:
    """The comment's status from the spam verdict and the site's two rules: every comment
    waits (``BYLINE_COMMENT_MODERATION=all``), and what a first comment under an e-mail
    address does (``BYLINE_SPAM_FIRST_COMMENT``: the local filter applies it as it scores;
    with another backend it is applied here, to that backend's verdict)."""
    reasons = list(decision.reasons)
    if decision.verdict == Verdict.SPAM:
        return Comment.Status.SPAM, reasons
    if decision.verdict == Verdict.HOLD:
        return Comment.Status.PENDING, reasons
    if settings.BYLINE_COMMENT_MODERATION == "all":
        return Comment.Status.PENDING, [*reasons, "Moderation policy: every comment waits."]
    policy = settings.BYLINE_SPAM_FIRST_COMMENT
    first = approved_before == 0 and policy != "publish"
    if first and not antispam.first_comment_policy()[0]:  # the backend does not apply it
        has_links = bool(new.website or URL_RE.search(new.body))
        if policy == "hold" or (policy == "hold-links" and has_links):
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
    spent, duplicate = None, None
    if context.form_token:  # (without one the POST is refused before the duplicate's read)
        spent, duplicate = first_read(context.form_token, article.pk, new.email, new.body)
    if spent is not None and (earlier := _comment_on_primary(spent)) is not None:
        return replayed(earlier, new)
    if not article.comments_open:
        raise CommentRejected(CLOSED, status=403)
    parent = resolve_parent(article, new.parent_id)
    try:
        check_abuse(article, new, context, duplicate)
    except CommentRejected:
        # Its twin (the same form sent at once) may have been stored meanwhile.
        if (earlier := comment_of_spent_token(context.form_token)) is not None:
            return replayed(earlier, new)
        raise
    answers = answered_apart(new.parent_id, parent)
    new = replace(new, parent_id=parent.pk if parent else None)
    decision, approved_before = judge(article, new, context)
    if decision.verdict == Verdict.DISCARD:
        log.info("Comment discarded by %s: %s", decision.backend, "; ".join(decision.reasons))
        return Outcome("discarded", reasons=decision.reasons)
    status, reasons = status_for(decision, approved_before, new)
    thread_id = thread_of(parent) if parent else None
    now = timezone.now()
    try:
        with transaction.atomic():
            comment = Comment.objects.create(
                article=article,
                parent=parent,
                answers_id=answers,
                depth=parent.depth + 1 if parent else 0,
                thread_id=thread_id,
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
            if parent is None:  # a reply's thread is its parent's, set as it was inserted
                comment.thread_id = comment.pk
                Comment.objects.filter(pk=comment.pk).update(thread_id=comment.pk)
            if context.form_token:
                SpentFormToken.objects.create(
                    token=context.form_token, comment=comment, spent_at=now
                )
    except IntegrityError:
        # The same form, sent twice at once: its twin committed first.
        if (earlier := comment_of_spent_token(context.form_token)) is not None:
            return replayed(earlier, new)
        # Or what it is attached to was deleted since it was read: nothing was stored,
        # and the form's token is not spent (it may be sent again).
        if (refusal := removed_meanwhile(article, parent, answers)) is None:
            raise
        raise refusal from None
    # The commit is the one truth: what follows never changes the answer.
    if status == Comment.Status.APPROVED:
        after_commit(refresh_published, [article.pk], [comment.thread_id])
        after_commit(notifications.notify_reply, comment, context.site_url)
    elif status == Comment.Status.PENDING:
        after_commit(notifications.notify_moderators, comment, context.site_url)
    return Outcome(str(status), comment, tuple(reasons))


ARTICLE_GONE = "This article does not take comments (it may have been unpublished)."


def removed_meanwhile(
    article: Article, parent: Comment | None, answers: int | None = None
) -> CommentRejected | None:
    """Why a comment's INSERT broke a constraint once its twin is ruled out: its article,
    the comment it is attached to or the one it answers (``answers``, at the deepest
    level) was deleted since the POST read it (a moderator's delete, an erasure at its
    author's request), refused as when it is gone before the POST; None when none is (a
    statement each, on this rare path only)."""
    if not Article.objects.filter(pk=article.pk).exists():
        return CommentRejected(ARTICLE_GONE, status=404)
    for comment_id in (parent.pk if parent else None, answers):
        if comment_id and not Comment.objects.filter(pk=comment_id).exists():
            return parent_taken_back(comment_id, None)
    return None


def comment_of_spent_token(form_token: str) -> Comment | None:
    """The comment a form's token already posted, if it did. (Almost always none: the
    token alone is looked up, and the comment read only when it was spent.)"""
    if not form_token:
        return None
    spent = _read(SPENT_FORM_SQL, [form_token])
    return _comment_on_primary(spent[0][0]) if spent else None


def _comment_on_primary(comment_id: int) -> Comment | None:
    return Comment.objects.using(PRIMARY).filter(pk=comment_id).first()


def replayed(earlier: Comment, new: NewComment) -> Outcome:
    """A form sent again with a token that already posted: the same comment is the
    answer (a double submit), anything else is refused (a token posts once)."""
    same = earlier.body == new.body and same_address(earlier, new.email)
    if not same:
        raise CommentRejected(
            "This form has already been used to post a comment. Please send yours again."
        )
    log.info("Comment %s: the same form was sent again; stored once.", earlier.pk)
    return Outcome(str(earlier.status), earlier, ("The same form was sent twice.",))


def reply_as_editor(parent: Comment, body: str, editor, site_url: str = "") -> Comment:
    """An editor answers a comment from the moderation queue: published at once, under
    their name, attached as a reader's reply is (``resolve_parent``: at the deepest level
    to the ancestor one level up, which must not be held or deleted), and with threads
    off to the comment answered (shown right after it, "In reply to" its author).

    Raises ``CommentRejected`` (nothing stored) when the comment answered, or the one it
    joins, was taken back or deleted since the editor's page read it: they are read again
    in the reply's transaction, then both locked (a moderator's delete of either then
    waits for the reply: it takes the reply along, or leaves it in place).
    """
    full_name = name_text(editor.get_full_name())  # (stored cleaned by ``Comment.save``)
    name = full_name if shows_text(full_name) else editor.get_username()
    body = body.strip()
    with transaction.atomic():
        # With threads off (one level) a reader's reply starts a thread (there is no
        # Reply link); the editor's answers a reader, and follows their comment on the
        # page, "In reply to" them, as a reply deeper than the site's depth is shown.
        attached = resolve_parent(parent.article, parent.pk) or parent
        # The comment it joins and the one it answers (``answers``: a foreign key too),
        # in the order of their ids, as a moderator's delete locks them.
        wanted = sorted({parent.pk, attached.pk})
        locked = Comment.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
        if missing := set(wanted) - set(locked.values_list("pk", flat=True)):
            raise parent_taken_back(min(missing), None)
        comment = Comment.objects.create(
            article_id=parent.article_id,
            parent=attached,
            answers_id=answered_apart(parent.pk, attached),
            depth=attached.depth + 1,
            thread_id=thread_of(attached),
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
    after_commit(refresh_published, [parent.article_id], [comment.thread_id])
    after_commit(notifications.notify_reply, comment, site_url)
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


def describe(new: NewComment, article_id: int, context: Context) -> Submission:
    """A comment as the spam filter sees it (a plain ``Submission``, never a model)."""
    return Submission(
        body=new.body,
        author_name=new.name,
        author_email=new.email,
        author_url=new.website,
        article_id=article_id,
        parent_id=new.parent_id,
        ip_hash=context.ip_hash,
        user_agent=context.user_agent,
        referrer=context.referrer,
        seconds_to_submit=context.seconds_to_submit,
        ip_address=context.ip_address,
    )


def submission_for(comment: Comment) -> Submission:
    """Describe a stored comment to the spam filter (for learning)."""
    context = Context(ip_hash=comment.ip_hash, user_agent=comment.user_agent)
    described = describe(NewComment.of(comment), comment.article_id, context)
    return replace(described, created_at=comment.submitted_at)


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
    visible_change = [c.article_id for c, previous in changed if _shows(previous, c.status)]
    published = new_status == Comment.Status.APPROVED  # else comments readers saw may be gone
    after_commit(refresh_published if published else refresh_articles, visible_change)
    if new_status == Comment.Status.APPROVED:
        for comment, previous in changed:
            if previous != Comment.Status.APPROVED:
                after_commit(notifications.notify_reply, comment, site_url)
    return sum(1 for comment, previous in changed if comment.status != previous)


def _shows(previous: str, status: str) -> bool:
    """A change of status readers may see: to or from approved, or a held comment removed
    (or one removed held again): its approved replies come out under a placeholder."""
    statuses = {previous, status}
    return Comment.Status.APPROVED in statuses or (
        Comment.Status.PENDING in statuses and bool(statuses & set(REMOVED))
    )


def edit_comment(
    comment: Comment, editor=None, previous_status: str = "", site_url: str = ""
) -> Comment:
    """Store an edit: the one write path for a comment changed by its author (``editor``
    None, after ``editing.edit_own_comment``'s checks and spam check) or by an editor in
    the admin (whose form changed the fields).

    The body is rendered and sanitized again, ``edited_at`` set (the "edited" marker),
    and the edit recorded in the comment's history with the status it had
    (``previous_status``, when the reader's edit changed it). After the commit: the
    article's count and cached pages when readers see a change, and the moderators
    when the comment now waits.
    """
    previous = previous_status or comment.status
    now = timezone.now()
    with transaction.atomic():
        comment.body_html = render_body(comment.body)
        comment.edited_at = now
        comment.save()
        ModerationRecord.objects.create(
            comment=comment,
            decision=ModerationRecord.Decision.EDIT,
            previous_status=previous,
            moderator=editor,
            decided_at=now,
        )
    if _shows(previous, comment.status):
        published = comment.status == Comment.Status.APPROVED  # (an approved one's edit too)
        after_commit(refresh_published if published else refresh_articles, [comment.article_id])
    if comment.status == Comment.Status.PENDING and previous != Comment.Status.PENDING:
        after_commit(notifications.notify_moderators, comment, site_url)
    return comment


def delete_comments(comments: Iterable[Comment]) -> int:
    """Delete comments for good (their replies go with them); how many of ``comments``
    were there to delete.

    In one transaction, the comments and everything under them locked first, in the
    order of their ids (``lock_with_replies``): a reply sent meanwhile either committed
    before and goes with them, or commits only after the delete and is refused as one to
    a comment deleted (``removed_meanwhile``). Never a foreign-key error at the commit,
    and two moderators deleting overlapping threads wait for each other in turn, never a
    deadlock.
    """
    comments = list(comments)
    article_ids = {c.article_id for c in comments}
    with transaction.atomic():
        found = lock_with_replies([c.pk for c in comments])
        if found:
            Comment.objects.filter(pk__in=sorted(found)).delete()
    refresh_articles(article_ids)
    return len(found)


def lock_with_replies(comment_ids: Iterable[int]) -> set[int]:
    """Lock comments and every reply under them (``SELECT ... FOR UPDATE``, inside the
    caller's transaction), so that no reply to any of them can commit before the
    transaction ends: a new row's foreign key waits for its parent's lock. Returns those
    of ``comment_ids`` that are there (not deleted already).

    The threads are read first, level by level, then locked in one statement in the
    order of their ids: every transaction that deletes takes its locks in that one
    order, so two that share rows wait for each other in turn (locked level by level,
    a moderator deleting a thread and one deleting a reply in it and another thread
    could each hold what the other waits for: a deadlock, one of them an error page).
    Replies that committed between the read and the lock are locked after (usually
    none: one statement). On SQLite the transaction holds the database's write lock
    from its start (IMMEDIATE): the comments' one statement is all it asks."""
    wanted = sorted(set(comment_ids))
    if not connection.features.has_select_for_update:
        return set(Comment.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    ids = Comment.objects.values_list("pk", flat=True)
    locked: set[int] = set()
    level = wanted
    while level:
        tree = set(level)
        while level:
            level = list(ids.filter(parent_id__in=level))
            tree.update(level)
        now = set(ids.select_for_update().filter(pk__in=sorted(tree)).order_by("pk"))
        locked |= now
        level = sorted(set(ids.filter(parent_id__in=sorted(now))) - locked)
    return locked.intersection(wanted)


def refresh_published(article_ids: Iterable[int], threads: Collection[int] = ()) -> None:
    """``refresh_articles`` after comments were published only (or an approved one
    edited): no comment readers saw went away. ``threads``: of the one article, the
    only threads that changed (a comment posted: its own), when known."""
    refresh_articles(article_ids, removed=False, threads=threads)


def refresh_articles(
    article_ids: Iterable[int], removed: bool = True, threads: Collection[int] = ()
) -> None:
    """Rewrite the comment counters (and ``Article.removed_threads``) and tell the page
    cache what changed: the article's pages, and the listings when their "Most
    discussed" may show it (``popular.may_change``). ``removed``: comments readers saw
    may be gone (taken down, deleted, erased), so whatever shows them outside the pages
    (the counts and reaction files nginx serves) goes at once; False only when comments
    were published (``refresh_published``). ``threads``: the article's only threads
    that changed (empty: any may have), whose shapes alone are read again (``shapes``)."""
    counts = refresh_shown(article_ids)
    for article_id, count in counts.items():
        set_comment_count(article_id, count)
        try:
            listings = popular.may_change(article_id)
        except Exception:  # the article's own pages and the others' are purged regardless
            log.exception("Most discussed: cannot tell whether it changes (redrawn)")
            listings = True
        article_changed.send(
            sender=Comment,
            article_id=article_id,
            what=COMMENTS,
            listings=listings,
            removed=removed,
            threads=threads,
        )
