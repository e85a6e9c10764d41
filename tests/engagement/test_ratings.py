"""Ratings: 1 to 5 stars, one per reader per article, changeable; the average and its spread."""

import json
import re
from decimal import Decimal

import pytest

from byline.engagement.actions import rate as cast_rating
from byline.engagement.stats import aggregate_rating, figures_for
from tests.engagement.factory import counts, rate, reader_client
from tests.factory import make_article

pytestmark = pytest.mark.django_db


def test_the_average_is_to_one_decimal_with_the_number_of_ratings():
    article = make_article()
    for i, stars in enumerate([5, 4, 4]):
        assert rate(reader_client(f"198.51.100.{i}"), article.pk, stars).status_code == 200
    rating = counts(reader_client(), article.pk)["rating"]
    assert rating["average"] == 4.3
    assert rating["count"] == 3
    assert [(s["stars"], s["count"], s["percent"]) for s in rating["stars"]] == [
        (5, 1, 33),
        (4, 2, 67),
        (3, 0, 0),
        (2, 0, 0),
        (1, 0, 0),
    ]


def test_a_reader_changes_their_rating_rather_than_adding_another():
    article = make_article()
    client = reader_client()
    rate(client, article.pk, 1)
    answer = rate(client, article.pk, 5).json()
    assert answer["mine"]["rating"] == 5
    assert answer["counts"]["rating"]["count"] == 1
    assert figures_for(article.pk).rating_counts == {1: 0, 2: 0, 3: 0, 4: 0, 5: 1}


def test_delete_withdraws_the_readers_rating():
    article = make_article()
    client = reader_client()
    rate(client, article.pk, 3)
    assert client.delete(f"/api/articles/{article.pk}/rating/").status_code == 200
    assert figures_for(article.pk).rating_count == 0


def test_null_stars_withdraw_the_rating_and_the_same_stars_again_keep_it():
    """A vote states the reader's choice: a retry changes nothing, null withdraws."""
    article = make_article()
    client = reader_client()
    rate(client, article.pk, 4)
    assert rate(client, article.pk, 4).json()["mine"]["rating"] == 4
    assert figures_for(article.pk).rating_counts[4] == 1
    assert rate(client, article.pk, None).json()["mine"]["rating"] is None
    assert figures_for(article.pk).rating_count == 0


@pytest.mark.parametrize(
    "stars", [0, 6, -1, 2.5, "four", "", True, [4], {"n": 4}, "²", "٣", "9" * 5000, "4.0"]
)
def test_a_rating_outside_one_to_five_stars_is_a_clear_400(stars):
    article = make_article()
    response = rate(reader_client(), article.pk, stars)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "A rating is a whole number of stars from 1 to 5."
    )
    assert figures_for(article.pk).rating_count == 0


def test_the_page_shows_the_average_and_each_star_count(client):
    article = make_article()
    for i, stars in enumerate([2, 3]):
        rate(reader_client(f"198.51.100.{i}"), article.pk, stars)
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Average Rating" in html
    assert '<span class="rating-mean" data-field="average">2.5</span>' in html
    assert '<span class="star-label">3 Star</span>' in html
    assert 'style="width: 50%"' in html


def test_aggregate_rating_is_none_without_ratings():
    article = make_article()
    assert aggregate_rating(article.pk) is None
    client = reader_client()
    rate(client, article.pk, 4)
    client.delete(f"/api/articles/{article.pk}/rating/")
    assert aggregate_rating(article.pk) is None


def test_aggregate_rating_is_the_schema_org_dict_once_rated():
    article = make_article()
    for i, stars in enumerate([5, 4, 4, 2]):
        rate(reader_client(f"198.51.100.{i}"), article.pk, stars)
    assert aggregate_rating(article.pk) == {
        "@type": "AggregateRating",
        "ratingValue": 3.8,
        "ratingCount": 4,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert figures_for(article.pk).rating_average == Decimal("3.8")


def test_the_article_json_ld_carries_an_aggregate_rating_once_rated(client, demo_article):
    """No ratings: no AggregateRating. Two ratings (5 and 4): 4.5 from 2."""

    def json_ld() -> dict:
        html = client.get(demo_article.get_absolute_url()).text
        match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
        return json.loads(match.group(1))

    assert "aggregateRating" not in json_ld()
    cast_rating(demo_article.pk, "reader-a", 5)
    cast_rating(demo_article.pk, "reader-b", 4)
    rating = json_ld()["aggregateRating"]
    assert rating["ratingValue"] == 4.5
    assert rating["ratingCount"] == 2
    assert (rating["bestRating"], rating["worstRating"]) == (5, 1)
