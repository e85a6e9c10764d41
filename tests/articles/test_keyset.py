"""Deep listing pages by position (``?before=<id>``), never by a big OFFSET.

"Older stories" and "Newer stories" are plain links (no JavaScript) with
rel="next" and rel="prev"; walking them visits every article of the listing
once, in order, and back. A cursor that names no article of the listing sends
the reader to its first page; a cursor written another way, to its one
address. No cursor, however hostile, gets a 5xx.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byline.articles.models import Article
from tests.factory import make_article, make_section, make_tag

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', html)
    return unescape(found.group(1)) if found else None


def headlines(html: str) -> list[str]:
    return re.findall(r"<h[23]><a href=\"[^\"]+\">([^<]+)</a></h[23]>", html)


def archive(count: int, **fields) -> list[Article]:
    """``count`` articles in listing order (latest first); three at a time share one
    publication instant, so the id orders them (the later id first)."""
    for n in range(count):
        at = NOW - timedelta(hours=n - n % 3)
        make_article(f"Story {n:02}", published_at=at, **fields)
    return list(
        Article.objects.filter(headline__startswith="Story ").order_by("-published_at", "-pk")
    )


def walk(client, url: str, rel: str) -> tuple[list[str], list[str]]:
    """Follow ``rel`` links from ``url``: the addresses visited and the headlines shown."""
    visited, shown = [], []
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200, url
        visited.append(url)
        shown += headlines(response.text)
        url = link(response.text, rel)
        assert len(visited) < 50, "the links go round in circles"
    return visited, shown


def test_older_links_visit_every_article_once_in_order_and_newer_links_come_back(client, settings):
    """Articles published at the same instant included: (published_at, id) orders them."""
    settings.BYLINE_ARTICLES_PER_PAGE = 4
    stories = archive(17)
    visited, shown = walk(client, "/", "next")
    assert shown == [story.headline for story in stories]
    assert all(re.fullmatch(r"/\?before=\d+", url) for url in visited[1:])
    back, _ = walk(client, visited[-1], "prev")
    assert back == list(reversed(visited))


def test_a_deep_page_is_read_from_its_cursor_with_the_queries_of_the_second(client, settings):
    """The page after 4,000 articles costs what the second costs: no OFFSET, no COUNT."""
    settings.BYLINE_ARTICLES_PER_PAGE = 2
    stories = archive(9)
    client.get("/")  # navigation and other per-process reads
    with CaptureQueriesContext(connection) as second:
        client.get(f"/?before={stories[1].pk}")
    with CaptureQueriesContext(connection) as deep:
        html = client.get(f"/?before={stories[6].pk}").text
    assert headlines(html) == [stories[7].headline, stories[8].headline]
    assert len(deep.captured_queries) == len(second.captured_queries)
    for query in deep.captured_queries:
        assert "OFFSET" not in query["sql"].upper() and "COUNT(" not in query["sql"].upper()


def test_section_tag_and_author_pages_page_through_their_own_articles(client, settings):
    settings.BYLINE_ARTICLES_PER_PAGE = 2
    section, tag = make_section("Politics"), make_tag("Budget")
    filed = archive(5, section=section, tags=[tag])
    make_article("Elsewhere", published_at=NOW - timedelta(minutes=90))
    for url in (section.get_absolute_url(), tag.get_absolute_url()):
        _, shown = walk(client, url, "next")
        assert shown == [article.headline for article in filed]
    # Another listing's article is no cursor here: back to the first page.
    elsewhere = Article.objects.get(headline="Elsewhere")
    response = client.get(f"{tag.get_absolute_url()}?before={elsewhere.pk}")
    assert response.status_code == 302 and response["Location"] == tag.get_absolute_url()


@pytest.mark.parametrize(
    "query",
    ["before=", "before=abc", "before=0", "before=-3", "before=²", "before=9" * 3, "before=1e3"],
)
def test_a_cursor_that_names_no_article_sends_the_reader_to_the_first_page(client, query):
    make_article("Only story")
    response = client.get(f"/?{query}")
    assert response.status_code == 302 and response["Location"] == "/"


def test_an_unpublished_or_protected_article_is_no_cursor(client):
    draft = make_article("Draft", status=Article.Status.DRAFT)
    locked = make_article("Locked", password="secret")
    for article in (draft, locked):
        response = client.get(f"/?before={article.pk}")
        assert response.status_code == 302 and response["Location"] == "/"


def test_a_cursor_written_another_way_goes_to_its_one_address(client, settings):
    settings.BYLINE_ARTICLES_PER_PAGE = 1
    stories = archive(3)
    canonical = f"/?before={stories[0].pk}"
    for url in (f"/?before=00{stories[0].pk}", f"/?page=2&before={stories[0].pk}"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == canonical
    html = client.get(canonical).text
    assert f'<link rel="canonical" href="http://testserver{canonical}">' in html


def test_numbered_pages_stop_where_offsets_would_get_slow(client, settings):
    """``?page=N`` (old links) works for the first pages; deeper ones are reached by cursor."""
    from byline.articles.keyset import NUMBERED_PAGES

    settings.BYLINE_ARTICLES_PER_PAGE = 1
    archive(NUMBERED_PAGES + 2)
    last = client.get(f"/?page={NUMBERED_PAGES}")
    assert last.status_code == 200
    assert re.fullmatch(r"/\?before=\d+", link(last.text, "next"))
    assert client.get(f"/?page={NUMBERED_PAGES + 1}").status_code == 404


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=st.text(max_size=30) | st.integers(min_value=-(2**70), max_value=2**70).map(str))
def test_no_cursor_gets_a_server_error(client, value):
    """Any ``?before=`` value: the page (a real article's cursor), a redirect, or a 400 for
    what no browser sends (a NUL, see ``byline.errors``); never a 5xx."""
    response = client.get("/", {"before": value})
    assert response.status_code in (200, 302, 400)


def test_links_of_a_listing_with_a_unicode_address_are_percent_encoded(client, settings):
    settings.BYLINE_ARTICLES_PER_PAGE = 1
    tag = make_tag("Économie", slug="économie")
    archive(3, tags=[tag])
    html = client.get(tag.get_absolute_url()).text
    older = link(html, "next")
    assert older.startswith("/tag/%C3%A9conomie/?before=")
    assert client.get(older).status_code == 200
