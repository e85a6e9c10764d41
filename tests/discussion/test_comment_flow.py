"""A comment in two requests to the app: the form's session, then the post.

discussion.js asks the form's session when the reader starts using the form (its
form token) and posts. The session's answer also carries the CSRF token the post
sends (``csrfToken``, as ``/api/csrf/`` answers it, setting the ``csrftoken``
cookie); the post's answer carries the next one and what the session, asked again,
gave after posting: the Edit link on the new comment (``editable``). A post refused
by the CSRF check says so (``"reason": "csrf"``), apart from the other 403s, for the
script to ask ``/api/csrf/`` and send it again, once: the form token makes that safe.
"""

import json

import pytest
from django.test import Client

from byline.articles.models import Article
from byline.discussion import session_layer
from byline.discussion.models import Comment
from byline.wsgi import application
from tests.conftest import kept_test_connection
from tests.discussion.factory import comment_form, make_comment
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def published_at_once(settings):
    settings.BYLINE_SPAM_FIRST_COMMENT = "publish"
    settings.BYLINE_COMMENT_RATE_LIMIT = 50


def strict() -> Client:
    """A browser whose post proves nothing by its origin headers (no ``Sec-Fetch-Site``
    nor ``Origin``): Django's own CSRF check decides, as for an older browser."""
    return Client(enforce_csrf_checks=True)


def post(client, article, token="", **fields):
    headers = {**JSON, **({"HTTP_X_CSRFTOKEN": token} if token else {})}
    return client.post("/comments/post/", comment_form(article, **fields), **headers)


def test_the_forms_session_carries_the_csrf_token_its_post_sends(article):
    reader = strict()
    session = reader.get(f"/comments/session/?article={article.pk}&form=1", **JSON)
    assert session.status_code == 200
    token = session.json()["csrfToken"]
    assert reader.cookies["csrftoken"].value  # set as /api/csrf/ sets it
    answer = post(reader, article, token, body="Posted with the session's token.")
    assert answer.status_code == 201
    assert Comment.objects.filter(body="Posted with the session's token.").count() == 1


def test_the_layer_hands_the_form_its_csrf_token_and_a_plain_session_none():
    """Outside Django's request cycle (``session_layer``): the form's request gets a
    token and the cookie it belongs to; a reader's plain session, no token, no cookie
    (no cookie on plain reads); a reader holding the cookie gets a token for it and no
    new cookie."""
    url = f"{session_layer.SESSION_PATH}?article=1"
    plain = call(application, url)
    assert "csrfToken" not in json.loads(plain.body) and "set-cookie" not in plain.headers
    asked = call(application, url + "&form=1")
    assert json.loads(asked.body)["csrfToken"]
    cookie = asked.headers["set-cookie"]
    assert cookie.startswith("csrftoken=") and "SameSite=Lax" in cookie
    again = call(application, url + "&form=1", headers={"Cookie": cookie.split(";")[0]})
    assert json.loads(again.body)["csrfToken"] and "set-cookie" not in again.headers


def test_the_layers_token_passes_djangos_check(article):
    url = f"{session_layer.SESSION_PATH}?article={article.pk}&form=1"
    asked = call(application, url)
    reader = strict()
    name, _, value = asked.headers["set-cookie"].split(";")[0].partition("=")
    reader.cookies[name] = value
    answer = post(reader, article, json.loads(asked.body)["csrfToken"], body="From the layer.")
    assert answer.status_code == 201


def test_a_new_comments_answer_offers_its_edit_link_and_the_next_csrf_token(article):
    """What the session asked again after posting gave (the Edit link on the new
    comment, the same item), the post's answer gives; its token posts the next
    comment, with no ``/api/csrf/`` between."""
    reader = strict()
    token = reader.get(f"/comments/session/?article={article.pk}&form=1", **JSON).json()
    first = post(reader, article, token["csrfToken"], body="The bridge opens at noon.")
    assert first.status_code == 201
    data = first.json()
    session = reader.get(f"/comments/session/?article={article.pk}&form=1", **JSON).json()
    assert data["editable"] == session["editable"]
    mine = Comment.objects.get(body="The bridge opens at noon.")
    assert data["editable"] == [
        {"id": mine.pk, "url": f"/comments/{mine.pk}/edit/", "body": mine.body}
    ]
    second = post(reader, article, data["csrfToken"], body="Sorry: at two.", ts=data["ts"])
    assert second.status_code == 201
    assert second.json()["editable"][0]["body"] == "Sorry: at two."


def test_a_comment_held_for_moderation_is_editable_from_its_answer_too(article, settings):
    settings.BYLINE_SPAM_FIRST_COMMENT = "hold"
    answer = Client().post(
        "/comments/post/",
        comment_form(article, body="Waiting words."),
        **JSON,
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    data = answer.json()
    assert data["status"] == "pending"
    assert [item["body"] for item in data["editable"]] == ["Waiting words."]


def test_without_edits_a_new_comment_offers_no_edit_link(article, settings):
    settings.BYLINE_COMMENT_EDIT_MINUTES = 0
    answer = Client().post(
        "/comments/post/", comment_form(article), **JSON, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert answer.status_code == 201 and answer.json()["editable"] == []


def test_a_refusal_carries_the_next_csrf_token_too(article):
    reader = strict()
    token = reader.get(f"/comments/session/?article={article.pk}&form=1", **JSON).json()
    refused = post(reader, article, token["csrfToken"], email="not an address")
    assert refused.status_code == 400
    again = post(reader, article, refused.json()["csrfToken"], body="Corrected.")
    assert again.status_code == 201


def test_a_post_refused_by_the_csrf_check_says_so_apart_from_other_403s(article):
    reader = strict()
    refused = post(reader, article, body="Kept words.")
    assert refused.status_code == 403
    assert refused.json()["reason"] == "csrf" and refused.json()["error"]["status"] == 403
    assert not Comment.objects.exists()
    Article.objects.filter(pk=article.pk).update(comment_state=Article.Comments.CLOSED)
    token = reader.get("/api/csrf/").json()["csrfToken"]
    closed = post(reader, article, token, body="Kept words.")
    assert closed.status_code == 403 and "reason" not in closed.json()


def test_an_edit_refused_by_the_csrf_check_says_so_apart_from_other_403s(article):
    mine = Client()
    mine.post("/comments/post/", comment_form(article), HTTP_SEC_FETCH_SITE="same-origin")
    comment = Comment.objects.get()
    edit = f"/comments/{comment.pk}/edit/"
    mine.handler.enforce_csrf_checks = True
    refused = mine.post(edit, {"body": "New words."}, **JSON)
    assert refused.status_code == 403 and refused.json()["reason"] == "csrf"
    someone = make_comment(article)
    token = mine.get("/api/csrf/").json()["csrfToken"]
    not_theirs = mine.post(
        f"/comments/{someone.pk}/edit/", {"body": "x"}, **JSON, HTTP_X_CSRFTOKEN=token
    )
    assert not_theirs.status_code == 403 and "reason" not in not_theirs.json()
    saved = mine.post(edit, {"body": "New words."}, **JSON, HTTP_X_CSRFTOKEN=token)
    assert saved.status_code == 200


def test_a_post_sent_again_after_a_csrf_refusal_makes_one_comment(article):
    """What the script does: refused for its token (rotated since), it asks for one and
    sends the same form again; and were the first one stored after all (an answer lost
    on the way), the form token answers the same comment, not a second."""
    reader = strict()
    form = comment_form(article, body="Said once.")
    stale = reader.post("/comments/post/", form, **JSON, HTTP_X_CSRFTOKEN="x" * 64)
    assert stale.status_code == 403 and stale.json()["reason"] == "csrf"
    token = reader.get("/api/csrf/").json()["csrfToken"]
    sent = [reader.post("/comments/post/", form, **JSON, HTTP_X_CSRFTOKEN=token) for _ in range(2)]
    assert [s.status_code for s in sent] == [201, 201]
    assert sent[0].json()["id"] == sent[1].json()["id"]
    assert Comment.objects.filter(body="Said once.").count() == 1


def test_a_commenters_plain_session_carries_the_token_of_the_cookie_they_hold(article):
    """A returning commenter's script takes the form's token from their session asked
    when the discussion comes into view (it asks no ``&form=1``): it carries the token
    of the CSRF cookie they hold, and sets nothing (not even a renewal)."""
    reader = strict()
    token = reader.get(f"/comments/session/?article={article.pk}&form=1", **JSON).json()
    assert post(reader, article, token["csrfToken"], body="First.").status_code == 201
    url = f"{session_layer.SESSION_PATH}?article={article.pk}"
    cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in reader.cookies.items())
    with kept_test_connection():  # (the test client's requests connected Django's closing)
        layer = call(application, url, headers={"Cookie": cookies})
    assert json.loads(layer.body)["csrfToken"] and "set-cookie" not in layer.headers
    django = reader.get(url, **JSON)
    assert django.json()["csrfToken"] and "csrftoken" not in django.cookies
    without = Client()
    without.cookies["byline_commenter"] = reader.cookies["byline_commenter"].value
    plain = without.get(url, **JSON)
    assert "csrfToken" not in plain.json() and "csrftoken" not in plain.cookies


def test_a_commenters_plain_session_replaces_no_malformed_csrf_cookie(article):
    """A commenter whose ``csrftoken`` cookie is not a token (cut short, from another
    app on the host): their plain session, as the layer answers it, carries no token
    and sets nothing, no new cookie either (no cookie on plain reads); the form's own
    request (``&form=1``) replaces it."""
    reader = Client()
    posted = reader.post(
        "/comments/post/", comment_form(article), **JSON, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert posted.status_code == 201
    url = f"{session_layer.SESSION_PATH}?article={article.pk}"
    cookies = f"byline_commenter={reader.cookies['byline_commenter'].value}; csrftoken=abc"
    with kept_test_connection():
        plain = call(application, url, headers={"Cookie": cookies})
        asked = call(application, url + "&form=1", headers={"Cookie": cookies})
    assert "csrfToken" not in json.loads(plain.body)
    assert "csrftoken=" not in plain.headers.get("set-cookie", "")
    assert json.loads(asked.body)["csrfToken"]
    assert asked.headers["set-cookie"].startswith("csrftoken=")
