"""Same-origin JSON votes are answered without Django's request cycle, and exactly alike.

Every scenario runs twice through the production WSGI entry point: once as
the page's script sends it (``Sec-Fetch-Site: same-origin``, taken by the
fast path) and once through Django's own application with the same request,
on a twin article by a twin reader. The answers must be the same: status,
JSON body and every header.
"""

import json
import logging
import time
from datetime import datetime
from types import SimpleNamespace

import pytest
from django.core.handlers.wsgi import WSGIHandler

from byline.articles.models import Article
from byline.engagement import stats, vote_layer
from byline.engagement.stats import figures_for
from byline.wsgi import application, django_application
from tests.engagement.factory import BROWSER, paths_answered_by
from tests.factory import make_article
from tests.pagecache.wsgi_client import SECURITY_HEADERS, call

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_test_connection")]


@pytest.fixture
def fast_answers(monkeypatch):
    """The paths of the requests the fast path answered itself."""
    return paths_answered_by(monkeypatch, "reaction", "rating")


class Browser:
    """One reader's browser: its own address and cookie, sending the page's JSON votes."""

    def __init__(self, app, ip: str) -> None:
        self.app, self.ip, self.cookie = app, ip, ""

    def send(self, method: str, path: str, body: object = None, *, scheme: str = "http", **headers):
        sent = {"User-Agent": BROWSER, "Sec-Fetch-Site": "same-origin", **headers}
        sent = {name: value for name, value in sent.items() if value is not None}
        if self.cookie:
            sent["Cookie"] = self.cookie
        data = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body)
        data = data.encode() if isinstance(data, str) else data
        response = call(
            self.app,
            path,
            method=method,
            headers=sent,
            body=data,
            scheme=scheme,
            extra_environ={"CONTENT_TYPE": "application/json", "REMOTE_ADDR": self.ip},
        )
        if cookie := response.headers.get("set-cookie", ""):
            self.cookie = cookie.split(";", 1)[0]
        return response


def comparable(response) -> tuple:
    """Status, body and headers, with what must differ between two readers left out."""
    headers = dict(response.headers)
    cookie = headers.pop("set-cookie", None)
    if cookie is not None:
        name, _, rest = cookie.strip().partition("=")  # Django's starts with a space
        attributes = sorted(
            part.strip().split("=")[0].lower() for part in rest.split(";")[1:] if part.strip()
        )
        headers["set-cookie"] = (name, attributes)
    return response.status, json.loads(response.body), headers


SCENARIO = [
    ("POST", "reaction", {"reaction": "happy"}),  # a first vote: the cookie is set
    ("POST", "reaction", {"reaction": "sad"}),  # moved
    ("POST", "reaction", {"reaction": "sad"}),  # the same again (a retry): kept
    ("POST", "reaction", {"reaction": None}),  # withdrawn
    ("POST", "reaction", {"reaction": None}),  # withdrawn again: nothing changes
    ("POST", "reaction", {"reaction": "excited"}),
    ("POST", "rating", {"stars": 4}),
    ("POST", "rating", {"stars": "2"}),
    ("DELETE", "rating", None),
    ("DELETE", "reaction", None),
    ("DELETE", "reaction", None),  # nothing left to withdraw
    ("POST", "rating", b"{not json"),
    ("POST", "rating", b"[1, 2]"),
    ("POST", "rating", {"stars": "lots"}),
    ("POST", "rating", {"stars": 1e309}),
    ("POST", "rating", {"stars": True}),
    ("POST", "rating", b"\xff\xfe"),
    ("POST", "reaction", {"reaction": "meh"}),
    ("POST", "reaction", {}),
    ("POST", "rating", {"stars": 5}),
    ("POST", "rating", {"stars": 5}),  # the same again: kept
    ("POST", "rating", {"stars": None}),  # withdrawn
    ("POST", "rating", {"stars": "²"}),
    ("POST", "rating", b"[" * 500 + b"]" * 500),  # nested too deep
    ("POST", "rating", {"stars": 4}),
]


def test_a_deeply_nested_vote_too_large_for_the_fast_path_gets_django_s_json_400(fast_answers):
    article = make_article()
    body = b"[" * 100_000 + b"]" * 100_000
    response = Browser(application, "203.0.113.3").send(
        "POST", f"/api/articles/{article.pk}/rating/", body
    )
    assert response.status == 400
    assert json.loads(response.body)["error"]["status"] == 400
    assert fast_answers == []


def test_the_fast_path_answers_exactly_like_django(fast_answers):
    fast_article, django_article = make_article(), make_article()
    fast, django = Browser(application, "203.0.113.1"), Browser(django_application, "203.0.113.2")
    for method, kind, body in SCENARIO:
        ours = fast.send(method, f"/api/articles/{fast_article.pk}/{kind}/", body)
        theirs = django.send(method, f"/api/articles/{django_article.pk}/{kind}/", body)
        assert comparable(ours) == comparable(theirs), (method, kind, body)
    # Every vote whose body is one flat JSON object is answered by the fast path; the
    # malformed bodies (sent as bytes) are handed to Django, which parses hostile input.
    assert len(fast_answers) == len(
        [body for _, _, body in SCENARIO if not isinstance(body, bytes)]
    )
    assert figures_for(fast_article.pk) == figures_for(django_article.pk)
    assert figures_for(fast_article.pk).rating_counts[4] == 1


def test_votes_on_missing_and_unpublished_articles_are_json_404s_on_both_paths(fast_answers):
    draft = make_article(status=Article.Status.DRAFT)
    for article_id in (draft.pk, 999_999, 10**25):
        path = f"/api/articles/{article_id}/reaction/"
        ours = Browser(application, "203.0.113.1").send("POST", path, {"reaction": "happy"})
        theirs = Browser(django_application, "203.0.113.2").send(
            "POST", path, {"reaction": "happy"}
        )
        assert ours.status == theirs.status == 404
        assert comparable(ours) == comparable(theirs)
    assert figures_for(draft.pk).reaction_total == 0


@pytest.fixture
def a_still_clock(monkeypatch):
    """The rate limits' clock stopped 13 s into a minute (of the minute before this one,
    so counters kept by it are already old by the real clock). The fast path and Django
    each read the time once a 429 (its Retry-After: the seconds left in the minute) and
    the counters in process memory read it for each vote (their windows are the clock's
    minutes); under load a second, or a minute, could turn between two of those reads:
    the two 429s' Retry-After then differed by one, or the fourth vote fell in a new
    window and was taken. (With Redis the windows start at each key's first hit.)"""
    import limits.storage.memory

    from byline import readers

    now = (int(time.time()) // 60 - 1) * 60 + 13.0

    class Stopped(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(now, tz)

    monkeypatch.setattr(readers, "datetime", Stopped)
    monkeypatch.setattr(limits.storage.memory, "time", SimpleNamespace(time=lambda: now))
    readers.reset_limits()  # a limiter made before keeps counters of the real clock
    yield 60 - 13
    readers.reset_limits()  # none of the stopped clock's counters outlive the test


def test_the_rate_limit_gives_the_same_429_with_retry_after(settings, fast_answers, a_still_clock):
    settings.BYLINE_VOTES_PER_MINUTE = 3
    fast_article, django_article = make_article(), make_article()
    fast, django = Browser(application, "198.51.100.1"), Browser(django_application, "198.51.100.2")
    for stars in (1, 2, 3, 4):
        ours = fast.send("POST", f"/api/articles/{fast_article.pk}/rating/", {"stars": stars})
        theirs = django.send("POST", f"/api/articles/{django_article.pk}/rating/", {"stars": stars})
        assert comparable(ours) == comparable(theirs)
    assert ours.status == 429
    assert int(ours.headers["retry-after"]) == a_still_clock  # the seconds left in the minute
    assert "voted more than 3 times" in json.loads(ours.body)["error"]["message"]
    assert figures_for(fast_article.pk).rating_counts[3] == 1  # the fourth was refused
    assert len(fast_answers) == 4


def test_over_https_the_fast_path_sends_the_same_hsts_header(settings, fast_answers):
    settings.SECURE_HSTS_SECONDS = 3600
    fast_article, django_article = make_article(), make_article()
    ours = Browser(application, "192.0.2.1").send(
        "POST", f"/api/articles/{fast_article.pk}/rating/", {"stars": 4}, scheme="https"
    )
    # Django's middleware reads the setting once, when the handler is built:
    theirs = Browser(WSGIHandler(), "192.0.2.2").send(
        "POST", f"/api/articles/{django_article.pk}/rating/", {"stars": 4}, scheme="https"
    )
    assert ours.headers["strict-transport-security"] == "max-age=3600"
    assert comparable(ours) == comparable(theirs)
    for name, value in SECURITY_HEADERS.items():
        assert ours.headers[name] == value
    assert fast_answers


def test_a_cross_site_vote_is_left_to_django_and_refused(fast_answers):
    article = make_article()
    response = Browser(application, "192.0.2.3").send(
        "POST",
        f"/api/articles/{article.pk}/reaction/",
        {"reaction": "happy"},
        **{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )
    assert response.status == 403
    assert "not sent from this site" in json.loads(response.body)["error"]["message"]
    assert fast_answers == []
    assert figures_for(article.pk).reaction_total == 0


def test_a_vote_without_fetch_metadata_keeps_the_csrf_token_check(fast_answers):
    """A script that fetched a token from /api/csrf/ goes through Django's CSRF middleware."""
    article = make_article()
    path = f"/api/articles/{article.pk}/reaction/"
    script = Browser(application, "192.0.2.4")
    refused = script.send("POST", path, {"reaction": "sad"}, **{"Sec-Fetch-Site": None})
    assert refused.status == 403
    issued = call(application, "/api/csrf/", headers={"User-Agent": BROWSER})
    token = json.loads(issued.body)["csrfToken"]
    script.cookie = issued.headers["set-cookie"].split(";", 1)[0]
    accepted = script.send(
        "POST", path, {"reaction": "sad"}, **{"Sec-Fetch-Site": None, "X-CSRFToken": token}
    )
    assert accepted.status == 200
    assert fast_answers == []


def test_a_host_the_site_does_not_serve_is_refused_and_nothing_counted(settings, fast_answers):
    settings.ALLOWED_HOSTS = ["news.example"]
    article = make_article()
    response = call(
        application,
        f"/api/articles/{article.pk}/reaction/",
        method="POST",
        host="attacker.example",
        headers={"Sec-Fetch-Site": "same-origin", "User-Agent": BROWSER},
        body=b'{"reaction": "happy"}',
        extra_environ={"CONTENT_TYPE": "application/json"},
    )
    assert response.status == 400
    assert fast_answers == []
    assert figures_for(article.pk).reaction_total == 0


def test_form_posts_and_large_bodies_are_left_to_django(fast_answers):
    article = make_article()
    path = f"/api/articles/{article.pk}/rating/"
    as_form = call(
        application,
        path,
        method="POST",
        headers={"Sec-Fetch-Site": "same-origin", "User-Agent": BROWSER},
        body=b"stars=4",
    )
    padded = json.dumps({"stars": 5, "padding": "x" * vote_layer.MAX_BODY})
    large = Browser(application, "192.0.2.5").send("POST", path, padded.encode())
    assert as_form.status == large.status == 200
    assert fast_answers == []
    assert figures_for(article.pk).rating_count == 2


def test_an_unexpected_error_is_logged_and_answered_as_json(monkeypatch, caplog, fast_answers):
    article = make_article()

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(stats, "cast_votes", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = Browser(application, "192.0.2.6").send(
            "POST", f"/api/articles/{article.pk}/reaction/", {"reaction": "happy"}
        )
    assert response.status == 500
    assert json.loads(response.body)["error"]["status"] == 500
    assert response.headers["content-type"] == "application/json"
    assert "the database went away" in caplog.text


def test_only_same_origin_votes_are_candidates_for_the_fast_path():
    same_origin = {"HTTP_SEC_FETCH_SITE": "same-origin"}
    fast = [
        {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/articles/7/reaction/", **same_origin},
        {"REQUEST_METHOD": "DELETE", "PATH_INFO": "/api/articles/7/rating/", **same_origin},
    ]
    full = [
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/articles/7/reaction/", **same_origin},
        {"REQUEST_METHOD": "POST", "PATH_INFO": "/engagement/7/react/", **same_origin},
        {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/articles/7/reaction/x", **same_origin},
        {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/articles/7/reaction/"},
        {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/articles/7/reaction/",
         "HTTP_SEC_FETCH_SITE": "same-site"},
    ]  # fmt: skip
    assert all(vote_layer.takes_lean_path(environ) for environ in fast)
    assert not any(vote_layer.takes_lean_path(environ) for environ in full)
