"""Every reader-facing page renders, in the capture's order, with real figures."""

import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import path
from django.utils import timezone

from tests.factory import make_article, make_author, make_section, make_tag, pixel_upload
from tests.styled import carries_the_site_styles

pytestmark = pytest.mark.django_db


def test_the_article_page_follows_the_captured_order(client, demo_article):
    """Headline, views and comments counters, reading time, standfirst, body."""
    html = client.get(demo_article.get_absolute_url()).text
    positions = [
        html.index("<h1>Iraq’s Attack Against ISIS Catches U.S. ‘By Surprise’</h1>"),
        html.index('data-counter="views"'),
        html.index('data-counter="comments"'),
        html.index("Read Time:"),
        html.index('<div class="standfirst"><p>The biggest offensive against ISIS'),
        html.index("<p>The Iraqi military launched a major campaign"),
    ]
    assert positions == sorted(positions)


def test_the_demo_article_shows_every_count_at_zero(client, demo_article):
    html = client.get(demo_article.get_absolute_url()).text
    assert re.search(r'data-counter="views"><span class="count">0</span>', html)
    assert re.search(r'data-counter="comments"><span class="count">0</span>', html)


def test_counters_come_from_the_database(client, demo_article):
    """Counts are read from the engagement figures, never written into the template."""
    from byline.engagement.models import ArticleStats

    ArticleStats.objects.create(article=demo_article, views=1234, comments=7)
    html = client.get(demo_article.get_absolute_url()).text
    assert '<span class="count">1234</span> <span class="label">views</span>' in html
    assert '<span class="count">7</span> <span class="label">comments</span>' in html


def test_reading_time_is_shown_in_a_time_element(client, demo_article):
    html = client.get(demo_article.get_absolute_url()).text
    assert 'Read Time: <time datetime="PT4M38S">4 minutes, 38 seconds</time>' in html


def test_body_markdown_is_rendered_and_sanitized(client):
    article = make_article(
        body="Some *emphasis* and a [link](https://example.org).\n\n"
        '<script>alert(1)</script><a href="javascript:alert(1)" onclick="x()">bad</a>'
    )
    html = client.get(article.get_absolute_url()).text
    assert "<em>emphasis</em>" in html
    assert 'href="https://example.org"' in html
    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert "onclick" not in html


def test_the_front_page_lists_latest_first_and_paginates(client):
    now = timezone.now()
    make_article("Oldest story", published_at=now - timedelta(days=3))
    make_article("Middle story", published_at=now - timedelta(days=2))
    make_article("Newest story", published_at=now - timedelta(days=1))
    with override_settings(BYLINE_ARTICLES_PER_PAGE=2):
        first = client.get("/").text
        second = client.get("/?page=2").text
    assert first.index("Newest story") < first.index("Middle story")
    assert "Oldest story" not in first
    assert "Oldest story" in second
    assert 'rel="next"' in first


def test_section_tag_and_author_pages_list_their_articles(client):
    section, tag, author = make_section("Politics"), make_tag("Elections"), make_author("Ada")
    mine = make_article("Filed here", section=section, tags=[tag], authors=[author])
    make_article("Elsewhere")
    for url in [section.get_absolute_url(), tag.get_absolute_url(), author.get_absolute_url()]:
        html = client.get(url).text
        assert mine.headline in html
        assert "Elsewhere" not in html


def test_unknown_section_is_404_in_the_sites_style(client):
    response = client.get("/section/nope/")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert carries_the_site_styles(response.text)


def broken_view(request):
    raise RuntimeError("boom")


urlpatterns = [path("broken/", broken_view)]


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_server_error_shows_the_sites_500_page(client):
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert carries_the_site_styles(response.text)
    assert "boom" not in response.text


def test_lead_image_has_alt_text_and_caption(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    article = make_article(
        lead_image=pixel_upload("pic.gif"),
        lead_image_alt="Troops at dawn",
        lead_image_caption="Near Tikrit.",
    )
    html = client.get(article.get_absolute_url()).text
    assert 'alt="Troops at dawn"' in html
    assert "<figcaption>Near Tikrit.</figcaption>" in html


def test_anonymous_article_page_sets_no_cookie(client, demo_article):
    """The page is the same for every reader, so it can be cached whole."""
    response = client.get(demo_article.get_absolute_url())
    assert not response.cookies
