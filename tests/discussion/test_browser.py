"""In a real browser: Reply moves the form under a comment, Cancel reply moves it back,
the form posts in place, and only the commenter sees their pending comment.

Drives headless Chromium through Playwright, with the system's Chromium.
"""

import os
import shutil

import pytest

from byline.discussion.models import Comment
from tests.discussion.factory import make_comment

CHROMIUM = (
    os.environ.get("BYLINE_CHROMIUM")
    or shutil.which("chromium")
    or shutil.which("chromium-browser")
)
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (apt-get install chromium)"),
]


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM
    # calls are still plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()
        # The ORM calls made while Playwright's loop ran opened their own connection
        # (Django keys connections by async context): close it, or PostgreSQL cannot
        # drop the test database at the end.
        connections.close_all()


@pytest.fixture
def live_page(live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.BYLINE_COMMENT_MIN_SECONDS = 1
    return live_server.url


def test_reply_cancel_and_post_in_place(browser, live_page):
    """The reply form moves, comes back, and a reply appears in its thread, pending."""
    from tests.factory import make_article

    article = make_article("Browser story")
    comment = make_comment(article, author_name="Grace", body="The first word.")
    page = browser.new_page()
    page.goto(live_page + article.get_absolute_url())
    page.wait_for_function("document.querySelector('#id_ts').value !== ''")

    page.click(f"#comment-{comment.pk} .comment-reply-link")
    assert page.locator(f"#comment-{comment.pk} #respond").count() == 1
    assert page.input_value("#id_parent") == str(comment.pk)
    assert page.is_visible("#cancel-reply")
    assert "Replying to Grace" in page.inner_text(".replying-to")

    page.click("#cancel-reply")
    assert page.locator(f"#comment-{comment.pk} #respond").count() == 0
    assert page.input_value("#id_parent") == ""
    assert not page.is_visible("#cancel-reply")

    page.click(f"#comment-{comment.pk} .comment-reply-link")
    page.fill("#id_body", "A reply from a real browser.")
    page.fill("#id_name", "Ada")
    page.fill("#id_email", "ada@example.org")
    page.wait_for_timeout(1100)  # the form's minimum time to submit (1 s here)
    page.click(".comment-form button[type=submit]")
    page.wait_for_selector(".form-message:has-text('awaiting moderation')")
    reply = Comment.objects.get(body="A reply from a real browser.")
    assert reply.parent_id == comment.pk
    assert reply.status == Comment.Status.PENDING
    nested = page.locator(f"#comment-{comment.pk} ol.children #comment-{reply.pk}")
    assert "Your comment is awaiting moderation." in nested.inner_text()

    page.reload()
    page.wait_for_selector(f"#comment-{comment.pk} ol.children #comment-{reply.pk}")
    stranger = browser.new_context().new_page()
    stranger.goto(live_page + article.get_absolute_url())
    stranger.wait_for_function("document.querySelector('#id_ts').value !== ''")
    assert stranger.locator(f"#comment-{reply.pk}").count() == 0


def test_errors_show_in_place_and_keep_the_text(browser, live_page, settings):
    """A refused comment keeps every word typed and says why, next to the field."""
    from tests.factory import make_article

    settings.BYLINE_COMMENT_MIN_SECONDS = 30
    article = make_article("Another story")
    page = browser.new_page()
    page.goto(live_page + article.get_absolute_url())
    page.wait_for_function("document.querySelector('#id_ts').value !== ''")
    page.fill("#id_body", "Words worth keeping.")
    page.fill("#id_name", "Ada")
    page.fill("#id_email", "ada@example.org")
    page.click(".comment-form button[type=submit]")  # sooner than the minimum time
    page.wait_for_selector(".form-message:has-text('That was quick')")
    assert page.input_value("#id_body") == "Words worth keeping."
    assert not Comment.objects.exists()
