"""Totals are split over shards; every total shown is the sum of its shards."""

import itertools
import os

import pytest

from byline.engagement import actions, stats, viewbuffer
from byline.engagement.models import TALLY_SHARDS, ReactionTally, StarTally
from byline.engagement.recount import recount
from byline.engagement.stats import figures_for
from tests.conftest import using_postgres
from tests.engagement.factory import react, reader_client
from tests.factory import make_article

pytestmark = pytest.mark.django_db
REACTIONS = ["happy", "sad", "excited", "angry"]


@pytest.fixture
def shards_in_turn(monkeypatch):
    """Each vote moves the next shard, so a reader's add and withdraw land apart."""
    turn = itertools.cycle(range(TALLY_SHARDS))
    monkeypatch.setattr(stats, "pick_shard", lambda: next(turn))


def test_a_reaction_added_in_one_shard_and_withdrawn_in_another_counts_zero(shards_in_turn):
    article = make_article()
    assert actions.react(article.pk, "a" * 32, "happy") == "happy"
    assert actions.react(article.pk, "a" * 32, None) is None
    shards = dict(ReactionTally.objects.filter(article=article).values_list("shard", "count"))
    assert shards == {0: 1, 1: -1}
    assert figures_for(article.pk).reactions[0].count == 0
    assert recount() == []


def test_moving_a_rating_moves_both_star_counts_in_the_vote_shard(shards_in_turn):
    article = make_article()
    actions.rate(article.pk, "b" * 32, 2)
    actions.rate(article.pk, "b" * 32, 5)
    actions.rate(article.pk, "c" * 32, 5)
    rows = set(StarTally.objects.filter(article=article).values_list("stars", "shard", "count"))
    assert rows == {(2, 0, 1), (2, 1, -1), (5, 1, 1), (5, 2, 1)}
    assert figures_for(article.pk).rating_counts == {1: 0, 2: 0, 3: 0, 4: 0, 5: 2}
    assert recount() == []


def test_the_page_and_the_api_show_the_sum_of_many_shards():
    article = make_article()
    for n in range(40):
        actions.react(article.pk, f"{n:032x}", ["happy", "sad"][n % 2])
        actions.rate(article.pk, f"{n:032x}", 1 + n % 5)
    assert ReactionTally.objects.filter(article=article).count() > 2  # really spread out
    figures = figures_for(article.pk)
    assert [(r.key, r.count) for r in figures.reactions[:2]] == [("happy", 20), ("sad", 20)]
    assert figures.rating_counts == {stars: 8 for stars in range(1, 6)}
    assert figures.rating_average is not None and str(figures.rating_average) == "3.0"
    assert recount() == []


def test_a_repair_puts_the_recount_in_one_shard(shards_in_turn):
    article = make_article()
    for n in range(3):
        actions.react(article.pk, f"{n:032x}", "angry")
    ReactionTally.objects.filter(article=article, reaction="angry", shard=1).update(count=7)
    assert [str(d) for d in recount(fix=True)] == [
        f"article {article.pk}: reaction angry shows 9, recount 3"
    ]
    assert list(ReactionTally.objects.filter(article=article).values_list("shard", "count")) == [
        (0, 3)
    ]
    assert recount() == []


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="Redis not configured: set REDIS_URL=redis://..."
)
def test_the_answer_to_a_vote_counts_the_views_still_buffered():
    """The buffered views are read in the rate limit's Redis round trip, not left out."""
    article = make_article()
    viewbuffer.record_view(article.pk)
    assert stats.pending_views(article.pk) == 1
    answer = react(reader_client("198.51.100.9"), article.pk, "sleepy").json()
    assert answer["counts"]["views"] == 1
    assert answer["mine"] == {"reaction": "sleepy"}


def test_the_figures_a_vote_returns_are_the_figures_the_page_shows():
    """On PostgreSQL the vote's own statement sums the shards (migration 0005): the same sums."""
    article = make_article()
    stats.set_comment_count(article.pk, 3)
    for n in range(30):
        reader = f"{n:032x}"
        _, after_reaction = actions.cast("reaction", article.pk, reader, REACTIONS[n % 4])
        assert after_reaction == figures_for(article.pk)
        _, after_rating = actions.cast("rating", article.pk, reader, 1 + n % 5)
        assert after_rating == figures_for(article.pk)
    assert after_rating.comments == 3
    assert actions.cast("rating", article.pk, f"{0:032x}", None) == (None, figures_for(article.pk))


def test_a_batch_on_one_article_and_one_on_several_return_the_figures_the_page_shows(
    shards_in_turn,
):
    """On PostgreSQL a batch on one article reads its figures by the tallies' index and a
    batch on several by their ``= ANY`` form (migration 0014): the same sums either way,
    every shard counted, an article's views and comments with them."""
    one, two = make_article(), make_article()
    stats.set_comment_count(two.pk, 2)
    for n in range(2 * TALLY_SHARDS):  # every shard of several choices filled
        stats.cast_votes([("reaction", one.pk, f"{n:032x}", REACTIONS[n % 4])])
        stats.cast_votes([("rating", two.pk, f"{n:032x}", str(1 + n % 5))])
    alone = stats.cast_votes(
        [("rating", one.pk, "b" * 32, "4"), ("reaction", one.pk, "b" * 32, "sad")]
    )
    assert [mine for mine, _ in alone] == ["4", "sad"]
    assert all(figures == figures_for(one.pk) for _, figures in alone)
    assert figures_for(one.pk).reaction_total == 2 * TALLY_SHARDS + 1
    several = stats.cast_votes(
        [("reaction", two.pk, "c" * 32, "angry"), ("rating", one.pk, "c" * 32, "2")]
    )
    assert several[0][1] == figures_for(two.pk) and several[1][1] == figures_for(one.pk)
    assert several[0][1].comments == 2 and several[0][1].rating_count == 2 * TALLY_SHARDS
    assert not recount()


def test_a_vote_alone_moves_the_totals_as_it_does_in_a_batch(shards_in_turn):
    """On PostgreSQL a vote alone takes its own steps (no batch sorts, migration 0014):
    a reader's moves up and down the keys' order, the same choice again and withdrawals
    leave the figures a batch leaves, and the totals equal a recount."""
    alone, batched, other = make_article(), make_article(), make_article()
    steps = [
        ("reaction", "sad"), ("reaction", "happy"), ("reaction", "happy"),
        ("reaction", "surprise"), ("reaction", ""), ("reaction", "angry"),
        ("rating", "5"), ("rating", "2"), ("rating", "2"), ("rating", None), ("rating", "3"),
    ]  # fmt: skip
    for n, (kind, value) in enumerate(steps):
        reader = f"{n % 3:032x}"
        ((mine, figures),) = stats.cast_votes([(kind, alone.pk, reader, value)])
        (mine_batched, figures_batched), _ = stats.cast_votes(
            [(kind, batched.pk, reader, value), ("reaction", other.pk, reader, "sad")]
        )
        assert mine == mine_batched == (value or None)
        assert figures == figures_for(alone.pk)
        assert (figures.reactions, figures.rating_counts) == (
            figures_batched.reactions,
            figures_batched.rating_counts,
        )
    assert figures_for(alone.pk).reaction_total == 2 and figures_for(alone.pk).rating_count == 2
    assert not recount()


@pytest.mark.skipif(
    not using_postgres(), reason="needs PostgreSQL: fillfactor is a PostgreSQL setting"
)
def test_the_totals_tables_leave_room_for_in_place_updates():
    """Migration 0006: pages kept 30 % full, so a vote's update stays on its row's page."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN (%s, %s)",
            [ReactionTally._meta.db_table, StarTally._meta.db_table],
        )
        options = dict(cursor.fetchall())
    assert all(value == ["fillfactor=30"] for value in options.values()) and len(options) == 2
