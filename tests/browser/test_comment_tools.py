"""Sorting the comments, a comment's permalink and editing one's own comment, in a real
browser at a phone's width (390 px) and a desktop's (1280 px), with and without
JavaScript, through the page cache as in production."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from byline.discussion.actions import moderate
from byline.discussion.models import Comment
from tests.browser.conftest import expect, run_axe, run_axe_without_js
from tests.discussion.factory import make_comment
from tests.factory import make_article

WIDTHS = [390, 1280]


@pytest.fixture
def discussed(db, browser_settings):
    """An article with three threads: the middle one has the most replies."""
    browser_settings.BYLINE_SPAM_FIRST_COMMENT = "publish"
    browser_settings.BYLINE_COMMENT_THREADS_PER_PAGE = 2
    article = make_article("The bridge reopens after two years")
    start = timezone.now() - timedelta(hours=6)
    old = make_comment(article, submitted_at=start, author_name="Early Reader")
    middle = make_comment(article, submitted_at=start + timedelta(hours=1), author_name="Busy")
    new = make_comment(article, submitted_at=start + timedelta(hours=2), author_name="Late")
    for n in range(3):
        make_comment(article, parent=middle, submitted_at=start + timedelta(hours=3, minutes=n))
    return article, old, middle, new


def top_level(page) -> list[str]:
    return page.locator("ol.comment-list > li").evaluate_all("items => items.map(i => i.id)")


def fits_sideways(page) -> bool:
    page.wait_for_load_state()  # not while the next document is replacing this one
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_sorting_is_plain_links_kept_across_pages(new_page, discussed, width):
    """Without JavaScript: "Most replies" puts the liveliest thread first, the next page
    keeps the order, "Newest first" reverses the threads; axe-clean, no sideways scroll."""
    article, old, middle, new = discussed
    page = new_page(javascript=False, width=width)
    page.goto(article.get_absolute_url())
    assert top_level(page) == [f"comment-{old.pk}", f"comment-{middle.pk}"]
    sort = page.get_by_role("navigation", name="Order of comments")
    expect(sort.get_by_role("link", name="Oldest first")).to_have_attribute("aria-current", "true")
    sort.get_by_role("link", name="Most replies").click()
    assert "sort=top" in page.url
    assert top_level(page) == [f"comment-{middle.pk}", f"comment-{old.pk}"]
    assert fits_sideways(page)
    page.get_by_role("link", name="Next page").click()
    assert "sort=top" in page.url and "cpage=2" in page.url
    assert top_level(page) == [f"comment-{new.pk}"]
    page.get_by_role("navigation", name="Order of comments").get_by_role(
        "link", name="Newest first"
    ).click()
    assert top_level(page) == [f"comment-{new.pk}", f"comment-{middle.pk}"]
    replies = page.locator(f"#comment-{middle.pk} ol.children > li")
    assert replies.count() == 3
    assert run_axe_without_js(page, new_page) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_copy_link_copies_the_permalink_that_lands_on_the_right_page(
    new_page, site, discussed, width
):
    """With JavaScript "Copy link" copies the comment's address and says so; that address
    opens the page of the discussion that shows the comment, scrolled to it."""
    article, old, middle, new = discussed
    page = new_page(width=width)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto(article.get_absolute_url())
    link = page.locator(f"#comment-{old.pk} .comment-link")
    expect(link).to_have_attribute("href", f"/comments/{old.pk}/")
    link.click()
    expect(page.locator(f"#comment-{old.pk} .copied")).to_have_text("Link copied")
    wanted = f"{site}/comments/{old.pk}/"
    # The system clipboard is shared by every page of the browser: read it until it
    # holds this copy (an earlier test's copy may still be on it for a moment).
    for _ in range(30):
        copied = page.evaluate("navigator.clipboard.readText()")
        if copied == wanted:
            break
        page.wait_for_timeout(100)
    assert copied == wanted
    page.goto(f"/comments/{new.pk}/")
    assert page.url.endswith(f"{article.get_absolute_url()}?cpage=2#comment-{new.pk}")
    expect(page.locator(f"#comment-{new.pk}")).to_be_in_viewport()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_comment_a_permalink_names_stands_out_below_the_windows_edge(
    new_page, discussed, width
):
    """A reader who follows a comment's link sees which comment it is: it is marked
    (the highlight colour, with JavaScript off too) and does not touch the window's top."""
    article, old, middle, new = discussed
    page = new_page(javascript=False, width=width)
    page.goto(f"/comments/{middle.pk}/")
    assert page.url.endswith(f"#comment-{middle.pk}")

    def background(pk: int) -> str:
        return page.locator(f"#comment-{pk} > .comment-body").evaluate(
            "body => getComputedStyle(body).backgroundColor"
        )

    assert background(middle.pk) != background(old.pk)
    assert background(old.pk) == "rgba(0, 0, 0, 0)"
    top = page.locator(f"#comment-{middle.pk} > .comment-body").bounding_box()["y"]
    assert top >= 8, top


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reply_under_a_removed_comment_is_reached_by_its_permalink(
    new_page, site, discussed, width
):
    """A moderator trashed a comment that had an answer: the answer's permalink opens
    the page that shows it, scrolled to it, under a placeholder that names no one."""
    article, old, middle, new = discussed
    binned = make_comment(article, parent=new, author_name="Binned Author", body="Rude words.")
    answer = make_comment(article, parent=binned, body="A calm answer.")
    Comment.objects.filter(pk=binned.pk).update(status=Comment.Status.TRASH)
    page = new_page(width=width)
    page.goto(f"/comments/{answer.pk}/")
    assert page.url.endswith(f"{article.get_absolute_url()}?cpage=2#comment-{answer.pk}")
    expect(page.locator(f"#comment-{answer.pk} .comment-content")).to_have_text("A calm answer.")
    expect(page.locator(f"#comment-{answer.pk}")).to_be_in_viewport()
    placeholder = page.locator(f"#comment-{binned.pk}")
    expect(placeholder.locator(".comment-removed-note")).to_have_text("This comment was removed.")
    own = placeholder.evaluate("li => li.innerHTML").split('<ol class="children">')[0]
    assert "<a" not in own  # no link of its own (the answer below has its links)
    assert "Binned Author" not in page.content() and "Rude words." not in page.content()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reply_under_a_held_comment_says_it_is_not_shown_yet(new_page, discussed, width):
    """A moderator took an answered comment back into the queue: the answer waits with
    it, and its permalink says so (no anchor the page lacks), then opens the discussion."""
    article, old, middle, new = discussed
    held = make_comment(article, parent=new, body="Words under review.")
    answer = make_comment(article, parent=held, body="An answer that waits.")
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    page = new_page(width=width)
    assert page.goto(f"/comments/{answer.pk}/").status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This comment is not shown yet")
    expect(page.locator(".held-above")).to_contain_text("awaiting moderation")
    assert "An answer that waits." not in page.content()
    assert run_axe(page) == [] and fits_sideways(page)
    page.get_by_role("link", name="Go to the discussion").click()
    assert page.url.endswith(f"{article.get_absolute_url()}#comments")
    expect(page.locator("#comments")).to_be_in_viewport()


def test_a_moderator_viewing_a_waiting_reply_on_site_sees_it_and_can_moderate(
    editor_page, discussed
):
    """The admin's "View on site" on a reply that waits under a held comment opens the
    reply for the moderator (never the readers' 404), says why readers do not see it,
    and leads to the held comment in the admin."""
    article, old, middle, new = discussed
    held = make_comment(article, parent=new, body="Words under review.")
    answer = make_comment(article, parent=held, body="An answer that waits.")
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    page = editor_page
    page.goto(f"/admin/discussion/comment/{answer.pk}/change/")
    with page.expect_navigation() as opened:
        page.get_by_role("link", name="View on site").click()
    assert opened.value.status == 200
    assert "no-store" in opened.value.headers["cache-control"]
    expect(page.locator(".comment-content")).to_contain_text("An answer that waits.")
    expect(page.locator(".moderator-note")).to_contain_text("awaiting moderation")
    assert run_axe(page) == [] and fits_sideways(page)
    page.get_by_role("link", name="Moderate the held comment above it").click()
    assert page.url.endswith(f"/admin/discussion/comment/{held.pk}/change/")


def reply_with_script(page, to: Comment, body: str) -> None:
    page.locator(f"#comment-{to.pk} .comment-reply-link").first.click()
    page.get_by_role("textbox", name="Comment", exact=True).fill(body)
    page.get_by_role("textbox", name="Name", exact=True).fill("Robin Quill")
    page.get_by_role("textbox", name="E-mail", exact=True).fill("robin@example.org")


def test_a_reply_sent_after_its_thread_was_taken_back_is_not_shown_under_it(new_page, discussed):
    """A moderator takes a comment back into the queue while a reader's page still shows
    it. A reply to it is refused, with the reason, and not shown, and the page no longer
    shows that thread (its replies wait with it); a reply further down
    its thread is published but waits with it: the reader is told, with a link to their
    reply, and the page no longer shows the thread that is gone."""
    article, old, middle, new = discussed
    page = new_page()
    page.goto(article.get_absolute_url())
    reply_with_script(page, middle, "A reply to a comment that just left.")
    Comment.objects.filter(pk=middle.pk).update(status=Comment.Status.PENDING)
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator(".form-message")).to_contain_text("not available any more")
    expect(page.locator(".comment-content", has_text="just left")).to_have_count(0)
    assert not Comment.objects.filter(body__contains="just left").exists()
    expect(page.locator(f"#comment-{middle.pk}")).to_have_count(0)
    expect(page.locator("ol.comment-list > li")).to_have_count(1)  # the page's other thread
    expect(page.get_by_role("textbox", name="Comment", exact=True)).to_have_value(
        "A reply to a comment that just left."
    )  # kept, in the form at the top, to start a new thread

    page.goto(article.get_absolute_url())
    answered = Comment.objects.filter(parent=middle).first()
    Comment.objects.filter(pk=middle.pk).update(status=Comment.Status.APPROVED)
    page.reload()
    reply_with_script(page, answered, "A reply further down the thread.")
    Comment.objects.filter(pk=middle.pk).update(status=Comment.Status.PENDING)
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator(".form-message")).to_contain_text("taken back for moderation")
    reply = Comment.objects.get(body="A reply further down the thread.")
    assert reply.status == Comment.Status.APPROVED
    expect(page.locator(".comment-content", has_text="further down")).to_have_count(0)
    expect(page.locator(f"#comment-{middle.pk}")).to_have_count(0)
    expect(page.locator(f"#comment-{answered.pk}")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Comment", exact=True)).to_have_value("")
    page.get_by_role("link", name="See your reply").click()
    expect(page.locator(".held-above")).to_contain_text("awaiting moderation")
    expect(page.locator(f"#comment-{reply.pk}")).to_contain_text("further down the thread")


def test_on_a_thread_s_later_page_a_reply_under_a_comment_taken_back_takes_its_replies_off(
    new_page, discussed, browser_settings
):
    """A thread read a page at a time: the comment taken back into the queue is on the
    thread's first page, the replies under it the reader sees on the second. A reply to
    one of them is published but waits with it; the page no longer shows them."""
    browser_settings.BYLINE_COMMENT_THREAD_PAGE_SIZE = 2
    article, _, middle, _ = discussed
    first = Comment.objects.filter(parent=middle).order_by("submitted_at").first()
    later = [make_comment(article, parent=first, body=f"Deeper {n}.") for n in range(3)]
    page = new_page()
    page.goto(f"{article.get_absolute_url()}?thread={middle.pk}&tpage=2")
    expect(page.locator(f"#comment-{later[1].pk}")).to_have_count(1)
    expect(page.locator(f"#comment-{first.pk}")).to_have_count(0)  # on the first page
    reply_with_script(page, later[1], "A reply on the second page.")
    Comment.objects.filter(pk=first.pk).update(status=Comment.Status.PENDING)
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator(".form-message")).to_contain_text("taken back for moderation")
    for comment in later:
        expect(page.locator(f"#comment-{comment.pk}")).to_have_count(0)
    expect(page.locator(".comment-content", has_text="second page")).to_have_count(0)


def test_a_reply_to_a_comment_removed_since_the_page_loaded_leaves_its_placeholder(
    new_page, discussed, editor
):
    """A moderator moves a comment with replies to the bin while a reader's page still
    shows it. A reply to it is refused, and the page shows what every page now does:
    "This comment was removed." in its place, its replies under it."""
    article, old, middle, new = discussed
    page = new_page(width=390)
    page.goto(article.get_absolute_url())
    reply_with_script(page, middle, "A reply to a comment that was binned.")
    moderate([middle], "trash", editor, "")  # as the queue does: every page redrawn
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator(".form-message")).to_contain_text("not available any more")
    placeholder = page.locator(f"#comment-{middle.pk}")
    expect(placeholder.locator(":scope > .comment-removed-note")).to_have_text(
        "This comment was removed."
    )
    expect(placeholder.locator(".comment-body")).to_have_count(3)  # its replies, not itself
    expect(page.locator(".comment-content", has_text="binned")).to_have_count(0)
    stale = page.locator("li.comment").evaluate_all("items => items.map(i => i.id)")
    page.reload()
    expect(page.locator(f"#comment-{middle.pk} > .comment-removed-note")).to_have_count(1)
    assert page.locator("li.comment").evaluate_all("items => items.map(i => i.id)") == stale
    assert fits_sideways(page)


def test_without_javascript_copy_link_is_a_plain_link(page_without_js, discussed):
    """Without a script the link opens the comment in its place (the browser's own
    "copy link" works on it)."""
    article, old, middle, new = discussed
    page_without_js.goto(article.get_absolute_url() + "?cpage=2")
    page_without_js.locator(f"#comment-{new.pk} .comment-link").click()
    assert page_without_js.url.endswith(f"?cpage=2#comment-{new.pk}")


def send_comment(page, body: str) -> None:
    """Fill in the comment form as Robin Quill and press "Post Comment"."""
    page.get_by_role("textbox", name="Comment", exact=True).fill(body)
    page.get_by_role("textbox", name="Name", exact=True).fill("Robin Quill")
    page.get_by_role("textbox", name="E-mail", exact=True).fill("robin@example.org")
    page.get_by_role("button", name="Post Comment").click()


def post_with_script(page, body: str) -> Comment:
    send_comment(page, body)
    expect(page.locator(".form-message")).to_have_text("Your comment is published.", timeout=60_000)
    return Comment.objects.get(body=body)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reader_edits_their_own_comment_in_place(new_page, discussed, browser_settings, width):
    """The reader's own new comment gets an Edit link (from the uncached session, never
    the cached page); the form opens in place with their words; saving shows the new
    words marked "edited". Another reader on the same page sees no Edit link."""
    article, old, middle, new = discussed
    browser_settings.BYLINE_COMMENT_THREADS_PER_PAGE = 50
    page = new_page(width=width)
    page.goto(article.get_absolute_url())
    mine = post_with_script(page, "The bridge opens at noon.")
    page.reload()
    own = page.locator(f"#comment-{mine.pk}")
    expect(own.get_by_role("link", name="Edit")).to_be_visible()
    expect(page.locator(f"#comment-{old.pk} .comment-edit-link")).to_have_count(0)
    own.get_by_role("link", name="Edit").click()
    box = own.get_by_role("textbox", name="Edit your comment")
    expect(box).to_have_value("The bridge opens at noon.")
    assert fits_sideways(page)
    assert run_axe(page) == []
    box.fill("The bridge opens at 2 pm, not noon.")
    own.get_by_role("button", name="Save changes").click()
    expect(own.locator(".comment-content")).to_have_text("The bridge opens at 2 pm, not noon.")
    expect(own.locator(".comment-edited")).to_contain_text("edited")
    expect(own.locator(".edit-message")).to_have_text("Your comment is updated.")
    mine.refresh_from_db()
    assert mine.body == "The bridge opens at 2 pm, not noon." and mine.edited_at

    stranger = new_page(width=width)
    stranger.goto(article.get_absolute_url())
    expect(stranger.locator(f"#comment-{mine.pk} .comment-content")).to_have_text(
        "The bridge opens at 2 pm, not noon."
    )
    stranger.wait_for_load_state("networkidle")
    expect(stranger.locator(".comment-edit-link")).to_have_count(0)
    assert "/edit/" not in stranger.content()


@pytest.mark.parametrize("status", ["published", "held"])
def test_the_edit_link_comes_with_the_new_comment_without_a_reload(
    page, discussed, browser_settings, status
):
    """The edit window is for the typo seen right after posting: the comment the script
    just put on the page has its Edit link at once (published, or held for moderation),
    and it opens the form with the reader's words."""
    article, *_ = discussed
    browser_settings.BYLINE_COMMENT_THREADS_PER_PAGE = 50
    if status == "held":
        browser_settings.BYLINE_SPAM_FIRST_COMMENT = "hold"
    page.goto(article.get_absolute_url())
    body = "The bridge opens at noon."
    send_comment(page, body)
    own = page.locator(".comment", has_text=body)
    expect(own.get_by_role("link", name="Edit")).to_be_visible(timeout=60_000)
    mine = Comment.objects.get(body=body)
    assert own.get_attribute("id") == f"comment-{mine.pk}"
    own.get_by_role("link", name="Edit").click()
    expect(own.get_by_role("textbox", name="Edit your comment")).to_have_value(body)


def app_requests(page) -> list[str]:
    """The requests the page's script makes to the app for the discussion, as
    "METHOD path" (the session's query kept: ``&form=1``), in order."""
    asked: list[str] = []

    def note(request):
        path = request.url.split("://", 1)[1].split("/", 1)[1]
        if path.startswith(("comments/", "api/csrf/")):
            asked.append(f"{request.method} /{path.split('#')[0]}")

    page.on("request", note)
    return asked


def test_a_comment_and_its_edit_cost_three_requests_to_the_app(page, discussed, browser_settings):
    """Using the form asks its session (the form token and the CSRF token), posting is
    one request whose answer brings the Edit link, and saving the edit is one more:
    no ``/api/csrf/`` before either post, no session asked again after posting."""
    article, *_ = discussed
    browser_settings.BYLINE_COMMENT_THREADS_PER_PAGE = 50
    page.goto(article.get_absolute_url())
    asked = app_requests(page)
    body = "The bridge opens at noon."
    send_comment(page, body)
    posted = page.locator(".comment", has_text=body)
    expect(posted.get_by_role("link", name="Edit")).to_be_visible(timeout=60_000)
    own = page.locator(f"#{posted.get_attribute('id')}")
    own.get_by_role("link", name="Edit").click()
    own.get_by_role("textbox", name="Edit your comment").fill("The bridge opens at two.")
    own.get_by_role("button", name="Save changes").click()
    expect(own.locator(".edit-message")).to_have_text("Your comment is updated.")
    mine = Comment.objects.get(body="The bridge opens at two.")
    page.wait_for_load_state("networkidle")
    assert asked == [
        f"GET /comments/session/?article={article.pk}&form=1",
        "POST /comments/post/",
        f"POST /comments/{mine.pk}/edit/",
    ]


@pytest.mark.parametrize("csrf_answers", [True, False])
def test_a_csrf_token_rotated_before_posting_still_posts_once(
    page, discussed, browser_settings, csrf_answers
):
    """The CSRF cookie is replaced between using the form and posting (a sign-in in
    another tab), in a browser whose post proves nothing by its origin headers (the
    script's token is then what Django checks): the post refused for it is sent again,
    once, with a token asked for then, and makes one comment. Should that token not
    come (``/api/csrf/`` unreachable), the reader is told and keeps every word."""
    article, *_ = discussed
    browser_settings.BYLINE_COMMENT_THREADS_PER_PAGE = 50

    def like_an_older_browser(route):
        # Sent without Sec-Fetch-Site nor Origin (Chromium adds them to what it sends
        # itself, so the route sends it, with the context's cookies): Django's token
        # check decides, as for a browser without fetch metadata behind a proxy.
        drop = ("sec-fetch-", "origin")
        headers = {k: v for k, v in route.request.headers.items() if not k.startswith(drop)}
        route.fulfill(response=route.fetch(headers=headers))

    page.route("**/comments/post/", like_an_older_browser)
    if not csrf_answers:
        page.route("**/api/csrf/", lambda route: route.abort())
    page.goto(article.get_absolute_url())
    asked = app_requests(page)
    box = page.get_by_role("textbox", name="Comment", exact=True)
    box.focus()  # the form's session: its token, and the CSRF cookie and token
    expect(page.locator("#id_ts")).not_to_have_value("")
    assert any(c["name"] == "csrftoken" for c in page.context.cookies())
    page.context.clear_cookies(name="csrftoken")  # rotated: the token held is stale
    box.fill("Words worth keeping.")
    page.get_by_role("textbox", name="Name", exact=True).fill("Robin Quill")
    page.get_by_role("textbox", name="E-mail", exact=True).fill("robin@example.org")
    page.get_by_role("button", name="Post Comment").click()
    if csrf_answers:
        expect(page.locator(".comment-content", has_text="Words worth keeping.")).to_have_count(1)
        expect(page.locator(".form-message")).to_have_text("Your comment is published.")
        assert Comment.objects.filter(body="Words worth keeping.").count() == 1
    else:
        expect(page.locator(".form-message")).to_contain_text("could not confirm")
        expect(box).to_have_value("Words worth keeping.")
        assert not Comment.objects.filter(body="Words worth keeping.").exists()
    page.wait_for_load_state("networkidle")
    sent = ["POST /comments/post/", "GET /api/csrf/", "POST /comments/post/"]
    if not csrf_answers:  # a refused comment's form asks its session again, as ever
        sent.append(f"GET /comments/session/?article={article.pk}&form=1")
    assert asked[1:] == sent


def test_a_late_edit_is_refused_and_keeps_the_words(page, discussed, browser_settings):
    """Past the edit window, saving says why and leaves what was typed in the box."""
    article, *_ = discussed
    browser_settings.BYLINE_COMMENT_THREADS_PER_PAGE = 50
    page.goto(article.get_absolute_url())
    mine = post_with_script(page, "Opening on Monday.")
    page.reload()
    own = page.locator(f"#comment-{mine.pk}")
    own.get_by_role("link", name="Edit").click()
    Comment.objects.filter(pk=mine.pk).update(submitted_at=timezone.now() - timedelta(hours=1))
    own.get_by_role("textbox", name="Edit your comment").fill("Opening on Tuesday.")
    own.get_by_role("button", name="Save changes").click()
    expect(own.locator(".edit-form .form-message")).to_contain_text("that time is over")
    expect(own.get_by_role("textbox", name="Edit your comment")).to_have_value(
        "Opening on Tuesday."
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_without_javascript_a_reader_edits_from_their_comments_page(
    new_page, discussed, browser_settings, width
):
    """No script: posting lands on the comment's own page, which shows its author "Edit
    your comment" (the cached article page never does); the form page saves and leads
    back to the comment, marked edited. The pages are axe-clean."""
    article, *_ = discussed
    browser_settings.BYLINE_COMMENT_THREADS_PER_PAGE = 50
    page = new_page(javascript=False, width=width)
    page.goto(article.get_absolute_url())
    page.get_by_role("textbox", name="Comment", exact=True).fill("Toll free for a month.")
    page.get_by_role("textbox", name="Name", exact=True).fill("Robin Quill")
    page.get_by_role("textbox", name="E-mail", exact=True).fill("robin@example.org")
    page.get_by_role("button", name="Post Comment").click()
    mine = Comment.objects.get(body="Toll free for a month.")
    assert page.url.endswith(f"/comments/{mine.pk}/")
    expect(page.get_by_text("your comment is published")).to_be_visible()
    assert fits_sideways(page)
    assert run_axe_without_js(page, new_page) == []
    page.get_by_role("link", name="See it in the discussion").click()
    assert page.url.endswith(f"#comment-{mine.pk}")
    expect(page.locator(f"#comment-{mine.pk}")).to_be_visible()
    expect(page.get_by_role("link", name="Edit your comment")).to_have_count(0)  # cached page
    page.go_back()
    page.get_by_role("link", name="Edit your comment").click()
    assert fits_sideways(page)
    box = page.get_by_role("textbox", name="Comment")
    expect(box).to_have_value("Toll free for a month.")
    box.fill("Toll free for two months.")
    page.get_by_role("button", name="Save changes").click()
    assert page.url.endswith(f"#comment-{mine.pk}")
    own = page.locator(f"#comment-{mine.pk}")
    expect(own.locator(".comment-content")).to_have_text("Toll free for two months.")
    expect(own.locator(".comment-edited")).to_be_visible()
    assert fits_sideways(page)
    assert run_axe_without_js(page, new_page) == []


def test_a_reply_form_opens_without_the_last_comments_message(new_page, discussed):
    """ "Your comment is published." belongs to the comment just sent: a reader who then
    answers someone does not read it above an empty reply form, as if the reply were out."""
    article, old, middle, new = discussed
    page = new_page(width=1280)
    page.goto(article.get_absolute_url())
    page.get_by_role("textbox", name="Comment", exact=True).fill("Good to see it open.")
    page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    page.get_by_role("textbox", name="E-mail", exact=True).fill("ada@example.org")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator(".form-message")).to_have_text("Your comment is published.")
    page.locator(f"#comment-{old.pk} .comment-reply-link").click()
    expect(page.locator(".replying-to")).to_have_text("Replying to Early Reader")
    expect(page.locator(".form-message")).to_have_text("")
