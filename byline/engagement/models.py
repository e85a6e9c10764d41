"""Engagement rows: running totals per article, one vote row per reader, buffered views.

The page and the API only ever read the totals (``ArticleStats``,
``ReactionTally`` and ``StarTally``); the vote rows are the record they are
recounted from (``manage.py recount_engagement``).

A vote's totals are split over ``TALLY_SHARDS`` rows per (article, choice): a
vote moves one shard, picked at random, so concurrent votes on one popular
article lock different rows instead of queueing for one. A shard on its own
means nothing (it may even be negative, when a vote added in one shard is
withdrawn in another); the total is always the sum of the shards.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

STARS = (1, 2, 3, 4, 5)
TALLY_SHARDS = 16


class ArticleStats(models.Model):
    """One row of running totals per article, so the page never counts rows.

    ``views`` is maintained by the engagement app, ``comments`` (approved
    comments) by the discussion app through ``engagement.stats``. Votes never
    write this row: their totals are ``ReactionTally`` and ``StarTally``.
    """

    article = models.OneToOneField(
        "articles.Article", on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    views = models.PositiveBigIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "article engagement"
        verbose_name_plural = "article engagement"

    def __str__(self) -> str:
        return f"{self.article_id}: {self.views} views, {self.comments} comments"


class ReactionTally(models.Model):
    """One shard of how many readers chose one reaction on one article (sum the shards)."""

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="reaction_tallies"
    )
    reaction = models.CharField(max_length=20)
    shard = models.PositiveSmallIntegerField(default=0)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "reaction", "shard"], name="one_tally_per_reaction_shard"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.reaction} (shard {self.shard}): {self.count}"


class StarTally(models.Model):
    """One shard of how many readers gave an article this many stars (sum the shards)."""

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="star_tallies"
    )
    stars = models.PositiveSmallIntegerField()
    shard = models.PositiveSmallIntegerField(default=0)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "stars", "shard"], name="one_tally_per_stars_shard"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.stars}★ (shard {self.shard}): {self.count}"


class Reaction(models.Model):
    """A reader's one reaction to an article; choosing another moves it.

    A withdrawn reaction keeps its row with an empty ``reaction``.
    """

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    reader = models.CharField(max_length=32)
    reaction = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "reader"], name="one_reaction_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.reader} → {self.article_id}: {self.reaction or 'withdrawn'}"


class Rating(models.Model):
    """A reader's one rating of an article, 1 to 5 stars; it can be changed.

    A withdrawn rating keeps its row with ``stars`` empty.
    """

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    reader = models.CharField(max_length=32)
    stars = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "reader"], name="one_rating_per_reader"),
            models.CheckConstraint(
                condition=models.Q(stars__isnull=True) | models.Q(stars__gte=1, stars__lte=5),
                name="stars_between_1_and_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reader} → {self.article_id}: {self.stars or 'withdrawn'}★"


class DailyViews(models.Model):
    """Views of one article on one day (UTC), for the editors' overview."""

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "daily views"
        # "Most read" reads one period's rows (popular.py).
        indexes = [models.Index(fields=["day", "article"], name="engagement_dailyviews_day")]
        constraints = [
            models.UniqueConstraint(fields=["article", "day"], name="one_row_per_article_day")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} on {self.day}: {self.views}"


class PendingView(models.Model):
    """One counted view waiting to be added to the totals (the buffer without Redis).

    Appending a row never waits on another reader; ``viewbuffer.flush()``
    moves the rows into ``ArticleStats`` and ``DailyViews`` in one transaction.
    """

    article_id = models.BigIntegerField(db_index=True)
    day = models.DateField()

    def __str__(self) -> str:
        return f"pending view of {self.article_id}"


class ViewBatch(models.Model):
    """A batch of buffered views taken from Redis and applied to the totals.

    Recorded in the same transaction as the batch itself, so a batch left in
    Redis by a flusher that crashed after committing is never applied twice.
    """

    token = models.CharField(max_length=64, unique=True)
    flushed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.token


class ViewLogPosition(models.Model):
    """How far ``viewlog.fold()`` has read one file of nginx's view log.

    Moved in the same transaction as the views it read are added to the
    totals, so a fold that crashes anywhere reads again from the last
    committed position and counts each line once. ``inode`` tells a file
    that replaced another of the same name (read from the start).
    """

    name = models.CharField(max_length=100, unique=True)
    inode = models.BigIntegerField(default=0)
    offset = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} read to byte {self.offset}"


class ViewMark(models.Model):
    """A counting rule's memory while nginx's view log is folded without Redis.

    ``seen.PREFIX...`` marks a reader seen on an article (30 minutes), by the
    fold or by the app's ``count_view`` (``seen``: one set of marks for both);
    ``viewlog.LIMIT_PREFIX...`` counts an address's views in one minute. The fold
    writes its own in its transaction, so a fold that crashes leaves none behind.
    With Redis these live there instead (``viewlog``, ``seen``).
    """

    key = models.CharField(max_length=150, primary_key=True)
    count = models.PositiveIntegerField(default=1)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
