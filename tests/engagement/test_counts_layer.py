"""The live counts GET answered before Django runs, as Django's own view answers it.

Behind nginx the app is asked for an article's counts about once a second per
article (nginx refreshing its micro-cached copy); ``byline.engagement.counts_layer``
answers those GETs without Django's request cycle, with the same JSON, ETag,
304 and headers as ``views.counts``; anything else goes to Django.
"""

import json

import pytest

from byline.engagement.views import counts_body
from byline.wsgi import application
from tests.engagement.factory import paths_answered_by
from tests.factory import make_article
from tests.pagecache.wsgi_client import SECURITY_HEADERS, call

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("keep_test_connection", "fresh_beacon_counts"),
]


@pytest.fixture
def layer_answers(monkeypatch):
    return paths_answered_by(monkeypatch, "engagement")


def test_the_layer_answers_the_counts_as_the_view_does(layer_answers):
    """Same body and ETag as Django's view, public for 2 s, the security headers, no cookie."""
    article = make_article()
    url = f"/api/articles/{article.pk}/engagement/"
    body, etag = counts_body(article.pk)  # what views.counts answers
    response = call(application, url)
    assert layer_answers == [url]
    assert response.status == 200
    assert json.loads(response.body) == json.loads(body)
    assert response.headers["etag"] == etag
    assert response.headers["cache-control"] == "public, max-age=2"
    assert response.headers["content-type"] == "application/json"
    assert "set-cookie" not in response.headers
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_an_unchanged_copy_is_revalidated_with_a_304(layer_answers):
    article = make_article()
    url = f"/api/articles/{article.pk}/engagement/"
    etag = call(application, url).headers["etag"]
    response = call(application, url, headers={"If-None-Match": etag})
    assert response.status == 304
    assert response.body == b""
    assert call(application, url, headers={"If-None-Match": '"other"'}).status == 200


def test_what_the_layer_does_not_answer_goes_to_django(layer_answers):
    """An unpublished article (Django's JSON 404), a query string, another method."""
    draft = make_article(status="draft")
    article = make_article()
    assert call(application, f"/api/articles/{draft.pk}/engagement/").status == 404
    assert call(application, f"/api/articles/{article.pk}/engagement/?x=1").status == 200
    posted = call(application, f"/api/articles/{article.pk}/engagement/", method="POST")
    assert posted.status == 405
    assert layer_answers == []
