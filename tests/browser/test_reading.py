"""Readers open the site in a real browser: it reads well, and it is accessible."""

import pytest

from tests.browser.conftest import ARTIFACTS, run_axe

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reader_opens_the_demo_article_from_the_front_page(page, demo_article):
    page.goto("/")
    page.get_by_role("link", name=demo_article.headline).click()
    assert page.get_by_role("heading", level=1).inner_text() == demo_article.headline
    assert page.locator(".reading-time time").get_attribute("datetime") == "PT4M38S"


def test_the_front_page_has_no_serious_accessibility_violations(page, demo_article):
    page.goto("/")
    assert run_axe(page) == []


def test_the_article_page_has_no_serious_accessibility_violations(page, demo_article):
    page.goto(demo_article.get_absolute_url())
    assert run_axe(page) == []


def test_the_skip_link_is_reached_first_from_the_keyboard_with_visible_focus(page, demo_article):
    page.goto(demo_article.get_absolute_url())
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in {"none", ""}


@pytest.mark.parametrize("name,width", [("phone", 390), ("desktop", 1280)])
def test_screenshots_of_the_article_page(browser, live_server, demo_article, name, width):
    """Written for people to look at: artifacts/article-phone.png and article-desktop.png."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto(demo_article.get_absolute_url())
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"article-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
    assert path.stat().st_size > 10_000
    assert fits, "the page scrolls sideways"
