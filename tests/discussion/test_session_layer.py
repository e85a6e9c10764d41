"""The comment session of a reader who has none, answered before Django runs.

discussion.js asks ``/comments/session/?article=<id>`` when the discussion comes
into view. A reader without a commenter cookie, remembered details or an
``unlock`` pass (nearly all) gets a fresh form timestamp and empty lists, the
same whatever the article: ``byline.discussion.session_layer`` answers that
without Django's request cycle or the database; anything else is Django's.
"""

import json
import time

import pytest
from django.urls import reverse

from byline.discussion import session_layer
from byline.discussion.forms import read_form_token
from byline.wsgi import application
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


def test_a_reader_with_something_of_theirs_is_answered_by_django():
    """A commenter cookie, remembered details, a pass for a protected article, another
    method: the layer steps aside."""
    assert session_layer.answer_session(environ("article=1")) is not None
    assert session_layer.answer_session(environ("article=1", "byline_commenter=x")) is None
    assert session_layer.answer_session(environ("article=1", "byline_comment_author=x")) is None
    assert session_layer.answer_session(environ("article=1&unlock=pass")) is None
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
    cookie = "byline_commenter=x"
    assert session_layer.answer_session(environ("article=1&form=1", cookie)) is None
