"""Votes are rate-limited per reader and per IP; past the limit, a clear 429."""

import pytest

from tests.engagement.factory import react, reader_client
from tests.factory import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_a_minute(settings):
    settings.BYLINE_VOTES_PER_MINUTE = 3


def test_a_reader_past_the_limit_gets_429_with_a_message(three_a_minute):
    article = make_article()
    client = reader_client()
    for choice in ["happy", "sad", "angry"]:
        assert react(client, article.pk, choice).status_code == 200
    response = react(client, article.pk, "happy")
    assert response.status_code == 429
    assert "more than 3 times in a minute" in response.json()["error"]["message"]
    assert 1 <= int(response["Retry-After"]) <= 60
    assert react(client, article.pk, "happy").status_code == 429


def test_new_cookies_do_not_escape_the_limit_of_their_ip(three_a_minute):
    """Each request without a cookie is a new reader, yet they share one IP."""
    article = make_article()
    statuses = [
        react(reader_client("192.0.2.50"), article.pk, "happy").status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert react(reader_client("192.0.2.51"), article.pk, "happy").status_code == 200


def test_the_default_limit_is_30_votes_a_minute():
    article = make_article()
    client = reader_client()
    statuses = [react(client, article.pk, "happy").status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429


def test_the_no_javascript_form_also_answers_429_with_a_page(three_a_minute):
    article = make_article()
    client = reader_client()
    url = f"/engagement/{article.pk}/react/"
    for _ in range(3):
        assert client.post(url, {"reaction": "happy"}).status_code == 303
    response = client.post(url, {"reaction": "happy"})
    assert response.status_code == 429
    assert "Wait a minute" in response.content.decode()
