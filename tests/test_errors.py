"""One error contract: JSON clients get one JSON shape, browsers the site's own pages,
and nothing reveals internals (docs/api.md, "Errors")."""

import json

import pytest
from django.test import Client, override_settings
from django.urls import include, path

from byline import errors
from tests.factory import make_article

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
    assert "/static/byline/site.css" in page.text


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
    assert "/static/byline/site.css" in page.text
    assert client.get("/search/?q=%00").status_code == 400


def test_browsers_get_the_sites_own_styled_pages(client):
    """A bare 405 from Django becomes the site's page; the 404 page has the chrome."""
    page = client.get("/comments/post/")
    assert page.status_code == 405
    assert "Method not allowed" in page.text
    assert "/static/byline/site.css" in page.text
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


urlpatterns = [path("broken/", broken_view), path("", include("byline.urls"))]
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
    assert "/static/byline/site.css" in page.text
    assert "secret" not in page.text and "RuntimeError" not in page.text
    error = assert_json_error(client.get("/broken/", **JSON), 500)
    assert "secret" not in error["message"] and "RuntimeError" not in error["message"]
