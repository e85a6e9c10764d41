"""Forms on cached pages: same-site posts pass without a token, cross-site posts fail."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from byline.csrf import cached_page_form

factory = RequestFactory()


@cached_page_form()
def view(request):
    return HttpResponse("accepted")


def post(**headers):
    request = factory.post("/vote/", {"x": "1"}, headers=headers)
    request._dont_enforce_csrf_checks = False
    return view(request)


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
    assert view(request).status_code == 200


def test_get_passes_through():
    assert view(factory.get("/vote/")).status_code == 200
