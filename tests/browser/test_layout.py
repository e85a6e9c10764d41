"""The front page, the listings and the article page as a reader sees them at a
phone's width (390 px) and a desktop's (1280 px), in light and dark mode."""

from __future__ import annotations

import os
import shutil

import pytest

from byline.articles.models import Section
from byline.demo import load_demo_site
from tests.browser.conftest import DOCS_SCREENSHOTS, ROOT, save_screenshot

WIDTHS = [("phone", 390), ("desktop", 1280)]


@pytest.fixture
def demo_site(settings, tmp_path):
    """The site `make run` shows: the captured article leading the fictional stories."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return load_demo_site()


def fits_sideways(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_the_six_reactions_share_one_row_on_a_desktop(new_page, demo_site):
    page = new_page(width=1280)
    page.goto(demo_site.get_absolute_url())
    tops = page.locator(".reaction-list li").evaluate_all("items => items.map(i => i.offsetTop)")
    assert len(tops) == 6
    assert len(set(tops)) == 1, tops


def test_the_reactions_form_a_grid_of_two_rows_of_three_on_a_phone(new_page, demo_site):
    page = new_page(width=390)
    page.goto(demo_site.get_absolute_url())
    boxes = page.locator(".reaction-list li").evaluate_all(
        "items => items.map(i => [i.offsetTop, i.offsetLeft, i.offsetWidth])"
    )
    rows = sorted({top for top, _, _ in boxes})
    assert len(rows) == 2
    assert [sum(1 for top, _, _ in boxes if top == row) for row in rows] == [3, 3]
    assert len({width for _, _, width in boxes}) == 1, "the cells are not the same width"
    assert fits_sideways(page)


@pytest.mark.parametrize("name,width", WIDTHS)
def test_no_page_scrolls_sideways(new_page, demo_site, name, width):
    """Front, section, tag, author, article and comment-data pages fit the width."""
    page = new_page(width=width)
    section = Section.objects.get(slug="science")
    story = section.articles.first()
    urls = [
        "/",
        section.get_absolute_url(),
        demo_site.tags.first().get_absolute_url(),
        story.authors.first().get_absolute_url(),
        story.get_absolute_url(),
        demo_site.get_absolute_url(),
        "/comments/data/",
    ]
    for url in urls:
        page.goto(url)
        assert fits_sideways(page), url


def test_the_front_page_leads_with_a_story_above_a_grid_and_the_rail(new_page, demo_site):
    """At 1280 px the grid has three columns and "Most read" sits beside it; at 390 px
    everything is one column, the rail after the stories."""
    page = new_page(width=1280)
    page.goto("/")
    lead = page.locator(".lead-story h2")
    assert lead.inner_text() == demo_site.headline
    columns = page.locator(".story-grid .story-card").evaluate_all(
        "cards => new Set(cards.map(c => c.offsetLeft)).size"
    )
    assert columns == 3
    grid_box = page.locator(".story-grid").bounding_box()
    rail_box = page.locator(".most-read").bounding_box()
    assert rail_box["x"] > grid_box["x"] + grid_box["width"]
    phone = new_page(width=390)
    phone.goto("/")
    grid_box = phone.locator(".story-grid").bounding_box()
    rail_box = phone.locator(".most-read").bounding_box()
    assert rail_box["y"] > grid_box["y"] + grid_box["height"]


def test_every_teaser_picture_starts_at_the_top_of_its_card(new_page, demo_site):
    """A library image (a <picture> with WebP <source>s) sits flush with the top of its
    card, level with the uploaded pictures beside it: a <source> takes no room."""
    page = new_page(width=1280)
    page.goto("/")
    gaps = page.locator(".story-card:has(.story-card-image)").evaluate_all(
        """cards => cards.map(card => [card.querySelector('h3').textContent,
            card.querySelector('.story-card-image').getBoundingClientRect().top
            - card.getBoundingClientRect().top])"""
    )
    assert gaps, "no teaser has a picture"
    assert [(headline, gap) for headline, gap in gaps if gap != 0] == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_pages_pass_axe_in_light_and_dark_mode(new_page, demo_site, axe, scheme):
    """WCAG 2.2 A/AA, colour contrast included, with the reader's colour scheme."""
    page = new_page(color_scheme=scheme)
    story = Section.objects.get(slug="city").articles.first()
    for url in ["/", "/section/city/", story.get_absolute_url(), "/comments/data/"]:
        page.goto(url)
        violations = axe(page)
        assert violations == [], (url, violations)


@pytest.mark.parametrize("name,width", WIDTHS)
def test_screenshots_of_the_front_and_a_section_page(new_page, demo_site, name, width):
    """Written for people to look at (artifacts/, and docs/screenshots/ with
    BYLINE_SCREENSHOTS=docs; the README shows the front page at 1280 px)."""
    page = new_page(width=width)
    page.goto("/")
    front = save_screenshot(page, f"front-{name}", docs=True)
    page.goto("/section/city/")
    section = save_screenshot(page, f"section-{name}", docs=True)
    assert front.stat().st_size > 10_000 and section.stat().st_size > 10_000
    if name == "desktop" and os.environ.get("BYLINE_SCREENSHOTS") == "docs":
        shutil.copyfile(DOCS_SCREENSHOTS / front.name, ROOT / "docs" / "screenshot-desktop.png")


def test_the_article_prints_without_the_sites_chrome(new_page, demo_site):
    """The print stylesheet keeps the article and drops navigation, forms and sharing."""
    page = new_page()
    page.goto(Section.objects.get(slug="city").articles.first().get_absolute_url())
    page.emulate_media(media="print")
    hidden = page.evaluate(
        """() => ['.site-header nav', '.site-search', '.engagement', '.share', '.respond']
            .map(s => getComputedStyle(document.querySelector(s)).display)"""
    )
    assert hidden == ["none"] * 5
    assert page.locator(".article h1").is_visible()
    assert page.locator(".author-box").is_visible()


def test_the_article_page_has_no_third_party_requests(new_page, demo_site):
    """Share links are plain links: opening the page asks no other site for anything."""
    page = new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.goto(Section.objects.get(slug="city").articles.first().get_absolute_url())
    page.wait_for_load_state("networkidle")
    assert len(hosts) == 1, hosts
    assert page.locator(".share a").count() >= 5


def test_no_page_asks_for_a_missing_file(new_page, demo_site):
    """The icon and the manifest exist: no 404 in the background of any page."""
    page = new_page()
    failures = []
    page.on("response", lambda r: failures.append(r.url) if r.status >= 400 else None)
    for url in ["/", demo_site.get_absolute_url(), "/comments/data/"]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    manifest = page.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.status)"
    )
    assert manifest == 200
    assert failures == []


@pytest.mark.parametrize(
    "scheme,background", [("light", "rgb(176, 23, 31)"), ("dark", "rgb(255, 138, 143)")]
)
def test_the_post_comment_button_has_the_sites_button_style(
    new_page, demo_site, scheme, background
):
    """Not the browser's grey default: the site's accent, rounded, a comfortable target."""
    page = new_page(color_scheme=scheme)
    page.goto(demo_site.get_absolute_url())
    button = page.get_by_role("button", name="Post Comment")
    style = button.evaluate(
        """b => { const s = getComputedStyle(b);
            return [s.backgroundColor, s.borderRadius, b.getBoundingClientRect().height]; }"""
    )
    assert style[0] == background
    assert style[1] != "0px"
    assert style[2] >= 44


@pytest.mark.parametrize("name,width", WIDTHS)
def test_the_footers_pages_read_as_a_row_of_links(new_page, demo_site, name, width):
    """About, Contact and the ethics policy sit side by side under the rule, like the
    header's menu (wrapping on a phone), not as a bulleted list indented under it."""
    page = new_page(width=width)
    page.goto("/")
    links = page.locator(".site-footer nav li")
    assert links.count() == 3
    assert {
        links.nth(i).evaluate("li => getComputedStyle(li).listStyleType") for i in range(3)
    } == {"none"}
    tops = links.evaluate_all("items => items.map(i => i.offsetTop)")
    rows = len(set(tops))  # one on a desktop; on a phone they wrap, two or more to a row
    assert rows == 1 if width == 1280 else rows < len(tops), tops
    footer_left = page.locator(".site-footer .wrap").evaluate(
        "w => w.getBoundingClientRect().left + parseFloat(getComputedStyle(w).paddingLeft)"
    )
    assert links.first.bounding_box()["x"] == footer_left


def test_the_search_boxes_type_in_the_same_face_as_the_menu_beside_them(new_page, demo_site):
    """The header's search box and the search page's are set in the site's sans-serif,
    like the menu and the labels, not in the body text's serif."""
    page = new_page(width=1280)
    page.goto("/search/?q=harbour")
    menu = page.locator(".site-header nav a").first.evaluate("a => getComputedStyle(a).fontFamily")
    for box in (".site-search input", ".search-form input"):
        assert page.locator(box).evaluate("i => getComputedStyle(i).fontFamily") == menu, box


PHONES = [320, 375, 414]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", PHONES)
def test_on_a_phone_the_menu_is_one_row_that_scrolls_sideways(
    new_page, demo_site, width, javascript
):
    """The sections and the site's pages sit in one row under the site's name and the
    search box (two rows in all, not three or four), scrolling sideways with its far end
    faded; scrolled to the end, the last link reads whole; the page itself never scrolls
    sideways. No script is needed."""
    page = new_page(width=width, javascript=javascript)
    page.goto("/")
    links = page.locator(".site-menu a")
    assert links.count() == 6  # five sections and About
    tops = links.evaluate_all("links => links.map(a => Math.round(a.getBoundingClientRect().top))")
    assert len(set(tops)) == 1, tops
    name = page.locator(".site-name").bounding_box()
    search = page.locator(".site-search input").bounding_box()
    assert search["y"] < name["y"] + name["height"], (name, search)  # beside the name
    assert tops[0] >= search["y"] + search["height"]  # the menu under them
    assert fits_sideways(page)
    pages = page.locator('.site-menu nav[aria-label="Site pages"]')  # set apart from the sections
    assert pages.evaluate("nav => getComputedStyle(nav).borderLeftStyle") == "solid"
    menu = page.locator(".site-menu")
    assert "linear-gradient" in menu.evaluate("m => getComputedStyle(m).maskImage")
    menu.evaluate("m => { m.scrollLeft = m.scrollWidth; }")
    last, box = links.last.bounding_box(), menu.bounding_box()
    fade = 2.5 * 18  # the faded end: 2.5rem of an 18 px root
    end = box["x"] + box["width"] - fade + 1  # scrolled to a whole pixel: half a pixel over
    assert last["x"] >= box["x"] and last["x"] + last["width"] <= end


def test_on_a_phone_tab_reaches_every_menu_link_in_view(new_page, demo_site):
    """A keyboard user tabbing along the row sees each link come into view: whole, and
    starting before the faded end."""
    page = new_page(width=320)
    page.goto("/")
    page.locator(".site-name").focus()
    menu = page.locator(".site-menu").bounding_box()
    for _ in range(6):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement").as_element().bounding_box()
        left, right, end = focused["x"], focused["x"] + focused["width"], menu["x"] + menu["width"]
        assert menu["x"] <= left and right <= end and left < end - 2.5 * 18, (left, right)


@pytest.mark.parametrize("width", PHONES)
def test_the_phone_pages_pass_axe(new_page, demo_site, axe, width):
    """The front page and an article at each phone width: no serious or critical violation."""
    page = new_page(width=width)
    for url in ("/", demo_site.get_absolute_url()):
        page.goto(url)
        assert axe(page) == [], url
