"""In a real browser: votes update the block in place, from the keyboard, and work without JS.

Headless Chromium from the distribution, driven by Playwright; skips with the
reason when either is missing. (These belong with the browser suite in
tests/browser/ once it lands; the fixtures here are the few lines it needs.)
"""

from __future__ import annotations

import os
import shutil

import pytest

from byline.engagement import viewbuffer
from byline.engagement.stats import figures_for
from tests.factory import make_article

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (pip install playwright)"
)
CHROMIUM = os.environ.get("BYLINE_TEST_CHROMIUM") or shutil.which("chromium") or ""
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium is not installed (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def chromium():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        yield browser
        browser.close()


def open_page(chromium, live_server, *, javascript: bool = True):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def test_a_reaction_by_keyboard_updates_the_block_in_place(chromium, live_server):
    article = make_article()
    context, page = open_page(chromium, live_server)
    page.goto(article.get_absolute_url())
    page.evaluate("window.notReloaded = true")
    happy = page.get_by_role("button", name="Happy", exact=True)
    happy.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector('button[value="happy"][aria-pressed="true"]')
    item = page.locator('li[data-reaction="happy"]')
    assert item.locator('[data-field="count"]').inner_text() == "1"
    assert item.locator('[data-field="percent"]').inner_text() == "100"
    assert "Your reaction: Happy." in page.locator(".engagement-status").inner_text()
    page.keyboard.press("Enter")  # the focus stayed on the button: the same again withdraws
    page.wait_for_selector('button[value="happy"][aria-pressed="false"]')
    assert item.locator('[data-field="count"]').inner_text() == "0"
    assert page.evaluate("window.notReloaded") is True
    context.close()


def test_a_rating_updates_the_average_and_is_remembered_after_a_reload(chromium, live_server):
    article = make_article()
    context, page = open_page(chromium, live_server)
    page.goto(article.get_absolute_url())
    page.get_by_role("button", name="4 stars").click()
    page.wait_for_selector('button[value="4"][aria-pressed="true"]')
    assert page.locator('[data-field="average"]').inner_text() == "4.0"
    assert page.locator('li[data-stars="4"] [data-field="count"]').inner_text() == "1"
    page.reload()  # the cached HTML knows nothing of the reader; the script asks
    page.wait_for_selector('button[value="4"][aria-pressed="true"]')
    context.close()


def test_the_page_counts_its_view_by_beacon_and_shows_it_at_once(chromium, live_server):
    article = make_article()
    context, page = open_page(chromium, live_server)
    with page.expect_response(lambda response: response.url.endswith("/view/")) as beacon:
        page.goto(article.get_absolute_url())
    assert beacon.value.status == 204
    views = page.locator('[data-counter="views"]')
    playwright_api.expect(views).to_have_text("1 view")  # the live count includes it at once
    viewbuffer.flush()
    assert figures_for(article.pk).views == 1
    context.close()


def test_without_javascript_a_vote_posts_and_comes_back_to_the_block(chromium, live_server):
    article = make_article()
    context, page = open_page(chromium, live_server, javascript=False)
    page.goto(article.get_absolute_url())
    page.get_by_role("button", name="Surprise", exact=True).click()
    page.wait_for_url(f"**{article.get_absolute_url()}#reactions")
    surprise = page.locator('li[data-reaction="surprise"] [data-field="count"]')
    assert surprise.inner_text() == "1"
    viewbuffer.flush()
    assert figures_for(article.pk).views == 1  # counted by the <noscript> pixel
    context.close()
