"""axe-core (WCAG 2.0-2.2, A and AA) finds nothing serious or critical on the pages
readers and moderators use."""

from byline.discussion.models import Comment
from byline.engagement.stats import set_comment_count
from tests.browser.conftest import expect, post_a_refused_comment, run_axe_without_js
from tests.discussion.factory import make_comment


def threaded_comments(article) -> None:
    """Approved comments three levels deep, one with a link and a quote."""
    first = make_comment(article, author_name="Grace", body="A careful piece.\n\n> quoted line")
    reply = make_comment(article, parent=first, author_name="Ada", body="Agreed, mostly.")
    make_comment(article, parent=reply, author_name="Linus", body="See https://example.org/")
    make_comment(article, author_name="Oskar", author_url="https://example.org/", body="Hm.")
    set_comment_count(article.pk, 4)


def test_the_front_page_has_no_serious_accessibility_violations(axe, page, demo_article):
    """The front page has no serious or critical WCAG 2.2 A/AA violation."""
    page.goto("/")
    assert axe(page) == []


def test_the_article_page_with_threaded_comments_has_no_serious_violations(axe, page, demo_article):
    """The article page with a threaded discussion, reactions and rating, scripts done,
    has no serious or critical violation."""
    threaded_comments(demo_article)
    page.goto(demo_article.get_absolute_url())
    expect(page.locator("ol.children ol.children .comment")).to_have_count(1)
    expect(page.locator('[data-counter="views"]')).to_have_text("1 view")  # scripts done
    assert axe(page) == []


def test_the_comment_form_showing_errors_has_no_serious_violations(axe, page, demo_article):
    """The errors the page's script puts next to the fields are accessible too."""
    post_a_refused_comment(page, demo_article.get_absolute_url())
    expect(page.locator("#id_website-error")).to_be_visible()
    assert axe(page) == []


def test_the_comment_form_page_without_javascript_has_no_serious_violations(
    axe, page_without_js, new_page, demo_article
):
    """The uncached page a refused comment comes back on, errors shown."""
    page = page_without_js
    post_a_refused_comment(page, demo_article.get_absolute_url())
    expect(page.locator("#id_website-error")).to_be_visible()
    assert run_axe_without_js(page, new_page) == []


def test_the_moderation_queue_has_no_serious_violations(axe, editor_page, demo_article):
    """The admin's moderation queue, as a logged-in editor sees it, has no serious or
    critical violation."""
    threaded_comments(demo_article)
    make_comment(demo_article, status=Comment.Status.PENDING, body="Waiting for a moderator.")
    make_comment(demo_article, status=Comment.Status.SPAM, body="Cheap watches.")
    editor_page.goto("/admin/discussion/comment/?status__exact=pending")
    expect(editor_page.locator("#result_list tbody tr")).to_have_count(1)
    assert axe(editor_page) == []


def test_a_comments_page_and_the_article_list_have_no_serious_violations(
    axe, editor_page, demo_article
):
    """A comment's own page with its decision buttons, and the article list, as an
    editor sees them, have no serious or critical violation."""
    pending = make_comment(demo_article, status=Comment.Status.PENDING, body="Waiting.")
    editor_page.goto(f"/admin/discussion/comment/{pending.pk}/change/")
    expect(editor_page.get_by_role("button", name="Approve")).to_be_visible()
    assert axe(editor_page) == []
    editor_page.get_by_role("button", name="Approve").click()
    expect(editor_page.locator(".messagelist")).to_contain_text("The comment was approved.")
    expect(editor_page.get_by_role("button", name="Unapprove")).to_be_visible()
    editor_page.goto("/admin/articles/article/")
    assert axe(editor_page) == []
