# ruff: noqa: E501 (WordPress block markup is written one block a line, as WordPress writes it)
"""WordPress content as the importer keeps it (alignment, columns, gallery, embed,
cover, figures with captions) laid out tidily at 390 px and 1280 px, in light and
dark mode, without sideways scrolling."""

from __future__ import annotations

import pytest

from byline.wordpress.content import body_html
from tests.browser.conftest import run_axe
from tests.factory import make_article

IMG = "/static/byline/icon-512.png"
CONTENT = f"""
<p>The council met on Tuesday.</p>
[caption id="attachment_7" align="alignleft" width="300"]<img src="{IMG}" alt="The hall" width="300" height="300"> The council hall[/caption]
<p>{"A long paragraph that wraps around the floated picture. " * 8}</p>
<!-- wp:image {{"align":"right"}} -->
<figure class="wp-block-image alignright"><img src="{IMG}" alt="A map"/><figcaption>The new route</figcaption></figure>
<!-- /wp:image -->
<p>{"Another paragraph beside the picture on the right. " * 6}</p>
<!-- wp:image {{"align":"center"}} -->
<figure class="wp-block-image aligncenter"><img src="{IMG}" alt="The mayor" width="200" height="200"/><figcaption>The mayor</figcaption></figure>
<!-- /wp:image -->
<!-- wp:image {{"align":"wide"}} -->
<figure class="wp-block-image alignwide"><img src="{IMG}" alt="The river" width="1200" height="600"/></figure>
<!-- /wp:image -->
<!-- wp:columns -->
<div class="wp-block-columns"><div class="wp-block-column"><p>Left column.</p></div><div class="wp-block-column"><p>Right column.</p></div></div>
<!-- /wp:columns -->
<!-- wp:gallery -->
<figure class="wp-block-gallery has-nested-images columns-3"><figure class="wp-block-image"><img src="{IMG}" alt="One"/></figure><figure class="wp-block-image"><img src="{IMG}" alt="Two"/></figure><figure class="wp-block-image"><img src="{IMG}" alt="Three"/></figure></figure>
<!-- /wp:gallery -->
<!-- wp:embed {{"url":"https://www.youtube.com/watch?v=dQw4w9WgXcQ","type":"video","providerNameSlug":"youtube"}} -->
<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube"><div class="wp-block-embed__wrapper">
https://www.youtube.com/watch?v=dQw4w9WgXcQ
</div></figure>
<!-- /wp:embed -->
<!-- wp:cover {{"align":"full"}} -->
<div class="wp-block-cover alignfull"><img class="wp-block-cover__image-background" alt="" src="{IMG}"/><div class="wp-block-cover__inner-container"><p class="has-text-align-center">Crowds outside</p></div></div>
<!-- /wp:cover -->
<p>The end.</p>
"""


@pytest.fixture
def imported(db, browser_settings):
    return make_article("Imported from WordPress", body=body_html(CONTENT))


def boxes(page, selector: str) -> list[dict]:
    return page.locator(selector).evaluate_all(
        """els => els.map(e => {
            const r = e.getBoundingClientRect();
            return {top: Math.round(r.top), left: r.left, right: r.right, width: r.width,
                    float: getComputedStyle(e).float};
        })"""
    )


def fits_sideways(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_desktop_pictures_float_and_blocks_sit_side_by_side(new_page, imported, scheme):
    """1280 px: left and right pictures float, columns and gallery share rows, a wide
    picture leaves the reading measure but not the page; axe-clean."""
    page = new_page(width=1280, color_scheme=scheme)
    page.goto(imported.get_absolute_url())
    body = boxes(page, ".body")[0]
    assert boxes(page, ".body figure.alignleft")[0]["float"] == "left"
    assert boxes(page, ".body figure.alignright")[0]["float"] == "right"
    columns = boxes(page, ".body .columns > .column")
    assert len(columns) == 2 and columns[0]["top"] == columns[1]["top"]
    gallery = boxes(page, ".body .gallery > figure")
    assert len(gallery) == 3 and len({g["top"] for g in gallery}) == 1
    wide = boxes(page, ".body .alignwide")[0]
    assert wide["width"] > body["width"] and wide["left"] >= 0 and wide["right"] <= 1280
    assert boxes(page, ".body .cover")[0]["right"] <= 1280
    assert fits_sideways(page)
    assert run_axe(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_everything_is_one_column(new_page, imported, scheme):
    """390 px: nothing floats, columns stack, the gallery is two across, nothing is
    wider than the screen; axe-clean."""
    page = new_page(width=390, color_scheme=scheme)
    page.goto(imported.get_absolute_url())
    assert boxes(page, ".body figure.alignleft")[0]["float"] == "none"
    columns = boxes(page, ".body .columns > .column")
    assert columns[0]["top"] < columns[1]["top"]
    gallery = boxes(page, ".body .gallery > figure")
    assert len({g["top"] for g in gallery}) == 2
    for block in boxes(page, ".body > *"):
        assert block["right"] <= 390, block
    assert fits_sideways(page)
    assert run_axe(page) == []
