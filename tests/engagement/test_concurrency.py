"""Exact under concurrency: 64 readers at once, then every shown total equals a recount.

These run against PostgreSQL only: SQLite takes one writer at a time, so it
cannot show the races these tests exist to rule out.
"""

from __future__ import annotations

import random

import pytest
from django.db import connection as main_connection
from django.db.models import Count

from byline.engagement import stats, viewbuffer
from byline.engagement.models import DailyViews, Rating, Reaction
from byline.engagement.recount import recount
from byline.engagement.stats import figures_for
from tests.conftest import postgres_only, run_together
from tests.engagement.factory import counts, rate, react, reader_client
from tests.factory import make_article

CLIENTS = 64

pytestmark = [
    *postgres_only("SQLite runs one writer at a time, so concurrent votes cannot race there"),
    pytest.mark.django_db(transaction=True),
]


def assert_totals_equal_recount(articles) -> None:
    assert recount() == []
    for article in articles:
        figures = figures_for(article.pk)
        reactions = dict(
            Reaction.objects.filter(article=article)
            .values_list("reaction")
            .annotate(n=Count("id"))
            .values_list("reaction", "n")
        )
        assert {r.key: r.count for r in figures.reactions} == {
            r.key: reactions.get(r.key, 0) for r in figures.reactions
        }
        stars = dict(
            Rating.objects.filter(article=article)
            .values_list("stars")
            .annotate(n=Count("id"))
            .values_list("stars", "n")
        )
        assert figures.rating_counts == {s: stars.get(s, 0) for s in range(1, 6)}
        api = counts(reader_client(), article.pk)
        assert api["reactions"] == [
            {"key": r.key, "emoji": r.emoji, "label": r.label, "count": r.count,
             "percent": r.percent}
            for r in figures.reactions
        ]  # fmt: skip
        assert api["rating"]["count"] == figures.rating_count


@pytest.fixture
def unlimited(settings):
    settings.BYLINE_VOTES_PER_MINUTE = 10**6


def test_64_readers_casting_moving_and_withdrawing_votes_leave_exact_totals(unlimited):
    articles = [make_article() for _ in range(2)]
    keys = ["happy", "sad", "excited", "sleepy", "angry", "surprise"]
    statuses: list[int] = []

    def reader(n: int) -> None:
        client = reader_client(f"10.64.{n // 200}.{n % 200 + 1}")
        rng = random.Random(n)
        for _ in range(20):
            article = rng.choice(articles)
            roll = rng.random()
            if roll < 0.45:
                response = react(client, article.pk, rng.choice(keys))
            elif roll < 0.55:
                response = client.delete(f"/api/articles/{article.pk}/reaction/")
            elif roll < 0.92:
                response = rate(client, article.pk, rng.randint(1, 5))
            else:
                response = client.delete(f"/api/articles/{article.pk}/rating/")
            statuses.append(response.status_code)

    run_together(reader, CLIENTS)
    assert statuses == [200] * CLIENTS * 20
    assert Reaction.objects.exists() and Rating.objects.exists()
    assert_totals_equal_recount(articles)


def test_one_reader_racing_themselves_keeps_one_vote_and_exact_totals(unlimited):
    """Sixteen tabs of one reader at once: still one reaction row and one rating row."""
    article = make_article()
    first = reader_client()
    react(first, article.pk, "happy")
    cookie = first.cookies["byline_reader"].value

    def tab(n: int) -> None:
        client = reader_client()
        client.cookies["byline_reader"] = cookie
        for i in range(10):
            assert react(client, article.pk, ["sad", "angry"][(n + i) % 2]).status_code == 200
            assert rate(client, article.pk, (n + i) % 5 + 1).status_code == 200

    run_together(tab, 16)
    assert Reaction.objects.filter(article=article).count() <= 1
    assert Rating.objects.filter(article=article).count() == 1
    assert_totals_equal_recount([article])


@pytest.mark.parametrize("buffer", ["database", "redis"])
def test_64_readers_viewing_at_once_are_each_counted_exactly_once(buffer, settings, monkeypatch):
    if buffer == "redis" and viewbuffer.redis_client() is None:
        pytest.skip("Redis not configured: set REDIS_URL=redis://...")
    if buffer == "database":
        monkeypatch.setattr(viewbuffer, "redis_client", lambda: None)
        monkeypatch.setattr(stats, "redis_client", lambda: None)
    settings.BYLINE_VIEW_FLUSH_SECONDS = 1  # flushes race the beacons
    articles = [make_article() for _ in range(3)]

    def reader(n: int) -> None:
        client = reader_client(f"10.65.{n // 200}.{n % 200 + 1}")
        for _ in range(2):  # the second round is a reload: not counted
            for article in articles:
                response = client.post(f"/api/articles/{article.pk}/view/")
                assert response.status_code == 204
            viewbuffer.flush()

    run_together(reader, CLIENTS)
    viewbuffer.flush()
    main_connection.close()
    for article in articles:
        assert figures_for(article.pk).views == CLIENTS
        assert sum(DailyViews.objects.filter(article=article).values_list("views", flat=True)) == (
            CLIENTS
        )
        assert stats.pending_views(article.pk) == 0
    assert recount() == []
