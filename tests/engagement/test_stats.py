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


def test_comment_counts_are_set_for_many_articles_at_once_leaving_votes_alone():
    """The bulk form (imports) creates missing rows and writes only the comments column."""
    from byline.engagement.actions import rate
    from byline.engagement.stats import set_comment_counts

    seen, fresh = make_article(), make_article()
    rate(seen.pk, "b" * 32, 5)
    set_comment_counts({seen.pk: 7, fresh.pk: 2})
    assert (figures_for(seen.pk).comments, figures_for(fresh.pk).comments) == (7, 2)
    assert figures_for(seen.pk).rating_counts[5] == 1
    set_comment_counts({})


def test_the_figures_of_many_articles_are_each_ones_own_in_one_query(django_assert_num_queries):
    """``figures_of_many`` (the view folder's look at the counts files) reads what
    ``figures_for`` reads of each article, in one query; an article nobody has seen
    (or none at all) has zeros."""
    from byline.engagement.actions import rate, react
    from byline.engagement.stats import figures_of_many

    voted, commented, quiet = make_article(), make_article(), make_article()
    react(voted.pk, "a" * 32, "happy")
    react(voted.pk, "b" * 32, "sad")
    rate(voted.pk, "a" * 32, 4)
    rate(commented.pk, "c" * 32, 2)
    set_comment_count(commented.pk, 3)
    ids = [voted.pk, commented.pk, quiet.pk, 10**9]
    with django_assert_num_queries(1):
        many = figures_of_many(ids)
    assert many == {article_id: figures_for(article_id) for article_id in ids}
    assert many[commented.pk].comments == 3
    assert many[10**9] == many[quiet.pk]


def test_the_figures_of_many_articles_are_read_in_one_sql_whatever_their_number():
    """``figures_of_many`` filters as ``db.AnyOf`` does: the ids in one parameter, its SQL
    the same for one article or 40,000 (past the 32,766 parameters SQLite takes); ids
    that are not ints are refused before anything is sent."""
    from django.db import connection

    from byline.engagement.actions import react
    from byline.engagement.stats import figures_of_many

    article = make_article()
    react(article.pk, "a" * 32, "happy")
    sent: list[tuple[str, int]] = []

    def keep(execute, sql, params, many, context):
        sent.append((sql, len(params)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        one = figures_of_many([article.pk])
        many = figures_of_many([article.pk, *range(10**9, 10**9 + 40_000)])
        with pytest.raises(TypeError):
            figures_of_many([article.pk, f"{article.pk},{article.pk}"])  # type: ignore[list-item]
    assert one[article.pk] == many[article.pk] == figures_for(article.pk)
    assert len(sent) == 2
    assert sent[0] == sent[1]
    assert sent[0][1] == 3  # the ids' one parameter, in each of the three reads
