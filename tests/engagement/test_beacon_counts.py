"""The view beacon answers with the live counts: one request per page view, not two.

The page's script sends the beacon asking for JSON; the answer is the counts
(which include this view) with the counts endpoint's ETag. In production the
WSGI entry point answers it without Django's request cycle
(``byline.engagement.beacon_layer``), with the same counting rules: bots and
reloads are not counted, and no cookie is set.
"""

import json

import pytest

from byline.engagement import viewbuffer
from byline.engagement.stats import figures_for
from byline.wsgi import application
from tests.engagement.factory import BROWSER, counts, paths_answered_by, reader_client
from tests.factory import make_article
from tests.pagecache.wsgi_client import SECURITY_HEADERS, call

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("keep_test_connection", "fresh_beacon_counts"),
]
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture
def lean_answers(monkeypatch):
    """The paths of the beacons the lean path answered itself."""
    return paths_answered_by(monkeypatch, "view")


def page_beacon(article_id: int, ip: str = "198.51.100.4", agent: str = BROWSER, **headers):
    """The beacon as the page's script sends it, through the production WSGI entry point."""
    sent = {
        "User-Agent": agent,
        "Sec-Fetch-Site": "same-origin",
        "Accept": "application/json",
        **headers,
    }
    return call(
        application,
        f"/api/articles/{article_id}/view/",
        method="POST",
        headers={name: value for name, value in sent.items() if value is not None},
        extra_environ={"REMOTE_ADDR": ip},
    )


def test_the_beacon_answers_the_counts_including_this_view_when_asked_for_json():
    """Through Django: a beacon with Accept: application/json gets the counts, with their ETag."""
    article = make_article()
    response = reader_client().post(
        f"/api/articles/{article.pk}/view/", headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["views"] == 1
    assert "Set-Cookie" not in response
    assert "no-store" in response["Cache-Control"]
    endpoint = reader_client("192.0.2.9").get(f"/api/articles/{article.pk}/engagement/")
    assert response["ETag"] == endpoint["ETag"]
    assert response.json() == endpoint.json()


def test_a_beacon_that_does_not_ask_for_json_is_still_answered_204():
    """Older pages (and the no-script pixel's neighbours) keep the empty answer."""
    article = make_article()
    response = reader_client().post(f"/api/articles/{article.pk}/view/")
    assert response.status_code == 204
    assert response.content == b""


def test_the_lean_beacon_counts_once_per_reader_and_answers_the_counts(lean_answers):
    """The same browser twice is one view; another browser is a second; both see the counts."""
    article = make_article()
    first = page_beacon(article.pk)
    again = page_beacon(article.pk)
    other = page_beacon(article.pk, ip="198.51.100.5")
    assert lean_answers == [f"/api/articles/{article.pk}/view/"] * 3
    assert first.status == again.status == other.status == 200
    assert first.headers["content-type"] == "application/json"
    assert first.headers["etag"]
    assert b'"views":1' in first.body
    viewbuffer.flush()
    assert figures_for(article.pk).views == 2
    assert counts(reader_client("192.0.2.9"), article.pk)["views"] == 2


def test_a_bot_beacon_is_answered_but_not_counted(lean_answers):
    """A self-declared bot running the page's script gets the counts; its view is not counted."""
    article = make_article()
    response = page_beacon(article.pk, agent=BOT)
    assert response.status == 200
    assert lean_answers
    viewbuffer.flush()
    assert figures_for(article.pk).views == 0


def test_the_lean_beacon_sets_no_cookie_and_sends_the_security_headers():
    """A plain read stays cookie-free, and carries the headers Django's middleware would add."""
    article = make_article()
    response = page_beacon(article.pk)
    assert "set-cookie" not in response.headers
    assert "no-store" in response.headers["cache-control"]
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_a_beacon_for_an_unpublished_article_is_answered_404_and_not_counted():
    """No counts of a draft reach anyone, and its view is not counted: the page script's
    beacon gets the counts' JSON 404, from the lean path and from Django alike (nginx,
    answering the beacon with the counts, gives the same)."""
    draft = make_article(status="draft")
    lean = page_beacon(draft.pk)
    django = reader_client().post(
        f"/api/articles/{draft.pk}/view/", headers={"Accept": "application/json"}
    )
    assert lean.status == django.status_code == 404
    assert json.loads(lean.body) == django.json()
    assert django.json()["error"]["status"] == 404
    assert "set-cookie" not in lean.headers
    viewbuffer.flush()
    assert figures_for(draft.pk).views == 0


def test_beacons_the_page_did_not_send_are_left_to_django(lean_answers):
    """Cross-site, or not asking for JSON: Django answers, as it always did."""
    article = make_article()
    cross = page_beacon(article.pk, **{"Sec-Fetch-Site": "cross-site"})
    plain = page_beacon(article.pk, ip="198.51.100.6", Accept=None)
    assert lean_answers == []
    assert cross.status == 403
    assert plain.status == 204
    viewbuffer.flush()
    assert figures_for(article.pk).views == 1
