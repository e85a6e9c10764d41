"""The comment session of a reader who has none, answered before Django runs.

discussion.js asks ``/comments/session/?article=<id>`` when the discussion comes
into view. A reader without a commenter cookie, remembered details or an
``unlock`` pass (nearly all) gets a fresh form timestamp and empty lists, the
same whatever the article: ``byline.discussion.session_layer`` answers that
without Django's request cycle or the database; anything else is Django's.
"""

import io
import json
import time

import pytest
from django.urls import reverse

from byline.discussion import session_layer
from byline.discussion.forms import read_form_token
from byline.wsgi import application
from tests.conftest import kept_test_connection
from tests.factory import make_article
from tests.pagecache.wsgi_client import SECURITY_HEADERS, call

pytestmark = pytest.mark.django_db


def environ(query: str, cookie: str = "", method: str = "GET") -> dict:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": session_layer.SESSION_PATH,
        "QUERY_STRING": query,
        "HTTP_HOST": "testserver",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        **({"HTTP_COOKIE": cookie} if cookie else {}),
    }


def test_a_reader_without_a_session_gets_what_django_answers_without_the_database(
    client, django_assert_num_queries
):
    article = make_article()
    assert session_layer.SESSION_PATH == reverse("discussion:session")
    url = f"{session_layer.SESSION_PATH}?article={article.pk}"
    django = client.get(url).json()
    with django_assert_num_queries(0):
        response = call(application, url)
    assert response.status == 200
    answer = json.loads(response.body)
    assert answer.keys() == django.keys()
    assert {k: v for k, v in answer.items() if k != "ts"} == {
        k: v for k, v in django.items() if k != "ts"
    }
    time.sleep(0.002)  # the timestamp is to the millisecond, rounded
    assert read_form_token(answer["ts"]) is not None  # a fresh, valid form timestamp
    assert answer["ts"] != django["ts"]  # each form its own
    assert "set-cookie" not in response.headers
    assert "no-store" in response.headers["cache-control"]
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_a_pass_for_a_protected_article_or_another_method_is_answered_by_django():
    """A pass for a protected article, another method, another parameter: the layer
    steps aside."""
    assert session_layer.answer_session(environ("article=1")) is not None
    assert session_layer.answer_session(environ("article=1&unlock=pass")) is None
    assert session_layer.answer_session(environ("article=1&x=1", "byline_commenter=x")) is None
    assert session_layer.answer_session(environ("article=1", method="HEAD")) is None


def test_the_forms_own_request_for_a_token_is_answered_here_too(django_assert_num_queries):
    """Behind nginx, the session of a reader who has none comes without a token; using
    the form asks for one (``&form=1``), and this layer signs it without the database."""
    article = make_article()
    url = f"{session_layer.SESSION_PATH}?article={article.pk}&form=1"
    with django_assert_num_queries(0):
        response = call(application, url)
    assert response.status == 200
    assert read_form_token(json.loads(response.body)["ts"]) is not None


def test_a_commenter_gets_what_django_answers_without_its_middleware(client):
    """A reader with a commenter cookie and remembered details: their comment waiting for
    moderation, the one they may still edit, their details; the layer answers what the
    view does (the same code), from the database, without Django's request cycle."""
    from tests.discussion.factory import make_comment, post_comment

    article = make_article()
    post_comment(client, article, remember="on")
    cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    assert "byline_commenter=" in cookies and "byline_comment_author=" in cookies
    make_comment(article)  # someone else's
    url = f"{session_layer.SESSION_PATH}?article={article.pk}"
    django = client.get(url).json()
    with kept_test_connection():  # (the test client's requests connected Django's closing)
        answer = call(application, url, headers={"Cookie": cookies})
        forged = session_layer.answer_session(environ("article=1", "byline_commenter=forged"))
    assert answer.status == 200
    layer = json.loads(answer.body)
    assert {**layer, "ts": None} == {**django, "ts": None}
    assert layer["remembered"]["name"] == "Ada Reader"
    assert len(layer["pending"]) + len(layer["editable"]) >= 1  # held, or still editable
    assert read_form_token(layer["ts"]) is not None
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value
    assert "set-cookie" not in answer.headers
    assert forged is not None and json.loads(forged[2])["pending"] == []


def test_a_query_with_too_many_fields_is_a_400_here_as_in_django(client):
    """More fields than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` from a reader with a commenter
    cookie (found by tests/test_hostile_requests.py): Django answers 400 for such a
    request; the layer, outside Django's handler, answered a logged 500."""
    query = "&".join(["article=1"] * 1100)
    with kept_test_connection():
        answer = session_layer.answer_session(environ(query, "byline_comment_author=%5B"))
    assert answer is not None
    status, _, body = answer
    assert status.startswith("400")
    assert json.loads(body)["error"]["status"] == 400
