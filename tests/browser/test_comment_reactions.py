"""Reacting to a comment in a real browser, at a phone's width (390 px) and a desktop's
(1280 px), with and without JavaScript, through the page cache as in production."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from byline.discussion.models import Comment
from tests.browser.conftest import expect, run_axe, run_axe_without_js
from tests.discussion.factory import make_comment
from tests.factory import make_article

WIDTHS = [390, 1280]


@pytest.fixture
def discussed(db, browser_settings):
    """An article with three threads, oldest first; the middle one has a reply."""
    browser_settings.BYLINE_COMMENT_MODERATION = "none"
    article = make_article("The ferry timetable changes in spring")
    start = timezone.now() - timedelta(hours=6)
    old = make_comment(article, submitted_at=start, author_name="Early Reader")
    middle = make_comment(article, submitted_at=start + timedelta(hours=1), author_name="Busy")
    new = make_comment(article, submitted_at=start + timedelta(hours=2), author_name="Late")
    make_comment(article, parent=middle, submitted_at=start + timedelta(hours=3))
    return article, old, middle, new


def reaction_button(page, comment: Comment):
    return page.locator(f"#comment-{comment.pk} > article").get_by_role("button", name="Respect")


def top_level(page) -> list[str]:
    return page.locator("ol.comment-list > li").evaluate_all("items => items.map(i => i.id)")


def fits_sideways(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def stored(comment: Comment) -> int:
    comment.refresh_from_db(fields=["reactions"])
    return comment.reactions


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reader_reacts_in_place_and_a_reload_keeps_it(new_page, discussed, width):
    """One click presses the button and counts it in place; after a reload (the cached page,
    which predates the reaction) the button is still pressed and the count is right;
    a second click takes it back. "Most reacted" then puts that thread first.
    Axe-clean in light and dark mode, no sideways scroll."""
    article, old, middle, new = discussed
    page = new_page(width=width)
    page.goto(article.get_absolute_url())
    button = reaction_button(page, new)
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button).to_contain_text("0")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator("[data-count]")).to_have_text("1")
    assert stored(new) == 1

    page.reload()
    button = reaction_button(page, new)
    button.scroll_into_view_if_needed()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator("[data-count]")).to_have_text("1")
    assert fits_sideways(page)
    assert run_axe(page) == []
    page.emulate_media(color_scheme="dark")
    assert run_axe(page) == []
    page.emulate_media(color_scheme="light")

    sort = page.get_by_role("navigation", name="Order of comments")
    sort.get_by_role("link", name="Most reacted").click()
    expect(page).to_have_url(re.compile(r"sort=reacted"))
    expect(page.locator("ol.comment-list > li").first).to_have_id(f"comment-{new.pk}")
    assert top_level(page) == [f"comment-{new.pk}", f"comment-{old.pk}", f"comment-{middle.pk}"]
    expect(sort.get_by_role("link", name="Most reacted")).to_have_attribute("aria-current", "true")

    button = reaction_button(page, new)
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button.locator("[data-count]")).to_have_text("0")
    assert stored(new) == 0


def test_another_reader_sees_the_count_but_not_pressed(new_page, discussed):
    """The count is everyone's; "you reacted" is the reacting reader's alone."""
    article, old, middle, new = discussed
    first = new_page()
    first.goto(article.get_absolute_url())
    reaction_button(first, old).click()
    expect(reaction_button(first, old)).to_have_attribute("aria-pressed", "true")
    other = new_page()
    other.goto(article.get_absolute_url())
    button = reaction_button(other, old)
    button.scroll_into_view_if_needed()
    expect(button.locator("[data-count]")).to_have_text("1")
    expect(button).to_have_attribute("aria-pressed", "false")


@pytest.mark.parametrize("width", WIDTHS)
def test_without_javascript_the_button_is_a_form_that_comes_back_to_the_comment(
    new_page, discussed, width
):
    """No script: pressing posts the form and lands back at the comment with the new count;
    pressing again offers to take it back, which does. Every page axe-clean."""
    article, old, middle, new = discussed
    page = new_page(javascript=False, width=width)
    page.goto(article.get_absolute_url())
    reaction_button(page, middle).click()
    assert page.url.endswith(f"#comment-{middle.pk}")
    expect(reaction_button(page, middle).locator("[data-count]")).to_have_text("1")
    assert stored(middle) == 1
    assert fits_sideways(page)
    reaction_button(page, middle).click()
    expect(page.get_by_role("heading", name="You gave this comment Respect")).to_be_visible()
    assert run_axe_without_js(page, new_page) == []
    page.get_by_role("button", name="Take back my Respect").click()
    assert page.url.endswith(f"#comment-{middle.pk}")
    expect(reaction_button(page, middle).locator("[data-count]")).to_have_text("0")
    assert stored(middle) == 0
