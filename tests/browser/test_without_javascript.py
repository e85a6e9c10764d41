"""The same reader, JavaScript disabled: plain forms that post and redirect back.

The article page is the cached copy everyone gets (no token in it); the forms
on it post same-origin and the answers are uncached pages or redirects.
"""

import pytest

from byline.discussion.models import Comment
from byline.engagement import viewbuffer
from byline.engagement.stats import figures_for
from tests.browser.conftest import expect, post_a_refused_comment
from tests.discussion.factory import make_comment


def count_of(page, key):
    return page.locator(f'li[data-reaction="{key}"] [data-field="count"]')


def test_without_javascript_a_reader_reacts_moves_the_reaction_and_withdraws_it(
    page_without_js, demo_article
):
    """Each press posts the form and comes back to the reactions with the new counts;
    pressing the reaction again keeps it (a vote is never a toggle), "Withdraw" clears it."""
    page = page_without_js
    url = demo_article.get_absolute_url()
    page.goto(url)
    assert page.reload().headers.get("x-page-cache") == "hit"

    page.get_by_role("button", name="Surprise", exact=True).click()
    page.wait_for_url(f"**{url}*#reactions")
    expect(count_of(page, "surprise")).to_have_text("1")

    page.get_by_role("button", name="Happy", exact=True).click()
    page.wait_for_url(f"**{url}*#reactions")
    expect(count_of(page, "happy")).to_have_text("1")
    expect(count_of(page, "surprise")).to_have_text("0")

    page.get_by_role("button", name="Happy", exact=True).click()
    page.wait_for_url(f"**{url}*#reactions")
    expect(count_of(page, "happy")).to_have_text("1")

    page.get_by_role("button", name="Withdraw my reaction").click()
    page.wait_for_url(f"**{url}*#reactions")
    expect(count_of(page, "happy")).to_have_text("0")
    assert figures_for(demo_article.pk).reaction_total == 0


def test_without_javascript_a_reader_rates_and_changes_the_rating(page_without_js, demo_article):
    """A rating posts and comes back to the rating block; a second one replaces it."""
    page = page_without_js
    url = demo_article.get_absolute_url()
    page.goto(url)
    page.get_by_role("button", name="5 stars").click()
    page.wait_for_url(f"**{url}*#rating")
    expect(page.locator('[data-field="average"]')).to_have_text("5.0")
    page.get_by_role("button", name="3 stars").click()
    page.wait_for_url(f"**{url}*#rating")
    expect(page.locator('[data-field="average"]')).to_have_text("3.0")
    expect(page.locator('[data-field="rating-count"]')).to_have_text("1")
    page.get_by_role("button", name="Withdraw my rating").click()
    page.wait_for_url(f"**{url}*#rating")
    expect(page.locator('[data-field="rating-count"]')).to_have_text("0")


# A browser whose local storage is blocked (a privacy setting): every use of it throws.
BLOCKED_STORAGE = """Object.defineProperty(window, "localStorage", {
  get: function () { throw new DOMException("blocked", "SecurityError"); }
});"""


@pytest.mark.parametrize("storage", ["kept", "blocked"])
def test_votes_cast_without_javascript_are_the_readers_own_on_a_later_visit_with_it(
    browser, site, browser_settings, demo_article, storage
):
    """A reader reacts and rates with JavaScript off; the same browser, later, with it on:
    the page marks their choices and offers to withdraw them (the cached page is the same
    for everyone; the script asks for the reader's own choices), local storage blocked
    or not."""
    url = demo_article.get_absolute_url()
    plain = browser.new_context(base_url=site, java_script_enabled=False)
    page = plain.new_page()
    page.goto(url)
    page.get_by_role("button", name="Surprise", exact=True).click()
    page.wait_for_url(f"**{url}*#reactions")
    page.get_by_role("button", name="4 stars").click()
    page.wait_for_url(f"**{url}*#rating")
    kept = plain.storage_state()
    plain.close()

    scripted = browser.new_context(base_url=site, storage_state=kept)
    if storage == "blocked":
        scripted.add_init_script(BLOCKED_STORAGE)
    try:
        page = scripted.new_page()
        page.goto(url)
        expect(page.get_by_role("button", name="Surprise", exact=True)).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(page.get_by_role("button", name="4 stars")).to_have_attribute("aria-pressed", "true")
        expect(page.get_by_role("button", name="Withdraw my reaction")).to_be_visible()
        expect(page.get_by_role("button", name="Withdraw my rating")).to_be_visible()
        page.get_by_role("button", name="Withdraw my reaction").click()
        expect(page.get_by_role("button", name="Withdraw my reaction")).to_be_hidden()
        expect(count_of(page, "surprise")).to_have_text("0")
    finally:
        scripted.close()


def test_without_javascript_the_view_is_counted_by_the_noscript_pixel(
    page_without_js, demo_article
):
    """No script, no beacon: the <noscript> image counts the view."""
    with page_without_js.expect_response(lambda r: r.url.endswith("/seen.gif")) as pixel:
        page_without_js.goto(demo_article.get_absolute_url())
    assert pixel.value.ok
    viewbuffer.flush()
    assert figures_for(demo_article.pk).views == 1


def test_without_javascript_a_comment_is_confirmed_once_and_awaits_moderation(
    page_without_js, demo_article, browser_settings
):
    """The cached page's form has no timestamp, so the first post lands on an uncached
    page that asks to confirm (what was typed is kept); the second lands on the
    commenter's own uncached page, which says the comment awaits moderation."""
    browser_settings.BYLINE_COMMENT_MIN_SECONDS = 3  # the default: the confirmation step
    page = page_without_js
    page.goto(demo_article.get_absolute_url())
    page.get_by_role("textbox", name="Comment", exact=True).fill("Read it twice; worth it.")
    page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    page.get_by_role("textbox", name="E-mail", exact=True).fill("ada@example.org")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Post Comment").click()
    assert "no-store" in navigation.value.headers["cache-control"]
    expect(page.locator(".form-message")).to_contain_text("One more step")
    expect(page.get_by_role("textbox", name="Comment", exact=True)).to_have_value(
        "Read it twice; worth it."
    )
    assert not Comment.objects.exists()

    # The reader wrote the comment before that page: a prompt second press posts it
    # (the confirmation's token has the minimum time already served).
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Post Comment").click()
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert page.url.endswith(f"/comments/{comment.pk}/")
    assert "no-store" in navigation.value.headers["cache-control"]
    assert "x-page-cache" not in navigation.value.headers
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text(
        "Your comment is awaiting moderation."
    )
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text("Read it twice; worth it.")


def test_without_javascript_reply_and_cancel_reply_are_plain_links(page_without_js, demo_article):
    """Reply opens the form for that comment; Cancel reply brings back the plain form."""
    page = page_without_js
    grace = make_comment(demo_article, author_name="Grace", body="The first word.")
    page.goto(demo_article.get_absolute_url())
    expect(page.get_by_role("link", name="Cancel reply")).to_be_hidden()

    page.get_by_role("link", name="Reply to Grace").click()
    expect(page.locator(".replying-to")).to_have_text("Replying to Grace")
    expect(page.get_by_role("link", name="Cancel reply")).to_be_visible()
    assert page.input_value("#id_parent") == str(grace.pk)

    page.get_by_role("link", name="Cancel reply").click()
    page.wait_for_url(f"**{demo_article.get_absolute_url()}#respond")
    expect(page.get_by_role("link", name="Cancel reply")).to_be_hidden()
    expect(page.locator(".replying-to")).to_be_hidden()
    assert page.input_value("#id_parent") == ""


def test_without_javascript_a_refused_comment_keeps_every_word(page_without_js, demo_article):
    """A comment the server refuses comes back on an uncached page, with the reason next
    to the field and the text as typed."""
    page = page_without_js
    post_a_refused_comment(page, demo_article.get_absolute_url())
    expect(page.locator(".form-message")).to_contain_text("please correct what is marked")
    website = page.get_by_role("textbox", name="Website", exact=True)
    expect(website).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_website-error")).to_be_visible()
    expect(page.get_by_role("textbox", name="Comment", exact=True)).to_have_value(
        "Words worth keeping."
    )
    assert not Comment.objects.exists()
