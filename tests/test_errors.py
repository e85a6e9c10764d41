"""One error contract: JSON clients get one JSON shape, browsers the site's own pages,
and nothing reveals internals (docs/api.md, "Errors")."""

import json
import re

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

from byline import errors, outages
from tests.factory import make_article
from tests.styled import carries_the_site_styles

pytestmark = pytest.mark.django_db
SAME_SITE = {"HTTP_SEC_FETCH_SITE": "same-origin"}
JSON = {"HTTP_ACCEPT": "application/json"}


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["code"] == errors.CODES[status]
    assert body["error"]["message"]
    assert "no-store" in response["Cache-Control"]
    return body["error"]


def test_an_api_address_the_resolver_does_not_know_is_a_json_404(client):
    for url in [
        "/api/articles/abc/reaction/",
        "/api/articles/²/rating/",
        "/api/articles/-1/engagement/",
        "/api/nothing-here/",
    ]:
        assert_json_error(client.get(url), 404)


def test_any_address_asked_for_as_json_gets_a_json_404(client):
    assert_json_error(client.get("/no/such/page/", **JSON), 404)


def test_a_wrong_method_is_a_json_405_with_allow(client):
    article = make_article()
    response = client.get(f"/api/articles/{article.pk}/reaction/")
    assert_json_error(response, 405)
    assert response["Allow"] == "POST, DELETE"
    assert_json_error(client.get("/comments/post/", **JSON), 405)


def test_a_body_too_large_is_a_json_413(client):
    article = make_article()
    response = client.post(
        f"/api/articles/{article.pk}/rating/",
        b'{"stars": 4, "pad": "' + b"x" * 3_000_000 + b'"}',
        content_type="application/json",
        **SAME_SITE,
    )
    assert_json_error(response, 413)


def test_multipart_without_a_boundary_is_a_400_not_a_500(client):
    article = make_article()
    for url in [f"/api/articles/{article.pk}/rating/", "/comments/post/"]:
        response = client.post(
            url, b"stars=4", content_type="multipart/form-data", **SAME_SITE, **JSON
        )
        assert_json_error(response, 400)
    page = client.post(
        "/comments/post/", b"body=x", content_type="multipart/form-data", **SAME_SITE
    )
    assert page.status_code == 400
    assert carries_the_site_styles(page.text)


def test_a_cross_site_post_is_a_json_403():
    article = make_article()
    response = Client(enforce_csrf_checks=True).post(
        f"/api/articles/{article.pk}/reaction/",
        {"reaction": "happy"},
        content_type="application/json",
        HTTP_SEC_FETCH_SITE="cross-site",
    )
    assert_json_error(response, 403)


def test_a_nul_in_an_address_is_a_400_for_browsers_and_json_clients(client):
    assert_json_error(client.get("/api/articles/1/engagement/%00/"), 400)
    assert_json_error(client.get("/tag/%00/", **JSON), 400)
    page = client.get("/tag/a%00b/")
    assert page.status_code == 400
    assert carries_the_site_styles(page.text)
    assert client.get("/search/?q=%00").status_code == 400


def test_browsers_get_the_sites_own_styled_pages(client):
    """A bare 405 from Django becomes the site's page; the 404 page has the chrome."""
    page = client.get("/comments/post/")
    assert page.status_code == 405
    assert "Method not allowed" in page.text
    assert carries_the_site_styles(page.text)
    assert page["Allow"] == "POST"
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404
    assert "Page not found" in missing.text
    assert 'class="site-header"' in missing.text


def test_error_response_serves_503_with_retry_after_to_both_kinds_of_client(rf):
    api = errors.error_response(rf.post("/api/articles/1/rating/"), 503, retry_after=30)
    assert api.status_code == 503
    assert api["Retry-After"] == "30"
    assert json.loads(api.content)["error"]["code"] == "unavailable"
    page = errors.error_response(rf.get("/articles/x/"), 503, retry_after=30)
    assert page.status_code == 503
    assert page["Retry-After"] == "30"
    assert "Back in a moment" in page.content.decode()


def broken_view(request):
    raise RuntimeError("secret internals: SELECT * FROM auth_user")


def database_down_view(request):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")


def database_view(request):
    return HttpResponse(str(User.objects.count()))


urlpatterns = [
    path("broken/", broken_view),
    path("database-down/", database_down_view),
    path("database/", database_view),
    path("", include("byline.urls")),
]
handler500 = "byline.errors.server_error"


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_server_error_reveals_nothing_and_its_page_needs_no_database(
    client, django_assert_num_queries
):
    client.raise_request_exception = False
    with django_assert_num_queries(0):
        page = client.get("/broken/")
    assert page.status_code == 500
    assert "Something went wrong" in page.text
    assert carries_the_site_styles(page.text)
    assert "secret" not in page.text and "RuntimeError" not in page.text
    error = assert_json_error(client.get("/broken/", **JSON), 500)
    assert "secret" not in error["message"] and "RuntimeError" not in error["message"]


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_while_a_service_is_down_the_log_gets_one_warning_a_while_not_one_a_request(
    client, caplog, monkeypatch
):
    """A busy site with its database down would write a line per request: one warning
    per ``LOG_EVERY_SECONDS`` instead, and when a request's queries are answered again
    one line saying so, with how many 503s it stands for and why."""
    monkeypatch.setattr(outages, "outage_log", outages.OutageLog())
    with caplog.at_level("WARNING"):
        answers = [client.get("/database-down/").status_code for _ in range(50)]
        assert client.get("/database/").status_code == 200
        assert client.get("/database/").status_code == 200  # back once, not each time
    assert answers == [503] * 50
    assert not [r for r in caplog.records if r.name == "django.request"]  # no line each
    failed, back = [r.getMessage() for r in caplog.records if r.name == "byline.outages"]
    assert failed == "503 for /database-down/: connection to server at 127.0.0.1, port 5432 failed"
    assert re.fullmatch(
        r"The database answers again after 50 503s in [0-9.]+ s \(49 more since the last line: "
        r"49 × connection to server at 127.0.0.1, port 5432 failed\)",
        back,
    )


def test_a_long_outage_gets_a_warning_each_interval_counting_the_ones_between(caplog):
    log = outages.OutageLog()
    with caplog.at_level("WARNING", logger="byline.outages"):
        for _ in range(30):
            log.failed("/a/", OperationalError("down"))
        for _ in range(20):
            log.failed("/a/", OperationalError("locked"))
        log.next_at -= outages.LOG_EVERY_SECONDS  # ten seconds on
        log.failed("/b/", OperationalError("still down"))
    assert [r.getMessage() for r in caplog.records] == [
        "503 for /a/: down",
        "503 for /b/: still down (49 more since the last line: 29 × down; 20 × locked)",
    ]


def test_a_service_that_flaps_within_the_interval_adds_no_lines(caplog):
    """Back and down again within the interval (SQLite's lock, say, now free, now
    taken): its 503s are counted in the next line, not a line each."""
    log = outages.OutageLog()
    with caplog.at_level("WARNING", logger="byline.outages"):
        log.failed("/a/", OperationalError("database is locked"))
        log.answered(outages.DATABASE)
        for _ in range(10):
            log.failed("/a/", OperationalError("database is locked"))
            log.answered(outages.DATABASE)
    assert [r.getMessage() for r in caplog.records] == [
        "503 for /a/: database is locked",
        caplog.records[1].getMessage(),
    ]
    assert caplog.records[1].getMessage().startswith("The database answers again after 1 503s")
    log.next_at -= outages.LOG_EVERY_SECONDS
    with caplog.at_level("WARNING", logger="byline.outages"):
        log.failed("/a/", OperationalError("database is locked"))
    assert caplog.records[-1].getMessage() == (
        "503 for /a/: database is locked (10 more since the last line: 10 × database is locked)"
    )
