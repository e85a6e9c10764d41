"""Real copy on a phone: words longer than the line, wide images and tables never
make the page scroll sideways (390 px), nor a desktop's (1280 px).

German compounds, long addresses and names without spaces come in headlines,
standfirsts, tags and bodies; WordPress's captioned images (``[caption
align="aligncenter" width="1200"]``) and bare tables come in imports.
"""

from __future__ import annotations

import pytest
from PIL import Image

from byline.wordpress import content
from tests.factory import make_article, make_section, make_tag

WIDTHS = [390, 1280]
COMPOUND = "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz"
ADDRESS = "https://www.example.org/" + "a-very-long-path-segment-without-spaces" * 4


@pytest.fixture
def long_words(settings, tmp_path):
    """A section, a tag and two articles full of long words, a wide image and a table."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    Image.new("RGB", (1200, 800), "steelblue").save(settings.MEDIA_ROOT / "wide.png")
    wordpress_body = content.body_html(
        '[caption id="attachment_5" align="aligncenter" width="1200"]'
        '<img src="/media/wide.png" alt="The harbour" width="1200" height="800"> '
        "The harbour at dawn, seen from the new footbridge.[/caption]\n\n"
        '[caption id="attachment_6" align="aligncenter" width="1200"]'
        '<img src="/media/gone-with-the-old-site.png" alt="The quay" width="1200" height="800"> '
        "The quay, on the old site that no longer answers.[/caption]\n\n"
        f"{ADDRESS}\n\n"
        "<table><tr>" + "".join(f"<td>column-number-{n}</td>" for n in range(14)) + "</tr></table>"
    )
    section = make_section("Das " + COMPOUND)
    tag = make_tag(COMPOUND + "diskussion")
    make_article(
        f"Bundestag beschließt {COMPOUND}",
        section=section,
        tags=[tag],
        standfirst=f"Das {COMPOUND} tritt in Kraft; siehe {ADDRESS}.",
        body=content.as_markdown_source(wordpress_body),
    )
    return make_article(
        f"{COMPOUND} zum Zweiten",
        section=section,
        tags=[tag],
        standfirst=f"{COMPOUND}{COMPOUND}",
        body=f"{COMPOUND * 3}\n\n[{ADDRESS}]({ADDRESS})",
    )


def overflowing(page) -> list[str]:
    """What sticks out past the right edge, by tag and text (empty when the page fits)."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth <= width) return [];
          return [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > width + 1)
            .map(el => el.tagName + ': ' + (el.textContent || '').trim().slice(0, 40));
        }"""
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_long_words_and_wide_content_fit_the_width(new_page, long_words, width):
    """The front page, the section, tag and search pages and both articles fit."""
    page = new_page(width=width)
    urls = [
        "/",
        long_words.section.get_absolute_url(),
        long_words.tags.first().get_absolute_url(),
        f"/search/?q={COMPOUND}",
        *(article.get_absolute_url() for article in long_words.section.articles.all()),
    ]
    for url in urls:
        page.goto(url)
        assert overflowing(page) == [], url


def test_a_centred_captioned_image_shrinks_to_the_column_and_its_caption_wraps(
    new_page, long_words
):
    """A 1,200 px WordPress image with a caption fills a phone's column, loaded or
    not (an import whose old site is gone); the caption sits under it, wrapped to
    the image's width."""
    page = new_page(width=390)
    article = long_words.section.articles.get(headline__startswith="Bundestag")
    page.goto(article.get_absolute_url())
    column = page.locator(".body").bounding_box()
    figures = page.locator(".body figure.aligncenter")
    assert figures.count() == 2
    for n in range(2):
        image = figures.nth(n).locator("img").bounding_box()
        caption = figures.nth(n).locator("figcaption").bounding_box()
        assert image["width"] <= column["width"] + 0.5
        assert caption["width"] <= image["width"] + 0.5
        assert caption["y"] >= image["y"] + image["height"]


def test_a_wide_table_scrolls_inside_the_article(new_page, long_words):
    """A table wider than a phone scrolls by itself; the page does not."""
    page = new_page(width=390)
    article = long_words.section.articles.get(headline__startswith="Bundestag")
    page.goto(article.get_absolute_url())
    table = page.locator(".body table")
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")
    assert overflowing(page) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_headline_of_one_long_word_fits_its_admin_pages(editor_page, width):
    """An article whose headline is 300 characters without a space (an import's slug, a
    pasted address): its admin pages wrap it, in the breadcrumbs and the heading, and
    do not scroll sideways."""
    article = make_article("x" * 300)
    editor_page.set_viewport_size({"width": width, "height": 900})
    for url in (
        f"/admin/articles/article/{article.pk}/change/",
        f"/admin/articles/article/{article.pk}/history/",
    ):
        editor_page.goto(url)
        assert overflowing(editor_page) == [], url
