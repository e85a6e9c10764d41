"""Comments on articles, and the record of moderators' decisions."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone

from byline.articles.models import Article, name_text, shows_text
from byline.db import PRIMARY
from byline.modelfields import done_by, imported_once
from byline.readers import hash_key
from byline.sitetime import site_time

# What readers see of a comment: the article page loads only these columns.
DISPLAY_FIELDS = (
    "article_id",
    "parent_id",
    "answers_id",
    "thread_id",
    "depth",
    "author_name",
    "author_url",
    "body_html",
    "submitted_at",
    "edited_at",
    "erased_at",
    "reactions",
)


class CommentQuerySet(models.QuerySet):
    def approved(self) -> CommentQuerySet:
        return self.filter(status=Comment.Status.APPROVED)

    def on_article(self, article_id: int) -> CommentQuerySet:
        return self.filter(article_id=article_id)

    def in_discussion(self) -> CommentQuerySet:
        """Approved comments, and removed ones (trashed or spam) that have replies: the
        page shows a placeholder for a removed comment with approved replies under it
        ("This comment was removed.", ``threads``), never its author or its words."""
        replied = Comment.objects.filter(parent_id=OuterRef("pk"))
        removed = Q(status__in=REMOVED) & Exists(replied)
        # The statuses first, as a list: an article's comments are then read from the
        # (article, status, ...) indexes. Behind the OR alone, SQLite took the parent
        # index for an article's top-level comments: every thread's head on the site.
        shown = (Comment.Status.APPROVED, *REMOVED)
        return self.filter(status__in=shown).filter(Q(status=Comment.Status.APPROVED) | removed)

    def thread_roots(self, article_id: int) -> CommentQuerySet:
        """Approved top-level comments of an article, oldest first."""
        return (
            self.approved()
            .on_article(article_id)
            .filter(parent__isnull=True)
            .order_by("submitted_at", "pk")
        )

    def removed_heads(self) -> CommentQuerySet:
        """Removed top-level comments with an approved reply in their thread: each heads a
        thread under a placeholder (``threads``). How many an article has is kept on it
        (``Article.removed_threads``)."""
        return self.filter(parent__isnull=True, status__in=REMOVED).filter(answered_thread())

    def removed_roots(self, article_id: int) -> CommentQuerySet:
        """An article's ``removed_heads``, oldest first. Usually none."""
        return self.on_article(article_id).removed_heads().order_by("submitted_at", "pk")

    def in_threads(self, article_id: int, root_ids: list[int]) -> CommentQuerySet:
        """Every approved comment of the given threads, in one query.

        An empty list still runs the query (``[0]`` matches nothing) so the
        article page issues the same queries with and without comments.
        """
        return (
            self.approved()
            .on_article(article_id)
            .filter(thread_id__in=root_ids or [0])
            .only(*DISPLAY_FIELDS)
            .order_by("submitted_at", "pk")
        )

    def by_email(self, email: str) -> CommentQuerySet:
        """The comments under ``email``, whatever its case: ``UPPER(author_email) =
        UPPER(email)``, the expression the address index holds, on both databases.
        (``author_email__iexact`` is a LIKE on SQLite, which no index serves: every
        comment of the site was read for one commenter's.)"""
        return self.alias(address=Upper("author_email")).filter(address=Upper(Value(email.strip())))


def same_address(comment: Comment, email: str) -> bool:
    """Whether ``email`` is the address ``comment`` was posted under, whatever its case,
    as the database compares addresses (``Comment.objects.by_email``: its ``UPPER`` on
    PostgreSQL, ASCII's only on SQLite). Python's ``lower()`` or ``upper()`` would not
    agree with it on every letter ("ß", "ſ", the Kelvin sign): one comparison, decided
    where the address index decides it. The same characters need no statement."""
    if comment.author_email == email:
        return True
    if not comment.author_email or not email:
        return False
    return Comment.objects.using(PRIMARY).by_email(email).filter(pk=comment.pk).exists()


# A commenter whose name shows nothing once cleaned (an import, an editor's account, a
# row stored before names were cleaned): never a blank name. The comment form refuses
# one instead (``forms.NAME_SHOWS_NOTHING``), and the admin's edit too.
ANONYMOUS = "Anonymous"
NAME_LENGTH = 100


def commenter_name(value: str) -> str:
    """A commenter's name as stored and shown: cleaned as every name is (``name_text``:
    one line, no control characters, byte-order mark or direction controls), cut to the
    column, "Anonymous" when nothing a reader can see is left. (Nearly every name is one
    the rule leaves as it is, printable, one space between words: it is that name, at
    once, for the pages that show hundreds.)"""
    if value.isprintable() and "  " not in value and 0 < len(value.strip()) == len(value):
        if len(value) <= NAME_LENGTH:  # (no control, format or line character to go)
            return value
    name = name_text(value)[:NAME_LENGTH].rstrip()
    return name if shows_text(name) else ANONYMOUS


def answered_gone(collector, field, sub_objs, using) -> None:
    """``Comment.answers`` when the comment a reply answered is deleted (by a moderator,
    erased at its author's request, purged): the reply keeps its place and forgets it,
    and is marked as notified, so that approving it later e-mails nobody (never the
    author of the comment it is attached to, whom it did not answer).

    Not lazy, unlike SET_NULL: the replies are read (usually none) and both updates name
    them by id; as a query, the second would match none once the first had run."""
    models.SET_NULL(collector, field, sub_objs, using)
    collector.add_field_update(field.model._meta.get_field("reply_notified"), True, sub_objs)


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        SPAM = "spam", "Spam"
        TRASH = "trash", "Trash"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    answers = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=answered_gone,
        related_name="+",
        editable=False,
        db_index=False,  # (the partial index below: only such replies have one)
        help_text="The comment the reader answered, when the reply is attached to another: "
        "at the deepest level a reply joins the level above.",
    )
    thread_id = models.BigIntegerField(
        null=True, db_index=True, editable=False, help_text="The top-level comment of its thread."
    )
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    body = models.TextField(help_text="As the commenter wrote it.")
    body_html = models.TextField(editable=False, default="")
    author_name = models.CharField("name", max_length=NAME_LENGTH)
    author_email = models.EmailField("e-mail", max_length=254)
    author_url = models.URLField("website", max_length=500, blank=True)
    author_user = done_by(
        editable=True, help_text="The editor who wrote it from the moderation queue, if any."
    )
    notify_replies = models.BooleanField(
        default=False, help_text="The commenter asked to be e-mailed when someone replies."
    )
    reply_notified = models.BooleanField(default=False, editable=False)
    owner_key = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Hash of the commenter's cookie: lets them see their own pending comment.",
    )
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    user_agent = models.CharField(max_length=300, blank=True, editable=False)
    submitted_at = models.DateTimeField(db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    spam_verdict = models.CharField(max_length=10, blank=True, editable=False)
    spam_score = models.FloatField(null=True, blank=True, editable=False)
    spam_reasons = models.JSONField(default=list, blank=True, editable=False)
    spam_backend = models.CharField(max_length=100, blank=True, editable=False)
    moderated_by = done_by()
    moderated_at = models.DateTimeField(null=True, blank=True, editable=False)
    moderation = models.CharField("last decision", max_length=10, blank=True, editable=False)
    import_source = models.CharField(
        max_length=300,
        blank=True,
        editable=False,
        help_text="The site it was imported from (a WordPress export's address), if any.",
    )
    import_id = models.BigIntegerField(
        null=True, blank=True, editable=False, help_text="Its id on the site it was imported from."
    )
    reactions = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="How many readers reacted to it; the site keeps the count.",
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["article", "status", "thread_id"]),
            models.Index(fields=["article", "status", "parent"]),
            # The moderation queue (one status, latest first) and "most discussed" (one
            # week of approved comments, popular.py), both read from this index.
            models.Index(fields=["status", "-submitted_at", "-id"], name="comment_status_latest"),
            # by_email() matches case-insensitively (UPPER(...) = UPPER(...)). With the
            # status beside it, a new comment's author history (how many of their comments
            # were approved, how many spam) is counted from this index alone: the address
            # is included so PostgreSQL need not read the table (an index-only scan).
            models.Index(
                Upper("author_email"),
                F("status"),
                include=["author_email"],
                name="comment_email_status_ci",
            ),
            # A comment's replies at the deepest level that answered it (deleting it).
            models.Index(
                fields=["answers"],
                condition=models.Q(answers__isnull=False),
                name="comment_answers",
            ),
            # "Most reacted" (sorting.py): an article's published threads, most reacted first.
            models.Index(
                fields=["article", "-reactions", "submitted_at", "id"],
                condition=models.Q(parent__isnull=True, status="approved"),
                name="comment_roots_reacted",
            ),
            # The counts files' reads of an article's comments' reaction counts
            # (reactions.counts_of_articles, reaction_files.reaction_bodies): the
            # approved comments' ids and counts from the index alone (an index-only
            # scan), never the comments' wide rows.
            models.Index(
                fields=["article", "id"],
                include=["reactions"],
                condition=models.Q(status="approved", erased_at__isnull=True),
                name="comment_approved_reactions",
            ),
        ]
        constraints = [
            imported_once("import_source", "import_id", name="discussion_comment_imported_once"),
        ]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.body[:60]}"

    def save(self, *args, **kwargs) -> None:
        # The name as every name is stored, whichever way it is written (the form, an
        # editor's reply, the admin's edit, the shell): ``commenter_name``.
        fields = kwargs.get("update_fields")
        if (fields is None or "author_name" in fields) and (
            "author_name" not in self.get_deferred_fields()
        ):
            self.author_name = commenter_name(self.author_name or "")
        # reactions.py alone writes the count: saving a comment read earlier never
        # writes back the count it read (readers may have reacted since).
        if not self._state.adding and not kwargs.get("force_insert"):
            if kwargs.get("update_fields") is None:
                skipped = {"id", "reactions", *self.get_deferred_fields()}
                kwargs["update_fields"] = [
                    f.name for f in self._meta.concrete_fields if f.attname not in skipped
                ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("discussion:comment", kwargs={"pk": self.pk})

    @property
    def shown_name(self) -> str:
        """The name as readers see it, in pages, feeds and e-mails: ``commenter_name``
        (a row stored before names were cleaned can hold a direction override left open,
        which would turn the words after it around)."""
        return commenter_name(self.author_name)

    def clean(self) -> None:
        """A moderator's correction in the admin: a name readers can see (``save`` then
        stores it cleaned)."""
        if not shows_text(name_text(self.author_name or "")):
            raise ValidationError({"author_name": "Give a name readers can see."})

    # Who may edit it, and until when (``editing``, which says why): kept on the row, so
    # the answer to a new comment offers its Edit link without the editing module.

    def owned_by(self, owner_token: str) -> bool:
        """The reader holding ``owner_token`` (their commenter cookie) posted it."""
        return bool(owner_token and self.owner_key and hash_key(owner_token) == self.owner_key)

    def editable_until(self) -> datetime:
        return self.submitted_at + timedelta(minutes=settings.BYLINE_COMMENT_EDIT_MINUTES)

    def editable_by(self, owner_token: str, now: datetime | None = None) -> bool:
        """Whether this reader may still edit it (their own, in time, not filed away)."""
        return (
            settings.BYLINE_COMMENT_EDIT_MINUTES > 0
            and self.status in EDITABLE
            and self.erased_at is None
            and self.author_user_id is None
            and self.owned_by(owner_token)
            and (now or timezone.now()) <= self.editable_until()
        )


def may_moderate(user) -> bool:
    """Who may moderate comments: active staff with ``discussion.change_comment``. They
    see comments no page shows on their own pages, and are e-mailed about held ones."""
    return bool(user.is_active and user.is_staff and user.has_perm("discussion.change_comment"))


# Comments a moderator took off the page (in the bin, or spam): a placeholder stands in
# for one that has approved replies. A held (pending) comment's replies wait with it.
REMOVED = (Comment.Status.TRASH, Comment.Status.SPAM)
# Comments their author may still edit (in the window): published, or waiting.
EDITABLE = (Comment.Status.APPROVED, Comment.Status.PENDING)


def answered_thread() -> Exists:
    """Of a top-level comment (the outer query's row): an approved comment in its thread.

    Asked with the thread's article too (a thread's comments are all on it), so the
    three columns of the (article, status, thread) index answer it. By status and thread
    alone SQLite, on a site never ANALYZEd, read the status index: every approved
    comment of the site, for each removed head.
    """
    return Exists(
        Comment.objects.filter(
            article_id=OuterRef("article_id"),
            status=Comment.Status.APPROVED,
            thread_id=OuterRef("pk"),
        )
    )


class ModerationRecord(models.Model):
    """One moderator's decision on one comment: who, what, when (the filter learns from it)."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approved"
        SPAM = "spam", "Marked spam"
        NOT_SPAM = "not_spam", "Marked not spam"
        UNAPPROVE = "unapprove", "Unapproved"
        TRASH = "trash", "Trashed"
        EDIT = "edit", "Edited"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    previous_status = models.CharField(max_length=10, blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.moderator} at {site_time(self.decided_at)}"


class SpentFormToken(models.Model):
    """A comment form's token that has posted a comment: it posts nothing else.

    The row is written in the comment's own transaction, so the commit is the one
    truth: a double-submitted form finds the comment its twin stored (and both
    are told it was posted). ``token`` is a digest of the token's random part.
    """

    token = models.CharField(max_length=64, unique=True)
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="+")
    spent_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"form token of comment {self.comment_id}"


class DataLink(models.Model):
    """An e-mailed link to export or erase one's comments: single-use and short-lived.

    The link carries only a random key; this row (found by the key's digest)
    holds the address, so no address is ever in a URL. Using the link spends it;
    ``purge_old_data`` deletes rows past their expiry.
    """

    class Action(models.TextChoices):
        EXPORT = "export", "Export"
        ERASE = "erase", "Erase"

    key = models.CharField(max_length=64, unique=True)
    email = models.EmailField(max_length=254)
    action = models.CharField(max_length=10, choices=Action.choices)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.action} link until {site_time(self.expires_at)}"


class CommentReaction(models.Model):
    """One reader's reaction to one comment (``reactions.py`` is its only writer).

    ``reader`` is a salted hash of the reader's cookie id, never an address; a
    withdrawn reaction is deleted. ``Comment.reactions`` counts these rows.
    """

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="+")
    reader = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reader"], name="one_comment_reaction_per_reader"
            )
        ]

    def __str__(self) -> str:
        return f"reaction to comment {self.comment_id}"
