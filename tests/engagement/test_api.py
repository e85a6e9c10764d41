"""The JSON API: cacheable counts with an ETag, the reader's own votes uncached, JSON errors."""

import pytest

from tests.engagement.factory import BROWSER, post_json, rate, react, reader_client
from tests.factory import make_article

pytestmark = pytest.mark.django_db


def test_counts_are_briefly_cacheable_and_the_same_for_every_reader():
    article = make_article()
    response = reader_client().get(f"/api/articles/{article.pk}/engagement/")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age=2" in response["Cache-Control"]
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies
    other = reader_client("192.0.2.44").get(f"/api/articles/{article.pk}/engagement/")
    assert other.content == response.content


def test_an_unchanged_etag_is_answered_304_and_a_vote_changes_it():
    article = make_article()
    client = reader_client()
    url = f"/api/articles/{article.pk}/engagement/"
    etag = client.get(url)["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    react(client, article.pk, "happy")
    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh["ETag"] != etag


def test_the_readers_own_votes_come_from_an_uncached_endpoint():
    article = make_article()
    client = reader_client()
    url = f"/api/articles/{article.pk}/engagement/mine/"
    assert client.get(url).json() == {"reaction": None, "rating": None}
    react(client, article.pk, "surprise")
    rate(client, article.pk, 4)
    response = client.get(url)
    assert response.json() == {"reaction": "surprise", "rating": 4}
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert reader_client("192.0.2.3").get(url).json() == {"reaction": None, "rating": None}


def test_the_reader_cookie_is_set_only_when_the_reader_acts():
    article = make_article()
    client = reader_client()
    client.get(article.get_absolute_url())
    client.get(f"/api/articles/{article.pk}/engagement/")
    client.get(f"/api/articles/{article.pk}/engagement/mine/")
    assert "byline_reader" not in client.cookies
    response = react(client, article.pk, "happy")
    cookie = response.cookies["byline_reader"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert "byline_reader" not in react(client, article.pk, "sad").cookies  # already known


def test_a_tampered_reader_cookie_is_a_new_reader():
    article = make_article()
    client = reader_client()
    react(client, article.pk, "happy")
    value = client.cookies["byline_reader"].value
    client.cookies["byline_reader"] = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    answer = react(client, article.pk, "happy").json()
    assert answer["mine"]["reaction"] == "happy"  # a second reader, not a withdrawal
    assert {r["key"]: r["count"] for r in answer["counts"]["reactions"]}["happy"] == 2


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('"happy"', "application/json"),
        (b"\xff\xfe", "application/json"),
        ("", "application/json"),
    ],
)
def test_malformed_input_is_a_json_400_never_a_500(body, content_type):
    article = make_article()
    response = reader_client().post(
        f"/api/articles/{article.pk}/reaction/", body, content_type=content_type
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["message"]


def test_an_unknown_or_unpublished_article_is_a_json_404():
    draft = make_article(status="draft")
    client = reader_client()
    for article_id in [draft.pk, 999999]:
        assert react(client, article_id, "happy").status_code == 404
        assert rate(client, article_id, 3).json()["error"]["status"] == 404
        assert client.get(f"/api/articles/{article_id}/engagement/").status_code == 404


def test_a_wrong_method_is_a_json_405():
    article = make_article()
    response = reader_client().get(f"/api/articles/{article.pk}/reaction/")
    assert response.status_code == 405
    assert response["Allow"] == "POST, DELETE"
    assert "POST" in response.json()["error"]["message"]
    for url in [f"/api/articles/{article.pk}/engagement/", f"/api/articles/{article.pk}/view/"]:
        wrong = reader_client().put(url)
        assert wrong.status_code == 405
        assert wrong.json()["error"]["status"] == 405


def test_a_cross_site_vote_is_refused_with_json_403():
    article = make_article()
    client = reader_client()
    response = post_json(
        client,
        f"/api/articles/{article.pk}/reaction/",
        {"reaction": "happy"},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["status"] == 403


def test_a_script_without_fetch_metadata_may_vote_with_a_csrf_token():
    from django.test import Client

    article = make_article()
    client = Client(enforce_csrf_checks=True, headers={"User-Agent": BROWSER})
    assert react(client, article.pk, "happy").status_code == 403
    token = client.get("/api/csrf/").json()["csrfToken"]
    response = post_json(
        client,
        f"/api/articles/{article.pk}/reaction/",
        {"reaction": "happy"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200


def test_an_article_taken_down_stops_taking_votes_at_once():
    """Liveness is remembered briefly, but article_changed forgets it immediately."""
    article = make_article()
    client = reader_client()
    assert react(client, article.pk, "happy").status_code == 200
    article.status = "draft"
    article.save()
    assert react(client, article.pk, "sad").status_code == 404
    assert client.get(f"/api/articles/{article.pk}/engagement/").status_code == 404


def test_an_article_number_beyond_any_database_integer_is_a_json_404():
    client = reader_client()
    huge = "9" * 30
    for url in [
        f"/api/articles/{huge}/engagement/",
        f"/api/articles/{huge}/reaction/",
        f"/api/articles/{huge}/rating/",
    ]:
        response = (
            client.post(url, "{}", content_type="application/json")
            if "engagement" not in url
            else client.get(url)
        )
        assert response.status_code in {400, 404}, url
        assert response.json()["error"]["message"]
    assert react(client, int(huge), "happy").status_code == 404
    assert client.get(f"/api/articles/{huge}/engagement/mine/").json() == {
        "reaction": None,
        "rating": None,
    }
    assert client.post(f"/api/articles/{huge}/view/").status_code == 204
