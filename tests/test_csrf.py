"""Forms on cached pages: same-site posts pass without a token, cross-site posts fail."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from byline.csrf import CsrfMiddleware, cached_page_form

factory = RequestFactory()
middleware = CsrfMiddleware(lambda request: HttpResponse())


@cached_page_form()
def view(request):
    return HttpResponse("accepted")


def answer(request):
    """What Django's handler does with a request: the middleware's check, then the view."""
    return middleware.process_view(request, view, (), {}) or view(request)


def post(**headers):
    request = factory.post("/vote/", {"x": "1"}, headers=headers)
    request._dont_enforce_csrf_checks = False
    return answer(request)


def test_the_site_checks_forms_with_this_middleware_in_place_of_djangos(settings):
    assert "byline.csrf.CsrfMiddleware" in settings.MIDDLEWARE
    assert "django.middleware.csrf.CsrfViewMiddleware" not in settings.MIDDLEWARE


def test_a_same_origin_post_is_accepted_without_a_token():
    assert post(sec_fetch_site="same-origin").status_code == 200


def test_an_origin_header_from_this_site_is_accepted_when_fetch_metadata_is_absent():
    assert post(origin="http://testserver").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"sec_fetch_site": "cross-site", "origin": "https://evil.example"},
        {"sec_fetch_site": "same-site", "origin": "https://sub.testserver"},
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {},
    ],
)
def test_a_cross_site_post_without_a_token_is_refused(headers):
    assert post(**headers).status_code == 403


def test_a_cross_site_header_with_a_spoofed_origin_is_still_refused():
    """Sec-Fetch-Site wins: the browser sets it and a page cannot change it."""
    assert post(sec_fetch_site="cross-site", origin="http://testserver").status_code == 403


@pytest.mark.django_db
def test_a_token_from_the_uncached_endpoint_lets_a_script_post(client):
    response = client.get("/api/csrf/")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    token = response.json()["csrfToken"]
    request = factory.post("/vote/", {"x": "1"}, headers={"X-CSRFToken": token})
    request.COOKIES["csrftoken"] = client.cookies["csrftoken"].value
    request._dont_enforce_csrf_checks = False
    assert answer(request).status_code == 200


def test_get_passes_through():
    assert answer(factory.get("/vote/")).status_code == 200


@pytest.mark.django_db
def test_a_cross_site_comment_is_refused_before_its_view_keeping_what_was_typed(client):
    """Through the whole stack: the view's own answer to a post that proved nothing."""
    from tests.discussion.factory import comment_form
    from tests.factory import make_article

    client.handler.enforce_csrf_checks = True
    data = comment_form(make_article("A story"), body="Words from elsewhere")
    response = client.post("/comments/post/", data, HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403
    assert "Words from elsewhere" in response.content.decode()
    same_site = client.post("/comments/post/", data, HTTP_SEC_FETCH_SITE="same-origin")
    assert same_site.status_code != 403
