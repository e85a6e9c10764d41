"""The page cache answers anonymous GETs with Django's own bytes and headers, and nothing else."""

import pytest
from django.test import Client
from django.utils.http import http_date

from tests.factory import make_article
from tests.pagecache.wsgi_client import SECURITY_HEADERS, call

pytestmark = pytest.mark.django_db


def session_cookie(editor) -> str:
    client = Client()
    client.force_login(editor)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_a_second_anonymous_read_is_a_hit_with_the_same_bytes(page_cache, demo_article):
    """The first reader's render is replayed byte for byte to the next one."""
    url = demo_article.get_absolute_url()
    first = call(page_cache, url)
    second = call(page_cache, url)
    assert (first.status, second.status) == (200, 200)
    assert first.headers["x-page-cache"] == "miss"
    assert second.headers["x-page-cache"] == "hit"
    assert second.body == first.body
    assert demo_article.headline.encode() in second.body
    assert second.headers["content-length"] == str(len(second.body))
    assert second.headers["etag"] == first.headers["etag"]


def test_a_hit_runs_no_query(page_cache, demo_article, django_assert_num_queries):
    url = demo_article.get_absolute_url()
    call(page_cache, url)
    with django_assert_num_queries(0):
        assert call(page_cache, url).headers["x-page-cache"] == "hit"


def test_hits_carry_the_security_headers_django_sends(page_cache, demo_article):
    """The stored response is Django's own, so its security headers come with it."""
    url = demo_article.get_absolute_url()
    call(page_cache, url)
    hit = call(page_cache, url)
    for name, value in SECURITY_HEADERS.items():
        assert hit.headers[name] == value


def test_hsts_is_replayed_over_https_only(page_cache, demo_article, settings):
    """HTTPS and HTTP pages are stored apart; only HTTPS ones carry HSTS."""
    settings.SECURE_HSTS_SECONDS = 3600
    url = demo_article.get_absolute_url()
    call(page_cache, url, scheme="https")
    secure_hit = call(page_cache, url, scheme="https")
    plain = call(page_cache, url)
    assert secure_hit.headers["x-page-cache"] == "hit"
    assert secure_hit.headers["strict-transport-security"] == "max-age=3600"
    assert plain.headers["x-page-cache"] == "miss"
    assert "strict-transport-security" not in plain.headers


def test_anonymous_pages_are_public_and_set_no_cookie(page_cache, demo_article):
    url = demo_article.get_absolute_url()
    for response in (call(page_cache, url), call(page_cache, url)):
        assert response.headers["cache-control"] == "public, max-age=0, must-revalidate"
        assert "set-cookie" not in response.headers
        assert response.headers["last-modified"]


def test_browser_max_age_comes_from_the_setting(page_cache, demo_article, settings):
    settings.BYLINE_PAGE_CACHE_MAX_AGE = 60
    response = call(page_cache, demo_article.get_absolute_url())
    assert response.headers["cache-control"] == "public, max-age=60"


def test_a_matching_etag_gets_a_304_without_a_body(page_cache, demo_article):
    url = demo_article.get_absolute_url()
    etag = call(page_cache, url).headers["etag"]
    revalidated = call(page_cache, url, headers={"If-None-Match": etag})
    assert revalidated.status == 304
    assert revalidated.body == b""
    assert revalidated.headers["etag"] == etag
    assert revalidated.headers["x-frame-options"] == "DENY"
    assert call(page_cache, url, headers={"If-None-Match": f"W/{etag}"}).status == 304
    assert call(page_cache, url, headers={"If-None-Match": '"other"'}).status == 200


def test_if_modified_since_gets_a_304_when_nothing_changed(page_cache, demo_article):
    url = demo_article.get_absolute_url()
    last_modified = call(page_cache, url).headers["last-modified"]
    assert call(page_cache, url, headers={"If-Modified-Since": last_modified}).status == 304
    earlier = http_date(0)
    assert call(page_cache, url, headers={"If-Modified-Since": earlier}).status == 200


def test_the_first_render_already_answers_a_conditional_request(page_cache, demo_article):
    """A 304 does not need a warm cache: the render is stored, then compared."""
    url = demo_article.get_absolute_url()
    etag = call(page_cache, url).headers["etag"]
    page_cache.store.invalidate()
    response = call(page_cache, url, headers={"If-None-Match": etag})
    assert response.headers["x-page-cache"] == "miss"
    assert response.status == 304


def test_head_gets_the_headers_without_the_body(page_cache, demo_article):
    url = demo_article.get_absolute_url()
    full = call(page_cache, url)
    head = call(page_cache, url, method="HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["content-length"] == str(len(full.body))


def test_a_head_request_is_answered_but_never_stored_empty(page_cache, demo_article):
    url = demo_article.get_absolute_url()
    head = call(page_cache, url, method="HEAD")
    assert head.status == 200
    full = call(page_cache, url)
    assert full.headers["x-page-cache"] == "miss"
    assert demo_article.headline.encode() in full.body


def test_a_broken_store_falls_back_to_django(page_cache, demo_article, monkeypatch):
    """Whatever goes wrong in the cache, the reader still gets the page."""

    def broken(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(page_cache.store, "get", broken)
    response = call(page_cache, demo_article.get_absolute_url())
    assert response.status == 200
    assert demo_article.headline.encode() in response.body


def test_a_post_never_gets_a_cached_page(page_cache, demo_article):
    url = demo_article.get_absolute_url()
    call(page_cache, url)
    posted = call(page_cache, url, method="POST", body=b"a=1")
    assert posted.status == 403  # Django's CSRF check ran: the request reached Django
    assert "x-page-cache" not in posted.headers
    assert demo_article.headline.encode() not in posted.body


def test_a_reader_with_a_session_never_gets_a_cached_page(page_cache, demo_article, editor):
    """Signed-in readers get Django's own render, marked private."""
    url = demo_article.get_absolute_url()
    call(page_cache, url)
    response = call(page_cache, url, headers={"Cookie": session_cookie(editor)})
    assert response.status == 200
    assert "x-page-cache" not in response.headers
    assert "private" in response.headers["cache-control"]


def test_a_session_render_is_never_stored_for_anonymous_readers(page_cache, demo_article, editor):
    url = demo_article.get_absolute_url()
    call(page_cache, url, headers={"Cookie": session_cookie(editor)})
    assert call(page_cache, url).headers["x-page-cache"] == "miss"


def test_credentials_and_messages_also_bypass_the_cache(page_cache, demo_article):
    url = demo_article.get_absolute_url()
    call(page_cache, url)
    assert (
        "x-page-cache" not in call(page_cache, url, headers={"Authorization": "Basic eDp5"}).headers
    )
    assert "x-page-cache" not in call(page_cache, url, headers={"Cookie": "messages=abc"}).headers


def test_a_cookie_that_does_not_change_the_page_still_gets_a_hit(page_cache, demo_article):
    """The engagement reader cookie or a CSRF cookie do not make the page personal."""
    url = demo_article.get_absolute_url()
    call(page_cache, url)
    response = call(page_cache, url, headers={"Cookie": "byline_reader=r1; csrftoken=abc"})
    assert response.headers["x-page-cache"] == "hit"


def test_tracking_parameters_share_the_page_and_others_bypass_it(page_cache, demo_article):
    url = demo_article.get_absolute_url()
    call(page_cache, url)
    assert call(page_cache, url + "?utm_source=x&fbclid=1").headers["x-page-cache"] == "hit"
    assert "x-page-cache" not in call(page_cache, url + "?q=anything").headers


def test_listing_pages_are_cached_apart(page_cache, settings):
    settings.BYLINE_ARTICLES_PER_PAGE = 1
    make_article("Newest story")
    make_article("Older story")
    assert "Newest story" in call(page_cache, "/").text
    second = call(page_cache, "/?page=2")
    assert second.headers["x-page-cache"] == "miss"
    assert "Older story" in second.text
    assert call(page_cache, "/?page=2").headers["x-page-cache"] == "hit"


def test_pages_are_stored_per_host_and_unknown_hosts_never(page_cache, demo_article, settings):
    settings.ALLOWED_HOSTS = ["news.example", "testserver"]
    url = demo_article.get_absolute_url()
    call(page_cache, url, host="news.example")
    assert call(page_cache, url, host="testserver").headers["x-page-cache"] == "miss"
    for _ in range(2):
        refused = call(page_cache, url, host="evil.example")
        assert refused.status == 400
        assert "x-page-cache" not in refused.headers


def test_only_marked_pages_are_stored(page_cache, demo_article):
    """JSON endpoints, 404s and the admin always go to Django."""
    for url in ("/api/csrf/", "/articles/no-such-article/", "/admin/login/"):
        call(page_cache, url)
        assert "x-page-cache" not in call(page_cache, url).headers


def test_nginx_may_keep_a_page_for_the_configured_seconds(page_cache, demo_article, settings):
    settings.BYLINE_PAGE_CACHE_NGINX_SECONDS = 1
    assert call(page_cache, demo_article.get_absolute_url()).headers["x-accel-expires"] == "1"


def test_with_the_cache_off_every_read_goes_to_django(page_cache, demo_article, settings):
    settings.BYLINE_PAGE_CACHE = False
    url = demo_article.get_absolute_url()
    for _ in range(2):
        response = call(page_cache, url)
        assert response.status == 200
        assert "x-page-cache" not in response.headers
