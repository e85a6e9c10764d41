"""Keyboard alone: the reactions, the star rating and the reply form are reached with
Tab, used with Enter or Space (they are buttons and links), and show where the focus is."""

from tests.browser.conftest import expect, has_visible_focus
from tests.discussion.factory import make_comment

MAX_TABS = 200


def tab_to(page, locator, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``locator`` has the focus, as a keyboard user would."""
    target = locator.element_handle()
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        if page.evaluate("(el) => document.activeElement === el", target):
            return
    raise AssertionError(f"{locator} is not reached with {key}")


def test_the_reactions_work_from_the_keyboard_with_visible_focus(page, demo_article):
    """Tab to a reaction, Enter reacts, Space on another moves it; the focus stays put."""
    page.goto(demo_article.get_absolute_url())
    happy = page.get_by_role("button", name="Happy", exact=True)
    sad = page.get_by_role("button", name="Sad", exact=True)
    tab_to(page, happy)
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    expect(happy).to_have_attribute("aria-pressed", "true")
    expect(page.locator('li[data-reaction="happy"] [data-field="count"]')).to_have_text("1")
    expect(happy).to_be_focused()
    tab_to(page, sad)
    assert has_visible_focus(page)
    page.keyboard.press("Space")
    expect(sad).to_have_attribute("aria-pressed", "true")
    expect(happy).to_have_attribute("aria-pressed", "false")
    expect(sad).to_be_focused()
    assert has_visible_focus(page)


def test_the_star_rating_works_from_the_keyboard_with_visible_focus(page, demo_article):
    """Each star is a button named by its number of stars, in the tab order."""
    page.goto(demo_article.get_absolute_url())
    five = page.get_by_role("button", name="5 stars")
    three = page.get_by_role("button", name="3 stars")
    tab_to(page, five)
    assert has_visible_focus(page)
    page.keyboard.press("Space")
    expect(five).to_have_attribute("aria-pressed", "true")
    expect(page.locator('[data-field="average"]')).to_have_text("5.0")
    tab_to(page, three)
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    expect(three).to_have_attribute("aria-pressed", "true")
    expect(page.locator('[data-field="average"]')).to_have_text("3.0")
    expect(page.locator(".engagement-status")).to_have_text("You rated this article 3 stars.")


def test_the_reply_form_works_from_the_keyboard_with_visible_focus(page, demo_article):
    """Enter on Reply moves the form under the comment and puts the focus in it; the
    reply is typed and sent from the keyboard; Cancel reply returns the form and the
    focus to the Reply link."""
    grace = make_comment(demo_article, author_name="Grace", body="The first word.")
    page.goto(demo_article.get_absolute_url())
    reply = page.get_by_role("link", name="Reply to Grace")
    tab_to(page, reply)
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    expect(page.locator(f"#comment-{grace.pk} #respond")).to_have_count(1)
    body = page.get_by_role("textbox", name="Comment", exact=True)
    expect(body).to_be_focused()
    assert has_visible_focus(page)

    cancel = page.get_by_role("link", name="Cancel reply")
    tab_to(page, cancel, backwards=True)
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    expect(page.locator(f"#comment-{grace.pk} #respond")).to_have_count(0)
    expect(reply).to_be_focused()

    page.keyboard.press("Enter")
    expect(body).to_be_focused()
    page.keyboard.type("Typed without a mouse.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("textbox", name="Name", exact=True)).to_be_focused()
    assert has_visible_focus(page)
    page.keyboard.type("Ada")
    page.keyboard.press("Tab")
    page.keyboard.type("ada@example.org")
    submit = page.get_by_role("button", name="Post Comment")
    tab_to(page, submit)
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    expect(page.locator(".form-message")).to_have_text("Your comment is awaiting moderation.")
    expect(page.locator(f"#comment-{grace.pk} ol.children")).to_contain_text(
        "Typed without a mouse."
    )


def write_and_send_from_the_keyboard(page, url: str, *, website: str = "") -> None:
    """Tab into the comment box, type a comment, name, e-mail (and a website), then
    Tab to Post Comment and press Enter."""
    page.goto(url)
    page.get_by_role("textbox", name="Comment", exact=True).focus()
    expect(page.locator("#id_ts")).not_to_have_value("")
    for text in ("Typed without a mouse.", "Ada", "ada@example.org", website):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    tab_to(page, page.get_by_role("button", name="Post Comment"))
    page.keyboard.press("Enter")


def test_a_comment_refused_by_the_site_puts_the_focus_on_what_to_correct(page, demo_article):
    """A website the browser takes as a URL ("javascript:...") is refused by the site:
    the focus goes to that field, marked and described by its error, so Tab and
    Shift+Tab carry on from the form and not from the top of the page."""
    write_and_send_from_the_keyboard(
        page, demo_article.get_absolute_url(), website="javascript:alert(1)"
    )
    expect(page.locator(".form-message")).to_contain_text("Your comment was not sent")
    website = page.get_by_role("textbox", name="Website", exact=True)
    expect(website).to_have_attribute("aria-invalid", "true")
    expect(website).to_be_focused()
    assert has_visible_focus(page)
    expect(page.get_by_role("textbox", name="Comment", exact=True)).to_have_value(
        "Typed without a mouse."
    )


def test_a_comment_refused_as_a_whole_gives_the_focus_back_to_its_button(
    page, demo_article, browser_settings
):
    """A refusal that names no field (sent too soon) leaves the focus on Post Comment,
    where the reader pressed it, to send again when ready."""
    browser_settings.BYLINE_COMMENT_MIN_SECONDS = 30
    write_and_send_from_the_keyboard(page, demo_article.get_absolute_url())
    expect(page.locator(".form-message")).to_contain_text("That was quick")
    submit = page.get_by_role("button", name="Post Comment")
    expect(submit).to_be_enabled()
    expect(submit).to_be_focused()
    assert has_visible_focus(page)


def test_cancel_reply_on_a_page_opened_from_a_reply_link_keeps_the_focus(page, demo_article):
    """A Reply link opened as a page of its own (?replyto=, a new tab): Cancel reply
    from the keyboard gives the focus to that comment's Reply link, not to the page."""
    grace = make_comment(demo_article, author_name="Grace", body="The first word.")
    page.goto(f"{demo_article.get_absolute_url()}?replyto={grace.pk}#respond")
    expect(page.locator(".replying-to")).to_have_text("Replying to Grace")
    cancel = page.get_by_role("link", name="Cancel reply")
    cancel.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_parent")).to_have_value("")
    expect(page.get_by_role("link", name="Reply to Grace")).to_be_focused()
    assert has_visible_focus(page)
