"""The article's counters are one row of running totals."""

import pytest

from byline.engagement.stats import figures_for, set_comment_count
from tests.factory import make_article

pytestmark = pytest.mark.django_db


def test_an_article_nobody_has_seen_has_zero_figures():
    article = make_article()
    figures = figures_for(article.pk)
    assert (figures.views, figures.comments) == (0, 0)


def test_the_comment_count_is_recorded_and_read_back():
    article = make_article()
    set_comment_count(article.pk, 3)
    set_comment_count(article.pk, 4)
    assert figures_for(article.pk).comments == 4


def test_everything_the_page_shows_is_read_in_one_query(django_assert_num_queries):
    """Views, comments, six reactions and the star counts: one query, no scan of votes."""
    from byline.engagement.actions import rate, react

    article = make_article()
    react(article.pk, "a" * 32, "happy")
    rate(article.pk, "a" * 32, 4)
    with django_assert_num_queries(1):
        figures = figures_for(article.pk)
    assert figures.reactions[0].count == 1
    assert figures.rating_counts[4] == 1
    assert str(figures.rating_average) == "4.0"


def test_setting_the_comment_count_leaves_votes_alone():
    from byline.engagement.actions import rate

    article = make_article()
    rate(article.pk, "b" * 32, 5)
    set_comment_count(article.pk, 2)
    assert figures_for(article.pk).rating_counts[5] == 1


@pytest.mark.parametrize(
    "counts, expected",
    [
        ([0, 0, 0], [0, 0, 0]),
        ([1, 1, 1], [34, 33, 33]),
        ([2, 1], [67, 33]),
        ([1, 0, 0, 0, 0, 0], [100, 0, 0, 0, 0, 0]),
        ([1, 1, 1, 1, 1, 1], [17, 17, 17, 17, 16, 16]),
        ([997, 1, 1, 1], [100, 0, 0, 0]),
        ([5, 3, 2], [50, 30, 20]),
    ],
)
def test_shares_are_whole_percentages_adding_up_to_100(counts, expected):
    from byline.engagement.stats import shares

    assert shares(counts) == expected
