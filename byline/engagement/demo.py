"""Demo engagement: reactions and ratings from many readers, for benchmarks and trying the site.

Every vote goes through ``actions.react()`` and ``actions.rate()``, the same
functions the JSON API and the forms call, so the running totals stay exactly
equal to a recount of the vote rows (``recount_engagement`` finds no drift).
All votes run in one transaction: one commit, not one per vote.

Demo readers have fixed ids derived from their number, so a second run finds
the same readers and leaves their votes as they are: the totals do not grow.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import transaction

from byline.articles.models import Article
from byline.engagement import actions
from byline.engagement.models import Rating, Reaction
from byline.engagement.viewbuffer import apply_batch
from byline.readers import READER_ID_LENGTH

# Share of readers who react, and who rate; and how their choices lean.
REACTING = 0.7
RATING = 0.55
REACTION_WEIGHTS = (9, 6, 4, 1, 3, 5)  # in the order of BYLINE_REACTIONS; the rest get 1
STAR_WEIGHTS = {1: 2, 2: 1, 3: 3, 4: 6, 5: 8}


def demo_reader(number: int) -> str:
    """The reader id of demo reader ``number``: stable, and shaped like a real one."""
    digest = hashlib.sha256(f"byline-demo-reader:{number}".encode()).hexdigest()
    return digest[:READER_ID_LENGTH]


def add_demo_votes(article: Article, readers: int = 400, *, seed: int = 2014) -> dict[str, int]:
    """Reactions and ratings on the article from ``readers`` distinct demo readers.

    Returns how many reactions and ratings the demo readers have on it afterwards.
    """
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    keys = [kind.key for kind in settings.BYLINE_REACTIONS]
    weights = [REACTION_WEIGHTS[i] if i < len(REACTION_WEIGHTS) else 1 for i in range(len(keys))]
    ids = [demo_reader(number) for number in range(readers)]
    choices: dict[str, tuple[str | None, int | None]] = {}
    for reader in ids:
        reaction = rng.choices(keys, weights)[0] if keys and rng.random() < REACTING else None
        stars = (
            rng.choices(list(STAR_WEIGHTS), list(STAR_WEIGHTS.values()))[0]
            if rng.random() < RATING
            else None
        )
        choices[reader] = (reaction, stars)
    with transaction.atomic():
        # Only what differs is sent: react() with the reaction a reader already
        # has would withdraw it, and a reader who never voted gets no empty row.
        reacted = dict(
            Reaction.objects.filter(article_id=article.pk, reader__in=ids).values_list(
                "reader", "reaction"
            )
        )
        rated = dict(
            Rating.objects.filter(article_id=article.pk, reader__in=ids).values_list(
                "reader", "stars"
            )
        )
        for reader, (reaction, stars) in choices.items():
            if (reacted.get(reader) or None) != reaction:
                actions.react(article.pk, reader, reaction)
            if rated.get(reader) != stars:
                actions.rate(article.pk, reader, stars)
    return {
        "reactions": sum(1 for reaction, _ in choices.values() if reaction),
        "ratings": sum(1 for _, stars in choices.values() if stars),
    }


def add_demo_views(views: dict[int, list[int]]) -> int:
    """Give articles views on past days: ``{article_id: [today's, yesterday's, ...]}``.

    Goes through ``viewbuffer.apply_batch()``, as the buffered views of real
    readers do, so the totals and the daily rows agree. Adds to what is there:
    call it once, on a new site. Returns the views added.
    """
    today = datetime.now(UTC).date()
    batch: Counter[tuple[int, date]] = Counter()
    for article_id, per_day in views.items():
        for days_ago, count in enumerate(per_day):
            batch[(article_id, today - timedelta(days=days_ago))] += count
    with transaction.atomic():
        return apply_batch(batch)
