"""sitemap.xml (split past 50,000 URLs), the Google News sitemap, and robots.txt naming them."""

from datetime import datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.test import override_settings
from django.utils import timezone

from byline.articles import sitemaps
from byline.articles.models import Article
from tests.factory import make_article, make_author, make_section, make_tag, store_as_is

pytestmark = pytest.mark.django_db

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


def xml(client, url: str) -> ElementTree.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/xml")
    return ElementTree.fromstring(response.content)  # noqa: S314 (our own output)


def locations(root: ElementTree.Element) -> list[str]:
    return [loc.text for loc in root.iter(f"{{{NS['sm']}}}loc")]


def test_the_index_names_every_sitemap_and_each_lists_its_pages_with_lastmod(client):
    section, tag, author = make_section(), make_tag(), make_author()
    article = make_article(section=section, tags=[tag], authors=[author])
    make_article("Draft", status=Article.Status.DRAFT, slug="the-draft")
    index = xml(client, "/sitemap.xml")
    sitemaps_listed = locations(index)
    assert sitemaps_listed == [
        f"http://testserver/sitemap-{name}.xml"
        for name in ["front", "articles", "sections", "tags", "authors"]
    ]
    assert all(entry.find("sm:lastmod", NS) is not None for entry in index)
    pages = {
        url: locations(xml(client, url.removeprefix("http://testserver")))
        for url in sitemaps_listed
    }
    every_url = sum(pages.values(), [])
    for page in ["/", article.get_absolute_url(), section.get_absolute_url()]:
        assert f"http://testserver{page}" in every_url
    assert f"http://testserver{tag.get_absolute_url()}" in every_url
    assert f"http://testserver{author.get_absolute_url()}" in every_url
    assert "http://testserver/articles/the-draft/" not in every_url
    entry = xml(client, "/sitemap-articles.xml")[0]
    lastmod = entry.find("sm:lastmod", NS).text
    assert lastmod.startswith(str(timezone.now().year)) and "T" in lastmod


def test_sections_without_published_articles_are_left_out(client):
    empty = make_section("Empty")
    make_article(section=make_section("Full"))
    assert f"http://testserver{empty.get_absolute_url()}" not in locations(
        xml(client, "/sitemap-sections.xml")
    )


def test_a_sitemap_past_its_limit_is_split_into_pages_listed_in_the_index(client, monkeypatch):
    """The protocol's limit is 50,000 URLs (Byline's pages hold 1,000, each quick to write);
    with a limit of 2, five articles take three pages."""
    assert sitemaps.ArticleSitemap.limit <= 50_000
    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", 2)
    for n in range(5):
        make_article(f"Story {n}")
    listed = locations(xml(client, "/sitemap.xml"))
    article_pages = [url for url in listed if "sitemap-articles" in url]
    assert article_pages == [
        "http://testserver/sitemap-articles.xml",
        "http://testserver/sitemap-articles.xml?page=2",
        "http://testserver/sitemap-articles.xml?page=3",
    ]
    counts = [len(locations(xml(client, f"/sitemap-articles.xml?page={p}"))) for p in (1, 2, 3)]
    assert counts == [2, 2, 1]


def test_sitemap_pages_are_id_ranges_never_offsets_and_never_overfull(client, monkeypatch):
    """Page N holds the published articles of the Nth range of ids: read from the primary
    key, with no COUNT of every article and no OFFSET; a gap (a draft, a deleted article)
    leaves a page short, never long; past the last page, or a page that is no number, 404."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", 3)
    stories = [make_article(f"Story {n}") for n in range(7)]
    stories[1].delete()
    Article.objects.filter(pk=stories[4].pk).update(status=Article.Status.DRAFT)
    with CaptureQueriesContext(connection) as captured:
        index = locations(xml(client, "/sitemap.xml"))
        pages = [locations(xml(client, f"/sitemap-articles.xml?page={p}")) for p in (1, 2, 3)]
    assert [url for url in index if "sitemap-articles" in url][-1].endswith("?page=3")
    expected = [[stories[n] for n in ns] for ns in ((0, 2), (3, 5), (6,))]
    assert pages == [[f"http://testserver{a.get_absolute_url()}" for a in p] for p in expected]
    for query in captured.captured_queries:
        sql = query["sql"].upper()
        if "ARTICLES_ARTICLE" in sql and "COUNT(" in sql:
            assert "EXISTS" in sql or "LIMIT" in sql, sql  # no count of every article
        assert "OFFSET" not in sql, sql
    for page in ("4", "0", "-1", "x", "²", "1.5", "9" * 40):
        assert client.get(f"/sitemap-articles.xml?page={page}").status_code == 404, page


def test_the_news_sitemap_lists_the_last_48_hours(client):
    now = timezone.now()
    fresh = make_article("Fresh & new", published_at=now - timedelta(hours=5))
    make_article("Old news", published_at=now - timedelta(hours=49))
    make_article("Not yet", published_at=now + timedelta(hours=1))
    root = xml(client, "/sitemap-news.xml")
    urls = root.findall("sm:url", NS)
    assert [u.find("sm:loc", NS).text for u in urls] == [
        f"http://testserver{fresh.get_absolute_url()}"
    ]
    news = urls[0].find("news:news", NS)
    assert news.find("news:publication/news:name", NS).text == "Byline"
    assert news.find("news:publication/news:language", NS).text == "en"
    assert news.find("news:title", NS).text == "Fresh & new"
    assert news.find("news:publication_date", NS).text.startswith(str(now.year))


def test_robots_txt_names_both_sitemaps(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Sitemap: http://testserver/sitemap-news.xml" in lines
    assert "Disallow: /admin/" in lines


@override_settings(BYLINE_SITE_URL="https://news.example")
def test_sitemaps_use_the_configured_site_url(client):
    article = make_article()
    assert locations(xml(client, "/sitemap.xml"))[0] == "https://news.example/sitemap-front.xml"
    assert f"https://news.example{article.get_absolute_url()}" in locations(
        xml(client, "/sitemap-articles.xml")
    )
    assert "Sitemap: https://news.example/sitemap.xml" in client.get("/robots.txt").text


def test_an_unknown_sitemap_is_404(client):
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_article_locations_match_their_addresses_whatever_the_slug(client):
    """The sitemap writes each article's address without reverse(); it is the same one,
    non-ASCII and punctuation included."""
    article = make_article("Ça coûte: 100 % d’augmentation?", slug="ça-coûte-100-%-d’augmentation")
    listed = locations(xml(client, "/sitemap-articles.xml"))
    assert f"http://testserver{article.get_absolute_url()}" in listed


def test_tags_and_authors_come_in_smaller_pages_at_their_addresses(client, monkeypatch):
    """A subject is dated by reading its newest articles, so subjects come fewer to a page
    than articles; each is listed once, at the address ``reverse()`` gives it, non-ASCII
    slugs included, dated by its newest article."""
    assert sitemaps.TagSitemap.limit < sitemaps.ArticleSitemap.limit
    monkeypatch.setattr(sitemaps.TagSitemap, "limit", 2)
    tags = [make_tag(f"Tag {n}", slug=f"étiquette-{n}") for n in range(5)]
    author = make_author("Zoë", slug="zoë")
    articles = [make_article(f"On {tag.name}", tags=[tag], authors=[author]) for tag in tags]
    make_tag("Unused", slug="unused")  # no published article: not listed
    index = [url for url in locations(xml(client, "/sitemap.xml")) if "sitemap-tags" in url]
    assert len(index) == 3  # five tags with articles, two to a page
    pages = [xml(client, f"/sitemap-tags.xml?page={page}") for page in (1, 2, 3)]
    listed = [url for page in pages for url in locations(page)]
    assert listed == [f"http://testserver{tag.get_absolute_url()}" for tag in tags]
    authors = xml(client, "/sitemap-authors.xml")
    assert locations(authors) == [f"http://testserver{author.get_absolute_url()}"]
    stamp = authors[0].find("sm:lastmod", NS).text
    newest = max(max(a.published_at, a.updated_at) for a in articles)
    assert datetime.fromisoformat(stamp) == newest


def test_the_old_page_parameter_leads_to_the_new_address(client):
    """``?p=2`` (Django's name, which the page cache does not key on) → ``?page=2``, 301."""
    response = client.get("/sitemap-articles.xml?p=2")
    assert response.status_code == 301
    assert response["Location"] == "/sitemap-articles.xml?page=2"


def test_a_tag_is_dated_by_the_latest_publication_or_update_among_its_articles(client):
    """Not the publication of its newest-written article: a draft published later, or an
    article updated since, moves the tag's date, as they move its page."""
    tag, author = make_tag(), make_author()
    now = timezone.now()
    older = make_article("Written first", tags=[tag], authors=[author])
    newer = make_article("Written second", tags=[tag], authors=[author])
    Article.objects.filter(pk=newer.pk).update(
        published_at=now - timedelta(days=3), updated_at=now - timedelta(days=3)
    )
    Article.objects.filter(pk=older.pk).update(
        published_at=now - timedelta(days=2), updated_at=now - timedelta(days=2)
    )

    def lastmod(name: str) -> datetime:
        stamp = xml(client, f"/sitemap-{name}.xml")[0].find("sm:lastmod", NS).text
        return datetime.fromisoformat(stamp)

    assert lastmod("tags") == lastmod("authors") == now - timedelta(days=2)
    Article.objects.filter(pk=newer.pk).update(updated_at=now - timedelta(hours=1))
    assert lastmod("tags") == lastmod("authors") == now - timedelta(hours=1)


def test_the_news_sitemap_stays_valid_xml_when_a_headline_carries_a_control_character(client):
    """A vertical tab or escape pasted into a headline is left out of the news sitemap,
    which stays XML that crawlers can read."""
    article = make_article("Tide", published_at=timezone.now() - timedelta(hours=1))
    store_as_is(article, headline="Tide\x0b tables \x1bchange")  # saving would clean it
    root = xml(client, "/sitemap-news.xml")
    title = root.find("sm:url/news:news/news:title", NS).text
    assert title == "Tide tables change"
