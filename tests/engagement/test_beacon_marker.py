"""The view beacon marks a commenter's browser for the comment session.

A reader who commented before the comment session marker existed holds the HttpOnly
commenter cookies (``byline_commenter``, ``byline_comment_author``) but not the
script-readable ``byline_has_session``, so the page's script would not ask for their
session when the discussion comes into view (discussion.js): no held comment, no Edit
link, no remembered details. The beacon every page view sends at load gives such a
browser the marker, for the commenter cookie's 30 days, with the cookies' path and
SameSite (nginx's beacon does the same, tests/deploy). A browser already marked, and
every reader without those cookies, gets no cookie, and every view is counted as before.
"""

from http.cookies import SimpleCookie

import pytest

from byline.engagement import viewbuffer
from byline.engagement.stats import figures_for
from byline.readers import COMMENTER_MAX_AGE, SESSION_MARKER
from tests.discussion.test_session_marker import set_cookies
from tests.engagement.factory import reader_client
from tests.engagement.test_beacon_counts import page_beacon
from tests.factory import make_article

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("keep_test_connection", "fresh_beacon_counts"),
]


def assert_is_the_marker(jar: SimpleCookie) -> None:
    assert list(jar) == [SESSION_MARKER]
    marker = jar[SESSION_MARKER]
    assert marker.value == "1"
    assert marker["max-age"] in (COMMENTER_MAX_AGE, str(COMMENTER_MAX_AGE))
    assert marker["path"] == "/" and marker["samesite"] == "Lax"
    assert not marker["httponly"]  # the page's script reads it
    assert not marker["secure"]  # plain http here; Secure over https, as the cookies


def test_the_beacon_marks_a_browser_holding_a_commenters_cookies_without_the_marker():
    """The commenter cookie, or the remembered details alone: marked on the beacon."""
    article = make_article()
    for number, cookie in enumerate(
        ("byline_commenter=abc:def", "byline_reader=r; byline_comment_author=%7B%7D")
    ):
        answer = page_beacon(article.pk, ip=f"198.51.100.{10 + number}", Cookie=cookie)
        assert answer.status == 200, cookie
        assert_is_the_marker(set_cookies(answer.header_list))
    viewbuffer.flush()
    assert figures_for(article.pk).views == 2


def test_the_beacon_sets_no_cookie_for_a_marked_browser_or_a_reader_who_never_commented():
    """The marker already there, a reader cookie alone, no cookie at all: no Set-Cookie,
    and every view is still counted."""
    article = make_article()
    cookies = (f"byline_commenter=abc:def; {SESSION_MARKER}=1", "byline_reader=r", None)
    for number, cookie in enumerate(cookies):
        answer = page_beacon(article.pk, ip=f"198.51.100.{20 + number}", Cookie=cookie)
        assert answer.status == 200, cookie
        assert "set-cookie" not in answer.headers, cookie
    viewbuffer.flush()
    assert figures_for(article.pk).views == 3


def test_a_beacon_django_answers_marks_the_browser_the_same_way():
    """A beacon the lean path leaves to Django (here: not asking for JSON, as an older
    page's) marks a commenter's browser without the marker, and no other."""
    article = make_article()
    url = f"/api/articles/{article.pk}/view/"
    commenter = reader_client("198.51.100.30")
    commenter.cookies["byline_commenter"] = "abc:def"
    answer = commenter.post(url)
    assert answer.status_code == 204
    assert_is_the_marker(answer.cookies)
    assert not commenter.post(url).cookies  # marked now: nothing more
    assert not reader_client("198.51.100.31").post(url).cookies
    viewbuffer.flush()
    assert figures_for(article.pk).views == 2
