"""Same-origin JSON votes skip the middleware they never use, and keep every check."""

import json

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from byline.engagement import fastpath
from byline.engagement.stats import figures_for
from byline.wsgi import application
from tests.engagement.factory import BROWSER
from tests.factory import make_article
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


def as_json(environ: dict, start_response):
    """The production entry point, for a request whose body is JSON."""
    environ["CONTENT_TYPE"] = "application/json"
    return application(environ, start_response)


def vote(path: str, body: object, *, fetch_site: str | None = "same-origin", **headers):
    """A JSON POST through the production WSGI entry point, as granian would send it."""
    sent = {"User-Agent": BROWSER, **headers}
    if fetch_site is not None:
        sent["Sec-Fetch-Site"] = fetch_site
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return call(as_json, path, method="POST", headers=sent, body=data)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Like Django's test client, keep the test's connection (and its transaction) open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def article():
    return make_article()


@pytest.fixture
def lean_calls(monkeypatch):
    """Record which requests the lean handler answered."""
    calls = []
    lean = application.app.lean
    original = lean.__class__.__call__

    def spy(self, environ, start_response):
        calls.append(environ["PATH_INFO"])
        return original(self, environ, start_response)

    monkeypatch.setattr(fastpath.LeanHandler, "__call__", spy)
    return calls


def test_a_same_origin_vote_takes_the_lean_path_and_is_counted(article, lean_calls):
    response = vote(f"/api/articles/{article.pk}/reaction/", {"reaction": "happy"})
    assert response.status == 200
    assert lean_calls == [f"/api/articles/{article.pk}/reaction/"]
    body = json.loads(response.body)
    assert body["mine"] == {"reaction": "happy"}
    assert body["counts"]["reactions"][0]["count"] == 1
    assert figures_for(article.pk).reactions[0].count == 1
    assert "byline_reader=" in response.headers["set-cookie"]


def test_the_lean_path_sends_the_same_security_headers_as_the_full_stack(article):
    lean = vote(f"/api/articles/{article.pk}/rating/", {"stars": 4})
    full = Client(headers={"User-Agent": BROWSER, "Sec-Fetch-Site": "same-origin"}).post(
        f"/api/articles/{article.pk}/rating/", {"stars": 4}, content_type="application/json"
    )
    assert lean.status == full.status_code == 200
    for name, value in SECURITY_HEADERS.items():
        assert lean.headers[name] == value
        assert full.headers[name] == value
    assert lean.headers["cache-control"] == full.headers["Cache-Control"]


def test_a_cross_site_vote_takes_the_full_stack_and_is_refused(article, lean_calls):
    response = vote(
        f"/api/articles/{article.pk}/reaction/",
        {"reaction": "happy"},
        fetch_site="cross-site",
        Origin="https://evil.example",
    )
    assert response.status == 403
    assert lean_calls == []
    assert "not sent from this site" in json.loads(response.body)["error"]["message"]
    assert figures_for(article.pk).reaction_total == 0


def test_a_vote_without_fetch_metadata_keeps_the_csrf_token_check(article, lean_calls):
    """A script that fetched a token from /api/csrf/ goes through Django's CSRF middleware."""
    refused = vote(f"/api/articles/{article.pk}/reaction/", {"reaction": "sad"}, fetch_site=None)
    assert refused.status == 403
    issued = call(application, "/api/csrf/", headers={"User-Agent": BROWSER})
    token = json.loads(issued.body)["csrfToken"]
    cookie = issued.headers["set-cookie"].split(";", 1)[0]
    accepted = vote(
        f"/api/articles/{article.pk}/reaction/",
        {"reaction": "sad"},
        fetch_site=None,
        Cookie=cookie,
        **{"X-CSRFToken": token},
    )
    assert accepted.status == 200
    assert lean_calls == []


def test_the_lean_path_refuses_a_host_the_site_does_not_serve(article, settings):
    settings.ALLOWED_HOSTS = ["news.example"]
    response = call(
        as_json,
        f"/api/articles/{article.pk}/reaction/",
        method="POST",
        host="attacker.example",
        headers={"Sec-Fetch-Site": "same-origin", "User-Agent": BROWSER},
        body=b'{"reaction": "happy"}',
    )
    assert response.status == 400
    assert figures_for(article.pk).reaction_total == 0


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b'{"stars": "lots"}', b"\xff\xfe", b'{"stars": 1e309}']
)
def test_malformed_votes_on_the_lean_path_are_json_400s(article, body):
    response = vote(f"/api/articles/{article.pk}/rating/", body)
    assert response.status == 400
    assert json.loads(response.body)["error"]["status"] == 400


def test_only_json_votes_take_the_lean_path():
    same_origin = {"HTTP_SEC_FETCH_SITE": "same-origin"}
    lean = [
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
    assert all(fastpath.takes_lean_path(environ) for environ in lean)
    assert not any(fastpath.takes_lean_path(environ) for environ in full)


def test_the_lean_handler_keeps_every_middleware_but_the_skipped_ones():
    kept = fastpath.LeanHandler().middleware_paths()
    assert kept == [path for path in settings.MIDDLEWARE if path not in fastpath.SKIPPED]
    assert "django.middleware.security.SecurityMiddleware" in kept
    assert "django.middleware.common.CommonMiddleware" in kept
    assert "django.middleware.clickjacking.XFrameOptionsMiddleware" in kept
