"""Readers' reactions to comments: one reaction per reader per comment, given or taken back.

Like Coral's "Respect": each published comment has one reaction button, its
label set by ``BYLINE_COMMENT_REACTION_LABEL``. A reader states what they
want (reacted, or not), never a toggle, so a retried request changes nothing.

``react()`` is the one write path, for the JSON API and the no-JS form alike:
it refuses declared bots, counts the reader and their hashed address against
``BYLINE_VOTES_PER_MINUTE`` (``byline.readers``), checks that the comment is
published on a live article, then ``set_reaction()`` writes. On PostgreSQL that
is one statement: the reaction row is inserted (``ON CONFLICT DO NOTHING``) or
deleted, and ``Comment.reactions`` moves by the number of rows that changed,
in the same statement, so the count equals a recount of the rows under any
concurrency (the comment's row lock orders concurrent reactions to it). On
SQLite the same two statements run in one transaction (SQLite has one writer
at a time). Locking order, kept by every writer: the reaction row, then the
comment's row.

The reader is the engagement cookie's id (``byline.readers``); what is stored
is a salted hash of it (``reader_key``), never an address. A comment's
reactions are deleted with it (the foreign key cascades) and when it is erased
at its author's request (``forget_reactions``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.html import escape

from byline import readers
from byline.articles.models import Article
from byline.db import PRIMARY, AnyOf, Ids, Statement
from byline.discussion.models import Comment, CommentReaction
from byline.engagement.actions import VoteRefused, is_declared_bot, is_live
from byline.engagement.stats import mark_changed_after_commit

RATE_SCOPE = "comment-reaction"
MAX_IDS = 300  # comments whose counts one request may ask for (a page shows fewer)
MAX_IN_COUNTS = 2000  # comments with reactions an article's counts JSON carries at most


class ReactionRefused(VoteRefused):
    """A reaction that cannot be taken: ``message`` is for the reader, ``status`` for HTTP."""


@dataclass(frozen=True)
class Outcome:
    """What a reaction request left stored: the reader's state and the comment's count."""

    comment_id: int
    article_id: int
    reacted: bool
    reactions: int
    changed: bool  # False: the reader already had what they asked for
    reader: str
    new_reader: bool

    def as_json(self) -> dict[str, object]:
        return {"comment": self.comment_id, "reacted": self.reacted, "reactions": self.reactions}


def label() -> str:
    """The reaction's name as readers see it ("Respect", "Like", ...)."""
    return str(settings.BYLINE_COMMENT_REACTION_LABEL)


def reader_key(reader: str) -> str:
    """What is stored for a reader: a salted hash of their cookie id (the id itself,
    random, is never stored, nor any address)."""
    return salted_hmac("byline.discussion.comment-reaction", reader).hexdigest()[:40]


def react(comment_id: int, reader: str | None, ip: str, user_agent: str, reacted: bool) -> Outcome:
    """The one write path: the reader (None: a new one) reacts to the comment, or
    (``reacted`` False) takes their reaction back. ``ReactionRefused`` otherwise."""
    if is_declared_bot(user_agent):
        raise ReactionRefused("Automated clients cannot react to comments.", 403)
    new = reader is None
    reader = reader or readers.new_reader_id()
    identities = [f"reader:{reader}", f"ip:{readers.hash_ip(ip)}"]
    limit = settings.BYLINE_VOTES_PER_MINUTE
    if readers.over_limit(RATE_SCOPE, identities, limit):
        raise ReactionRefused(
            f"You have reacted more than {limit} times in a minute. Wait a minute and try again.",
            429,
        )
    article_id = published_comment_article(comment_id)
    if article_id is None:
        raise ReactionRefused("There is no published comment with this number.", 404)
    changed, count = set_reaction(comment_id, reader_key(reader), reacted)
    if changed:  # the article's counts carry its comments' reaction counts
        mark_changed_after_commit([article_id])
    return Outcome(comment_id, article_id, reacted, count, changed, reader, new)


def published_comment_article(comment_id: int) -> int | None:
    """The article of a published (approved, not erased) comment on a live article."""
    article_id = (
        Comment.objects.approved()
        .filter(pk=comment_id, erased_at__isnull=True)
        .values_list("article_id", flat=True)
        .first()
    )
    return article_id if article_id is not None and is_live(article_id) else None


# The reaction row and the count, in one statement (PostgreSQL).
_PG_REACT = """
WITH changed AS (
    INSERT INTO discussion_commentreaction (comment_id, reader, created_at)
    SELECT id, %(reader)s, %(now)s FROM discussion_comment
    WHERE id = %(comment)s AND status = 'approved' AND erased_at IS NULL
    ON CONFLICT (comment_id, reader) DO NOTHING
    RETURNING 1
)
UPDATE discussion_comment SET reactions = reactions + (SELECT count(*) FROM changed)
WHERE id = %(comment)s
RETURNING (SELECT count(*) FROM changed), reactions
"""
_PG_WITHDRAW = """
WITH changed AS (
    DELETE FROM discussion_commentreaction
    WHERE comment_id = %(comment)s AND reader = %(reader)s
    RETURNING 1
)
UPDATE discussion_comment SET reactions = reactions - (SELECT count(*) FROM changed)
WHERE id = %(comment)s
RETURNING (SELECT count(*) FROM changed), reactions
"""
# SQLite: the same, as two statements in one transaction.
_SQLITE_REACT = """
INSERT INTO discussion_commentreaction (comment_id, reader, created_at)
SELECT id, %(reader)s, %(now)s FROM discussion_comment
WHERE id = %(comment)s AND status = 'approved' AND erased_at IS NULL
ON CONFLICT (comment_id, reader) DO NOTHING
"""
_SQLITE_WITHDRAW = """
DELETE FROM discussion_commentreaction WHERE comment_id = %(comment)s AND reader = %(reader)s
"""
_SQLITE_COUNT = """
UPDATE discussion_comment SET reactions = reactions + %(change)s
WHERE id = %(comment)s RETURNING reactions
"""


def set_reaction(comment_id: int, key: str, reacted: bool) -> tuple[bool, int]:
    """Store the reader's (``key``) reaction or its absence; (whether a row changed,
    the comment's count afterwards). Asking for what is stored changes nothing."""
    params = {"comment": comment_id, "reader": key, "now": timezone.now()}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_REACT if reacted else _PG_WITHDRAW, params)
            row = cursor.fetchone()
            return (bool(row[0]), int(row[1])) if row else (False, 0)
        cursor.execute(_SQLITE_REACT if reacted else _SQLITE_WITHDRAW, params)
        change = max(cursor.rowcount, 0) * (1 if reacted else -1)
        cursor.execute(_SQLITE_COUNT, {"change": change, "comment": comment_id})
        row = cursor.fetchone()
        return bool(change), int(row[0]) if row else 0


def counts(comment_ids: list[int]) -> dict[int, int]:
    """The reaction counts of these comments, the published ones on live articles only
    (one query; the same for every reader)."""
    live = Article.objects.published().values("pk")
    return dict(
        Comment.objects.approved()
        .filter(pk__in=comment_ids[:MAX_IDS], erased_at__isnull=True, article__in=live)
        .values_list("pk", "reactions")
    )


def counts_of_articles(article_ids: list[int]) -> dict[int, dict[str, int]]:
    """The reaction counts of each article's approved comments that have any, by comment id
    (a comment not listed has none), for the article's counts JSON (``stats.also_count``):
    the page's script shows them from the beacon's answer and its refreshes, so a page
    view asks for nothing more. An article with more than ``MAX_IN_COUNTS`` such comments
    is left out (its page's script asks the counts API, as before). One query."""
    found: dict[int, dict[str, int]] = {article_id: {} for article_id in article_ids}
    if not article_ids:
        return {}
    for article_id, pk, reactions in REACTED.rows(article_ids):
        found[article_id][str(pk)] = reactions
    return {a: counts for a, counts in found.items() if len(counts) <= MAX_IN_COUNTS}


def _reacted(ids: Collection[int]) -> QuerySet[Comment, tuple[int, int, int]]:
    """The approved comments with reactions among some articles' (``counts_of_articles``)."""
    return (
        Comment.objects.approved()
        .filter(AnyOf("article_id", ids), erased_at__isnull=True, reactions__gt=0)
        .order_by("article_id", "pk")
        .values_list("article_id", "pk", "reactions")
    )


# Read at every look at the counts files (the articles whose counts changed), on the
# primary; its SQL written once (``db.Statement``: the ORM built it in ~0.45 ms of CPU).
REACTED = Statement(_reacted, Ids, using=PRIMARY)


def has_reacted(comment_id: int, reader: str | None) -> bool:
    """Whether this reader's reaction to the comment is stored."""
    if reader is None:
        return False
    found = CommentReaction.objects.filter(comment_id=comment_id, reader=reader_key(reader))
    return found.exists()


def forget_reactions(comment_ids: list[int]) -> None:
    """Delete the reactions of these comments and zero their counts (a comment erased at
    its author's request keeps nothing, its reactions included). Run inside the
    caller's transaction."""
    CommentReaction.objects.filter(comment_id__in=comment_ids).delete()
    Comment.objects.filter(pk__in=comment_ids).update(reactions=0)


def form_prefix() -> str:
    """``/comments/`` (wherever the URLconf puts the form): reverse() once per page."""
    return reverse("comment_reactions:form", args=[0]).removesuffix("0/react/")


def button(
    comment: Comment, page_query: str = "", prefix: str = "", name: str = "", label_html: str = ""
) -> str:
    """The reaction button of a published comment: a plain form (no script needed) whose
    button the page's script turns into an in-place toggle (``reactions.js``).

    The page is the same for every reader, so the button is never pressed here:
    the script presses it for the reader's own reactions, which it remembers.
    ``page_query`` (``cpage=2&sort=reacted&``) brings a reader without script back
    to the same page. ``name`` (the commenter's shown name) and ``label_html`` (the
    label), escaped, when the caller has them (a page's list reads the label once).
    """
    pk = comment.pk
    name = name or escape(comment.shown_name)
    action = f"{prefix or form_prefix()}{pk}/react/"
    if page_query:
        action += "?" + escape(page_query.rstrip("&"))
    return (
        f'<form class="comment-reaction" method="post" action="{action}">'
        f'<button type="submit" name="reacted" value="1" aria-pressed="false" '
        f'data-comment-reaction="{pk}">'
        f'<span class="comment-reaction-label">{label_html or escape(label())}</span> '
        f'<span class="comment-reaction-count" data-count>{comment.reactions}</span>'
        f'<span class="visually-hidden"> (comment by {name})</span></button></form>'
    )
