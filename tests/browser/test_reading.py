"""Readers open the site in a real browser: it reads well at every width."""

import pytest

from byline.engagement.stats import set_comment_count
from tests.browser.conftest import expect, save_screenshot
from tests.discussion.factory import make_comment
from tests.engagement.factory import rate, react, reader_client


def test_a_reader_opens_the_demo_article_from_the_front_page(page, demo_article):
    """A link on the front page opens the demo article, with its reading time."""
    page.goto("/")
    page.get_by_role("link", name=demo_article.headline).click()
    assert page.get_by_role("heading", level=1).inner_text() == demo_article.headline
    assert page.locator(".reading-time time").get_attribute("datetime") == "PT4M38S"


def test_the_skip_link_is_reached_first_from_the_keyboard_with_visible_focus(page, demo_article):
    """The first Tab reaches “Skip to content”, and it shows the focus."""
    page.goto(demo_article.get_absolute_url())
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in {"none", ""}


@pytest.fixture
def lively_article(demo_article):
    """The demo article with a short threaded discussion, and three readers' votes."""
    first = make_comment(
        demo_article,
        author_name="Marisol Quenby",
        body="A clear account of a confusing week. The map helps.",
    )
    make_comment(
        demo_article,
        parent=first,
        author_name="Tobiah Wrenfield",
        body="Agreed, though I would like to read more about the talks in Vienna.",
    )
    make_comment(demo_article, author_name="Oskar", body="Well sourced. Thank you.")
    set_comment_count(demo_article.pk, 3)
    votes = [("happy", 5), ("surprise", 4), ("happy", 4)]
    for n, (reaction, stars) in enumerate(votes, start=10):
        reader = reader_client(f"203.0.113.{n}")
        assert react(reader, demo_article.pk, reaction).status_code == 200
        assert rate(reader, demo_article.pk, stars).status_code == 200
    return demo_article


@pytest.mark.parametrize("name,width", [("phone", 390), ("desktop", 1280)])
def test_screenshots_of_the_article_page(new_page, lively_article, name, width):
    """Written for people to look at: artifacts/article-phone.png and article-desktop.png
    (the whole page, with comments, reactions and ratings; also docs/screenshots/ with
    BYLINE_SCREENSHOTS=docs); nothing scrolls sideways."""
    page = new_page(width=width)
    page.goto(lively_article.get_absolute_url())
    expect(page.locator('[data-field="rating-count"]')).to_have_text("3")
    expect(page.locator('[data-counter="views"]')).to_have_text("1 view")  # the scripts ran
    path = save_screenshot(page, f"article-{name}", docs=True)
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert path.stat().st_size > 10_000
    assert fits, "the page scrolls sideways"
