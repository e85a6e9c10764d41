"""The comment session marker: a cookie the page's script can read, set beside the
commenter's HttpOnly cookies, so that only readers who have something in their comment
session ask for it when the discussion comes into view (discussion.js).

It holds "1" (no identity, nothing private), with the cookies' path, SameSite and
Secure policy, for as long as the longer-lived of them; set and removed where they are
(a posted comment), and put right by the session's own answer when the reader's
cookies and marker disagree (and set by the view beacon: tests/engagement). No other
plain read sets it.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from django.test import Client

from byline.discussion import session_layer
from byline.discussion.views import REMEMBER_MAX_AGE
from byline.readers import COMMENTER_MAX_AGE, SESSION_MARKER
from byline.wsgi import application
from tests.conftest import kept_test_connection
from tests.discussion.factory import post_comment
from tests.factory import make_article
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db


def set_cookies(header_list: list[tuple[str, str]]) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for name, value in header_list:
        if name.lower() == "set-cookie":
            jar.load(value)
    return jar


def test_a_comment_sets_the_marker_beside_the_commenters_cookies_as_long_as_they_last(
    client,
):
    """Posting with "Save my name" kept: the marker is "1" for the remembered details'
    year, readable by the script (not HttpOnly), with their path and SameSite."""
    article = make_article()
    response = post_comment(client, article, remember="on")
    marker = response.cookies[SESSION_MARKER]
    assert marker.value == "1"
    details = response.cookies["byline_comment_author"]
    assert marker["max-age"] == REMEMBER_MAX_AGE == details["max-age"]
    assert not marker["httponly"] and response.cookies["byline_commenter"]["httponly"]
    assert marker["samesite"] == "Lax" == response.cookies["byline_commenter"]["samesite"]
    assert marker["path"] == "/" == response.cookies["byline_commenter"]["path"]
    assert not marker["secure"]  # plain http here; Secure over https, as the others


def test_forgetting_the_details_leaves_the_marker_for_the_commenter_cookie_alone(client):
    """Unticking the box deletes the remembered details; the commenter cookie stays (30
    days: the reader's own comments, waiting or still editable), and so does the marker,
    now for the commenter cookie's lifetime."""
    article = make_article()
    post_comment(client, article, remember="on")
    response = post_comment(client, article, body="Another thought on this.")
    assert response.cookies["byline_comment_author"]["max-age"] == 0
    assert response.cookies[SESSION_MARKER]["max-age"] == COMMENTER_MAX_AGE
    assert response.cookies["byline_commenter"]["max-age"] == COMMENTER_MAX_AGE


def test_the_session_answer_marks_a_reader_whose_marker_was_removed(client):
    """A reader who cleared the marker but kept their cookies (a privacy extension) is
    marked again by the session the form asks for: Django's view and the layer alike,
    for the commenter cookie's 30 days whatever the remembered details have left (a
    browser does not send a cookie's expiry: the marker must not outlive them by a
    year; should it end first, the next view beacon marks the browser again)."""
    article = make_article()
    post_comment(client, article, remember="on")
    cookies = {n: m.value for n, m in client.cookies.items() if n != SESSION_MARKER}
    del client.cookies[SESSION_MARKER]
    url = f"{session_layer.SESSION_PATH}?article={article.pk}&form=1"
    django = client.get(url)
    assert django.cookies[SESSION_MARKER].value == "1"
    assert django.cookies[SESSION_MARKER]["max-age"] == COMMENTER_MAX_AGE
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    with kept_test_connection():
        layer = call(application, url, headers={"Cookie": header})
        marked = call(application, url, headers={"Cookie": f"{header}; {SESSION_MARKER}=1"})
    assert layer.status == 200
    assert set_cookies(layer.header_list)[SESSION_MARKER].value == "1"
    assert set_cookies(layer.header_list)[SESSION_MARKER]["max-age"] == str(COMMENTER_MAX_AGE)
    # Cookies and marker agree: no marker set (the one cookie set is the CSRF token's the
    # form's request hands out, to a browser without it: tests/discussion/test_comment_flow.py).
    assert set(set_cookies(marked.header_list)) == {"csrftoken"}


def test_the_session_answer_removes_a_marker_whose_cookies_are_gone():
    """The marker alone (its cookies expired or deleted): the session the form asks for
    has nothing of theirs, and removes it."""
    article = make_article()
    url = f"{session_layer.SESSION_PATH}?article={article.pk}&form=1"
    layer = call(application, url, headers={"Cookie": f"a=b; {SESSION_MARKER}=1"})
    assert layer.status == 200
    gone = set_cookies(layer.header_list)[SESSION_MARKER]
    assert gone.value == "" and gone["max-age"] == "0"
    reader = Client()
    reader.cookies[SESSION_MARKER] = "1"
    django = reader.get(f"{url}&unlock=")  # a query the layer leaves to Django
    assert django.status_code == 200
    assert django.cookies[SESSION_MARKER]["max-age"] == 0


def test_plain_reads_of_a_marked_reader_set_no_cookie_and_get_everyones_page(client):
    """The marker is no credential: the article page of a reader holding it alone is the
    page everyone gets (cached), and no plain read sets or removes it."""
    article = make_article()
    marked = Client()
    marked.cookies[SESSION_MARKER] = "1"
    mine = marked.get(article.get_absolute_url())
    everyone = Client().get(article.get_absolute_url())
    assert mine.status_code == 200 and mine.content == everyone.content
    assert not mine.cookies
