"""JSON-LD NewsArticle, Open Graph and Twitter tags, feed links, a canonical link on every page."""

import json
import re

import pytest
from django.test import override_settings

from byline.articles.structured_data import news_article
from byline.engagement.models import ArticleStats
from tests.factory import make_article, make_author, make_section, make_tag, pixel_upload

pytestmark = pytest.mark.django_db


def json_ld(html: str) -> dict:
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block)


def meta(html: str, key: str) -> list[str]:
    return re.findall(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', html)


def canonical(html: str) -> list[str]:
    return re.findall(r'<link rel="canonical" href="([^"]*)">', html)


def test_the_article_page_carries_a_news_article(client, demo_article):
    ArticleStats.objects.create(article=demo_article, views=5, comments=3)
    data = json_ld(client.get(demo_article.get_absolute_url()).text)
    url = f"http://testserver{demo_article.get_absolute_url()}"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == demo_article.headline
    assert data["description"].startswith("The biggest offensive against ISIS")
    assert data["url"] == data["mainEntityOfPage"]["@id"] == url
    assert data["wordCount"] == demo_article.word_count > 1000
    assert data["timeRequired"] == "PT4M38S"
    assert data["commentCount"] == 3
    assert data["datePublished"].startswith(str(demo_article.published_at.year))
    assert data["author"] == [
        {"@type": "Person", "name": "Byline Demo", "url": "http://testserver/author/byline-demo/"}
    ]
    assert data["publisher"]["name"] == "Byline"
    assert data["articleSection"] == "World"
    assert "aggregateRating" not in data
    # No lead image: the site's default stands in (search engines require an image).
    assert data["image"] == ["http://testserver/static/byline/default-image.png"]


def test_aggregate_rating_is_included_only_when_given():
    article = make_article()
    without = news_article(article, origin="https://x.example", comment_count=0)
    rated = news_article(
        article,
        origin="https://x.example",
        comment_count=0,
        aggregate_rating={"ratingValue": 4.5, "ratingCount": 12},
    )
    assert "aggregateRating" not in without
    assert rated["aggregateRating"] == {
        "@type": "AggregateRating",
        "bestRating": 5,
        "worstRating": 1,
        "ratingValue": 4.5,
        "ratingCount": 12,
    }


def test_the_page_passes_a_rating_from_its_context(rf):
    """The article view only has to put ``aggregate_rating`` in its context."""
    from django.template import Context, Template

    article = make_article()
    request = rf.get(article.get_absolute_url())
    html = Template("{% load seo %}{% seo_head %}").render(
        Context({"request": request, "article": article, "aggregate_rating": {"ratingValue": 3}})
    )
    assert json_ld(html)["aggregateRating"]["ratingValue"] == 3


def test_the_front_page_describes_the_site_and_its_search(client):
    data = json_ld(client.get("/").text)
    assert data["@type"] == "WebSite"
    assert data["url"] == "http://testserver/"
    assert data["potentialAction"]["target"]["urlTemplate"] == (
        "http://testserver/search/?q={search_term_string}"
    )


def test_json_ld_cannot_be_broken_out_of(client):
    article = make_article("</script><script>alert(1)</script> & more")
    html = client.get(article.get_absolute_url()).text
    assert "</script><script>alert(1)" not in html
    assert json_ld(html)["headline"] == "</script><script>alert(1)</script> & more"


def test_open_graph_and_twitter_tags_describe_the_article(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    article = make_article(
        "Harbour at dawn",
        standfirst="Boats *leave* early.",
        section=make_section("Local"),
        tags=[make_tag("Sea")],
        authors=[make_author("Ada", slug="ada")],
        lead_image=pixel_upload("boat.gif"),
        lead_image_alt="Boats in the mist",
    )
    with override_settings(BYLINE_TWITTER_SITE="@byline"):
        html = client.get(article.get_absolute_url()).text
    url = f"http://testserver{article.get_absolute_url()}"
    assert meta(html, "og:type") == ["article"]
    assert meta(html, "og:title") == ["Harbour at dawn"]
    assert meta(html, "og:description") == ["Boats leave early."]
    assert meta(html, "og:url") == [url]
    assert meta(html, "og:image")[0].startswith("http://testserver/media/lead/")
    assert meta(html, "og:image:alt") == ["Boats in the mist"]
    assert meta(html, "article:section") == ["Local"]
    assert meta(html, "article:tag") == ["Sea"]
    assert meta(html, "article:author") == ["http://testserver/author/ada/"]
    assert meta(html, "twitter:card") == ["summary_large_image"]
    assert meta(html, "twitter:site") == ["@byline"]
    assert json_ld(html)["image"] == meta(html, "og:image")


def test_every_page_has_one_canonical_link(client, demo_article):
    section, tag, author = make_section(), make_tag(), make_author()
    make_article(section=section, tags=[tag], authors=[author])
    pages = {
        "/": "http://testserver/",
        "/?utm_source=mail": "http://testserver/",
        "/?page=1": "http://testserver/",
        demo_article.get_absolute_url() + "?utm_campaign=x": (
            f"http://testserver{demo_article.get_absolute_url()}"
        ),
        section.get_absolute_url(): f"http://testserver{section.get_absolute_url()}",
        tag.get_absolute_url(): f"http://testserver{tag.get_absolute_url()}",
        author.get_absolute_url(): f"http://testserver{author.get_absolute_url()}",
        "/search/?q=iraq&page=1": "http://testserver/search/?q=iraq",
    }
    for path, expected in pages.items():
        assert canonical(client.get(path).text) == [expected], path
    # An error page names no canonical address: there is nothing there to index.
    assert canonical(client.get("/no/such/page/").text) == []


@override_settings(BYLINE_SITE_URL="https://news.example")
def test_canonical_and_share_links_use_the_configured_site_url(client, demo_article):
    html = client.get(demo_article.get_absolute_url()).text
    assert canonical(html) == [f"https://news.example{demo_article.get_absolute_url()}"]
    assert json_ld(html)["url"].startswith("https://news.example/")


def test_pages_link_their_feeds(client, demo_article):
    section = demo_article.section
    feeds = re.compile(
        r'<link rel="alternate" type="application/rss\+xml" title="[^"]*" href="([^"]*)">'
    )
    assert feeds.findall(client.get("/").text) == ["http://testserver/feed/"]
    assert feeds.findall(client.get(section.get_absolute_url()).text) == [
        "http://testserver/feed/",
        f"http://testserver/section/{section.slug}/feed/",
    ]
    assert feeds.findall(client.get(demo_article.get_absolute_url()).text)[1] == (
        f"http://testserver{demo_article.get_absolute_url()}comments/feed/"
    )


def test_publishing_pages_are_the_same_for_every_reader_and_set_no_cookie(demo_article):
    """Search, feeds, sitemaps and robots.txt can be cached whole, like article pages."""
    from django.test import Client

    urls = ["/search/?q=iraq", "/feed/", "/feed/atom/", "/sitemap.xml", "/sitemap-news.xml",
            "/robots.txt", demo_article.get_absolute_url()]  # fmt: skip
    for url in urls:
        first, second = Client().get(url), Client().get(url)
        assert first.status_code == 200, url
        assert not first.cookies and not second.cookies, url
        assert first.content == second.content, url


def test_the_article_page_reads_its_tags_and_authors_once_even_when_it_has_none(client):
    """The head's tags and authors are the view's lists: an empty list is not asked again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    article = make_article("Untagged", tags=[], authors=[])
    with CaptureQueriesContext(connection) as captured:
        html = client.get(article.get_absolute_url()).text
    assert json_ld(html)["headline"] == "Untagged"
    asked = [query["sql"] for query in captured.captured_queries]
    assert sum('FROM "articles_tag"' in sql for sql in asked) == 1
    assert sum('FROM "articles_author"' in sql for sql in asked) == 1
