"""The front and article pages are valid HTML (Nu HTML Checker) and use semantic elements."""

from pathlib import Path

import pytest

from tests.factory import make_article, make_author, make_section, make_tag
from tests.htmlcheck import assert_valid_html, needs_java

pytestmark = pytest.mark.django_db


def pages(client, demo_article) -> dict[str, str]:
    section, tag, author = make_section("Politics"), make_tag("Votes"), make_author("Ada")
    make_article("Second story", section=section, tags=[tag], authors=[author])
    urls = {
        "front": "/",
        "article": demo_article.get_absolute_url(),
        "section": section.get_absolute_url(),
        "tag": tag.get_absolute_url(),
        "author": author.get_absolute_url(),
        "not-found": "/no/such/page/",
    }
    return {name: client.get(url).content.decode() for name, url in urls.items()}


@needs_java
def test_pages_pass_the_nu_html_checker(client, demo_article, tmp_path: Path):
    assert_valid_html(pages(client, demo_article), tmp_path)


def test_pages_use_semantic_elements(client, demo_article):
    html = pages(client, demo_article)
    for element in ["<header", "<nav", "<main", "<footer", "<article", "<time"]:
        assert element in html["article"], element
    assert "<article" in html["front"]
    assert '<html lang="en">' in html["front"]


def demo_site_pages(client, settings, tmp_path) -> dict[str, str]:
    """The pages of the site `make run` shows: lead, grid with pictures, rails, author box,
    share links, related articles, and the comment-data page."""
    from byline.articles.models import Section
    from byline.demo import load_demo_site

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BYLINE_ARTICLES_PER_PAGE = 4  # a second page of the grid alone
    article = load_demo_site()
    story = Section.objects.get(slug="city").articles.first()
    urls = {
        "front": "/",
        "front-2": "/?page=2",
        "section": "/section/city/",
        "author": story.authors.first().get_absolute_url(),
        "tag": article.tags.first().get_absolute_url(),
        "story": story.get_absolute_url(),
        "data": "/comments/data/",
    }
    responses = {name: client.get(url) for name, url in urls.items()}
    assert {r.status_code for r in responses.values()} == {200}
    return {name: response.content.decode() for name, response in responses.items()}


@needs_java
def test_the_demo_sites_pages_pass_the_nu_html_checker(client, settings, tmp_path: Path):
    assert_valid_html(demo_site_pages(client, settings, tmp_path), tmp_path)
