"""Demo votes: many distinct readers' reactions and ratings, with exact totals."""

import pytest
from django.db.models import Count

from byline.engagement.demo import add_demo_votes, demo_reader
from byline.engagement.models import Rating, Reaction
from byline.engagement.recount import recount
from byline.engagement.stats import figures_for
from tests.engagement.factory import counts, reader_client
from tests.factory import make_article

pytestmark = pytest.mark.django_db


def test_demo_votes_come_from_many_readers_and_match_a_recount():
    """300 readers: reactions of several kinds and ratings of every star, totals exact."""
    article = make_article()
    added = add_demo_votes(article, readers=300)
    reactions = Reaction.objects.filter(article=article).exclude(reaction="")
    ratings = Rating.objects.filter(article=article, stars__isnull=False)
    assert reactions.count() == added["reactions"] > 150
    assert ratings.count() == added["ratings"] > 100
    assert reactions.values("reader").distinct().count() == reactions.count()
    assert recount() == []
    figures = figures_for(article.pk)
    by_kind = dict(reactions.values_list("reaction").annotate(n=Count("id")))
    assert {r.key: r.count for r in figures.reactions} == {
        r.key: by_kind.get(r.key, 0) for r in figures.reactions
    }
    assert sum(1 for r in figures.reactions if r.count) >= 5
    by_stars = dict(ratings.values_list("stars").annotate(n=Count("id")))
    assert figures.rating_counts == {s: by_stars.get(s, 0) for s in range(1, 6)}
    assert all(figures.rating_counts.values())
    assert counts(reader_client(), article.pk)["rating"]["count"] == added["ratings"]


def test_running_the_demo_votes_again_changes_nothing():
    """Demo readers are the same readers each run: no vote is withdrawn or counted twice."""
    article = make_article()
    first = add_demo_votes(article, readers=120)
    before = figures_for(article.pk)
    assert add_demo_votes(article, readers=120) == first
    assert figures_for(article.pk) == before
    assert recount() == []


def test_demo_votes_leave_readers_votes_alone_and_write_no_empty_rows():
    """A real reader's vote stays counted; demo readers who did not vote have no row."""
    article = make_article()
    client = reader_client()
    client.post(
        f"/api/articles/{article.pk}/reaction/",
        '{"reaction": "sleepy"}',
        content_type="application/json",
    )
    added = add_demo_votes(article, readers=50)
    demo_ids = [demo_reader(n) for n in range(50)]
    assert Reaction.objects.filter(article=article, reader__in=demo_ids, reaction="").count() == 0
    assert Rating.objects.filter(article=article, reader__in=demo_ids, stars=None).count() == 0
    total = sum(r.count for r in figures_for(article.pk).reactions)
    assert total == added["reactions"] + 1
    assert recount() == []
