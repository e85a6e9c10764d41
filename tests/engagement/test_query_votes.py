"""The page's script votes in the query string: ``POST .../reaction/?reaction=happy``,
no body and no Content-Type (a request nginx can take and log itself); ``?reaction=``
and ``?stars=`` withdraw.

Both of the app's paths take that form (the vote layer, which answers a same-origin
vote itself, and the API view behind Django) with the same checks and answers as a
JSON body: the query is read into the payload ``actions.parse_vote`` takes. A body
and a query together, another field, the field twice: 400, nothing counted.
"""

import json
from urllib.parse import quote, unquote_to_bytes

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from byline.engagement import actions
from byline.engagement.actions import VoteRefused
from byline.engagement.stats import figures_for
from byline.wsgi import application, django_application
from tests.engagement.factory import BROWSER, paths_answered_by
from tests.engagement.test_fast_path import Browser, comparable
from tests.factory import make_article
from tests.pagecache.wsgi_client import call

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_test_connection")]


@pytest.fixture
def fast_answers(monkeypatch):
    """The paths of the requests the vote layer answered itself."""
    return paths_answered_by(monkeypatch, "reaction", "rating")


class QueryBrowser(Browser):
    """A reader's browser running the page's script: the vote in the query, no body."""

    def vote(self, path: str, query: str, *, method: str = "POST", body: bytes = b"", **headers):
        sent = {"User-Agent": BROWSER, "Sec-Fetch-Site": "same-origin"}
        sent |= {"Accept": "application/json", **headers}
        if self.cookie:
            sent["Cookie"] = self.cookie
        extra = {"REMOTE_ADDR": self.ip}
        if body:
            extra["CONTENT_TYPE"] = "application/json"
        response = call(
            self.app, f"{path}?{query}", method=method, headers=sent, body=body, extra_environ=extra
        )
        if cookie := response.headers.get("set-cookie", ""):
            self.cookie = cookie.split(";", 1)[0]
        return response


# (kind, query, the same vote as a JSON body, or None: a 400 in either form)
SCENARIO = [
    ("reaction", "reaction=happy", {"reaction": "happy"}),  # first vote: the cookie is set
    ("reaction", "reaction=sad", {"reaction": "sad"}),  # moved
    ("reaction", "reaction=sad", {"reaction": "sad"}),  # a retry: kept
    ("reaction", "reaction=", {"reaction": None}),  # withdrawn
    ("reaction", "reaction=", {"reaction": None}),  # nothing left to withdraw
    ("reaction", "reaction=Excited", {"reaction": "Excited"}),  # as a JSON body reads it
    ("rating", "stars=4", {"stars": 4}),
    ("rating", "stars=2", {"stars": "2"}),
    ("rating", "stars=", {"stars": None}),
    ("rating", "stars=5", {"stars": 5}),
    ("rating", "stars=lots", {"stars": "lots"}),
    ("rating", "stars=6", {"stars": 6}),
    ("rating", "stars=0", {"stars": 0}),
    ("rating", "stars=%C2%B2", {"stars": "²"}),
    ("reaction", "reaction=meh", {"reaction": "meh"}),
    ("reaction", "reaction=%3Cb%3E", {"reaction": "<b>"}),
]


def test_a_vote_in_the_query_is_answered_as_the_same_vote_in_a_json_body(fast_answers):
    """Status, body and headers alike, on twin articles by twin readers; each query vote
    answered by the vote layer, with no body to read."""
    by_query, by_body = make_article(), make_article()
    page, client = QueryBrowser(application, "203.0.113.11"), Browser(application, "203.0.113.12")
    for kind, query, body in SCENARIO:
        ours = page.vote(f"/api/articles/{by_query.pk}/{kind}/", query)
        theirs = client.send("POST", f"/api/articles/{by_body.pk}/{kind}/", body)
        assert comparable(ours) == comparable(theirs), query
    assert len(fast_answers) == 2 * len(SCENARIO)
    assert figures_for(by_query.pk) == figures_for(by_body.pk)
    assert figures_for(by_query.pk).rating_counts[5] == 1
    mine = json.loads(page.vote(f"/api/articles/{by_query.pk}/reaction/", "reaction=").body)
    assert mine["mine"] == {"reaction": None}
    assert mine["counts"]["reactions"][0]["count"] == 0


def test_the_vote_layer_and_django_answer_query_votes_alike(fast_answers):
    ours_article, django_article = make_article(), make_article()
    ours = QueryBrowser(application, "203.0.113.13")
    django = QueryBrowser(django_application, "203.0.113.14")
    for kind, query, _ in SCENARIO + [("rating", "stars=3&stars=3", None)]:
        mine = ours.vote(f"/api/articles/{ours_article.pk}/{kind}/", query)
        theirs = django.vote(f"/api/articles/{django_article.pk}/{kind}/", query)
        assert comparable(mine) == comparable(theirs), query
    assert figures_for(ours_article.pk) == figures_for(django_article.pk)


REFUSED = [
    ("reaction", "reaction=happy&reaction=sad"),  # the field twice
    ("reaction", "reaction=happy&reaction=happy"),
    ("reaction", "reaction=happy&utm_source=x"),  # another field
    ("reaction", "utm_source=x&reaction=happy"),
    ("reaction", "stars=4"),  # the other kind's field
    ("rating", "reaction=happy"),
    ("reaction", "reaction"),  # no "=": not a choice, not a withdrawal
    ("reaction", "reaction=happy&"),
    ("reaction", "&"),
    ("rating", "stars=%FF"),  # not UTF-8
    ("rating", "stars=4;stars=5"),
    ("reaction", "reaction=" + "happy" * 30),  # far longer than any choice
]


@pytest.mark.parametrize(("kind", "query"), REFUSED)
def test_a_query_that_is_not_one_choice_is_refused_on_both_paths(fast_answers, kind, query):
    article = make_article()
    for app, ip in ((application, "198.51.100.21"), (django_application, "198.51.100.22")):
        response = QueryBrowser(app, ip).vote(f"/api/articles/{article.pk}/{kind}/", query)
        assert response.status == 400, (app, query)
        assert response.headers["content-type"] == "application/json"
        assert json.loads(response.body)["error"]["status"] == 400
        assert "set-cookie" not in response.headers
    assert figures_for(article.pk) == figures_for(make_article().pk)  # nothing counted


def test_a_choice_in_the_query_and_a_body_is_refused_send_it_once(fast_answers):
    article = make_article()
    path = f"/api/articles/{article.pk}/reaction/"
    for app, ip in ((application, "198.51.100.23"), (django_application, "198.51.100.24")):
        browser = QueryBrowser(app, ip)
        both = browser.vote(path, "reaction=happy", body=b'{"reaction": "sad"}')
        same = browser.vote(path, "reaction=happy", body=b'{"reaction": "happy"}')
        empty = browser.vote(path, "reaction=", body=b"{}")
        withdraw = browser.vote(path, "reaction=happy", method="DELETE")
        for response in (both, same, empty, withdraw):
            assert response.status == 400
            assert "once" in json.loads(response.body)["error"]["message"]
    assert fast_answers == []  # all left to Django, which refused them
    assert figures_for(article.pk).reaction_total == 0


def test_a_query_vote_without_fetch_metadata_keeps_the_csrf_check(fast_answers):
    article = make_article()
    path = f"/api/articles/{article.pk}/reaction/"
    cross_site = {"Sec-Fetch-Site": "cross-site"}
    refused = QueryBrowser(application, "198.51.100.25").vote(path, "reaction=happy", **cross_site)
    # Left to Django, whose CSRF check refuses it; nothing counted.
    assert (refused.status, fast_answers, figures_for(article.pk).reaction_total) == (403, [], 0)


def test_the_json_body_and_delete_are_still_taken_from_pages_cached_before(fast_answers):
    article = make_article()
    path = f"/api/articles/{article.pk}/rating/"
    old_page = Browser(application, "198.51.100.26")
    assert old_page.send("POST", path, {"stars": 3}).status == 200
    assert figures_for(article.pk).rating_counts[3] == 1
    assert old_page.send("DELETE", path).status == 200
    assert figures_for(article.pk).rating_count == 0


def test_query_vote_reads_the_payload_parse_vote_takes():
    assert actions.query_vote("reaction", "reaction=happy", False) == {"reaction": "happy"}
    assert actions.query_vote("reaction", "reaction=", False) == {"reaction": None}
    assert actions.query_vote("rating", "stars=%204", False) == {"stars": " 4"}
    assert actions.parse_vote("rating", actions.query_vote("rating", "stars=%204", False)) == 4
    assert actions.query_vote("rating", "stars=", False) == {"stars": None}
    with pytest.raises(VoteRefused):
        actions.query_vote("rating", "stars=4", True)


# Queries a client could send: the field, others, repeats, escapes and bytes.
query_part = st.one_of(
    st.sampled_from(["reaction", "stars", "utm_source", "", "reaction ", "Reaction"]),
    st.text(max_size=8).map(lambda text: quote(text.encode("utf-8", "surrogatepass"))),
)
query_value = st.one_of(
    st.sampled_from(["", "happy", "sad", "4", "5", " 4", "6", "%FF", "happy%00", "HAPPY", "%20"]),
    st.text(max_size=12).map(lambda text: quote(text.encode("utf-8", "surrogatepass"))),
)
queries = st.one_of(
    st.builds(lambda name, value: f"{name}={value}", query_part, query_value),
    st.lists(st.tuples(query_part, query_value), min_size=1, max_size=4).map(
        lambda pairs: "&".join(f"{name}={value}" for name, value in pairs)
    ),
    st.text(max_size=20),
)


def expected_choice(kind: str, query: str):
    """What the vote should be: the one field's choice ("" withdraws), or "refused"."""
    field = "reaction" if kind == "reaction" else "stars"
    name, equals, value = query.partition("=")
    if name != field or not equals or "&" in value or ";" in value or len(query) > 100:
        return "refused"
    try:  # the escapes' bytes, UTF-8 (a raw non-ASCII character is never a choice)
        decoded = unquote_to_bytes(value.replace("+", " ")).decode("utf-8")
    except UnicodeError:
        return "refused"
    if not decoded:
        return None
    try:
        return actions.parse_vote(kind, {field: decoded})
    except VoteRefused:
        return "refused"


@hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kind=st.sampled_from(["reaction", "rating"]), query=queries)
def test_any_query_is_one_choice_taken_or_a_json_400_on_both_paths(settings, kind, query):
    """Whatever the query holds, both paths give the same answer: 200 with the reader's
    choice when it is exactly one field naming a choice of this kind (empty: withdrawn),
    else a JSON 400 and nothing counted; never a 500."""
    if "\x00" in query or any(ord(c) > 255 or c in "\r\n#?" or c.isspace() for c in query):
        return  # not a query a request line can carry
    settings.BYLINE_VOTES_PER_MINUTE = 10**6
    expected = expected_choice(kind, query)
    field = "reaction" if kind == "reaction" else "rating"
    answers = []
    for app, ip in ((application, "192.0.2.31"), (django_application, "192.0.2.32")):
        article = make_article()
        response = QueryBrowser(app, ip).vote(f"/api/articles/{article.pk}/{kind}/", query)
        body = json.loads(response.body)
        if expected == "refused":
            assert response.status == 400, query
            assert body["error"]["status"] == 400
            figures = figures_for(article.pk)
            assert figures.reaction_total == figures.rating_count == 0
        else:
            assert response.status == 200, (query, body)
            assert body["mine"] == {field: expected}
        answers.append((response.status, body.get("mine"), body.get("error", {}).get("message")))
    assert answers[0] == answers[1]
