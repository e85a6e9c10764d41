"""Static pages in the menus editors manage, and the demo that shows the newsroom's
features: About, Contact and Ethics pages, an article with an in-body image and an embed."""

from __future__ import annotations

import re

import pytest

from byline.articles.demo import DEMO_SLUG, read_demo_text
from byline.articles.models import Article, StaticPage
from byline.demo import load_demo_site
from byline.media import demo as media_demo
from byline.media.models import Image
from tests.htmlcheck import assert_valid_html, needs_java

pytestmark = pytest.mark.django_db


def header_pages(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Site pages">(.*?)</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', nav.group(1)) if nav else []


def footer_pages(html: str) -> list[str]:
    footer = html.split('<footer class="site-footer">')[1]
    return re.findall(r'href="([^"]+)"', footer)


def test_editors_choose_the_menu_and_the_order_of_each_page(client):
    StaticPage.objects.create(title="Ethics", path="/ethics/", status="published",
                              in_footer=True, footer_order=3)  # fmt: skip
    StaticPage.objects.create(title="About", path="/about/", status="published",
                              in_header=True, in_footer=True, footer_order=1)  # fmt: skip
    StaticPage.objects.create(title="Contact", path="/contact/", status="published",
                              in_header=True, in_footer=True, footer_order=2)  # fmt: skip
    StaticPage.objects.create(title="Draft", path="/draft/", in_header=True, in_footer=True)
    html = client.get("/").text
    assert header_pages(html) == ["/about/", "/contact/"]
    assert footer_pages(html) == ["/about/", "/contact/", "/ethics/"]


def test_the_menus_are_edited_from_the_page_list(editor_client, client):
    about = StaticPage.objects.create(title="About", path="/about/", status="published")
    changelist = editor_client.get("/admin/articles/staticpage/").text
    assert 'name="form-0-in_header"' in changelist and 'name="form-0-footer_order"' in changelist
    response = editor_client.post(
        "/admin/articles/staticpage/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(about.pk),
            "form-0-in_header": "on",
            "form-0-footer_order": "4",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert header_pages(client.get("/").text) == ["/about/"]


def test_the_demo_seeds_pages_in_the_menus_and_in_the_sitemap(client):
    load_demo_site()
    for path in ("/about/", "/contact/", "/ethics/"):
        assert client.get(path).status_code == 200
        assert f"http://testserver{path}" in client.get("/sitemap-pages.xml").text
    html = client.get("/").text
    assert header_pages(html) == ["/about/"]
    assert footer_pages(html) == ["/about/", "/contact/", "/ethics/"]


def test_the_demo_article_shows_an_in_body_image_and_an_embed_facade(client):
    load_demo_site()
    article = Article.objects.get(slug=media_demo.DEMO_SLUG)
    html = client.get(article.get_absolute_url()).text
    body = html[html.index('<div class="body">') :].split("</div>")[0]
    assert '<figure class="image"><picture><source type="image/webp" srcset=' in body
    assert "Drawing: Byline demo" in body
    assert 'data-provider="youtube"' in body and "<iframe" not in body
    assert "/static/media/embeds.js" in html
    assert article.lead_media is not None
    assert Image.objects.count() == 2


def test_the_seed_article_stays_exactly_as_captured():
    load_demo_site()
    article = Article.objects.get(slug=DEMO_SLUG)
    text = read_demo_text()
    assert (article.headline, article.standfirst, article.body) == (
        text.headline,
        text.standfirst,
        text.body,
    )
    assert article.lead_media is None and not article.lead_image


def test_loading_the_demo_again_adds_nothing():
    load_demo_site()
    counts = (Article.objects.count(), StaticPage.objects.count(), Image.objects.count())
    load_demo_site()
    assert (Article.objects.count(), StaticPage.objects.count(), Image.objects.count()) == counts


@needs_java
def test_the_pages_with_pictures_embeds_and_menus_are_valid_html(client, tmp_path):
    """The demo's picture-and-embed article, a page, and the front page pass the Nu checker."""
    load_demo_site()
    article = Article.objects.get(slug=media_demo.DEMO_SLUG)
    pages = {
        "media-article": client.get(article.get_absolute_url()).text,
        "about": client.get("/about/").text,
        "front": client.get("/").text,
    }
    folder = tmp_path / "html"
    folder.mkdir()
    assert_valid_html(pages, folder)
