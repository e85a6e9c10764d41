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
