"""A reader's visit to the demo article in a real browser, JavaScript on.

Every vote and comment goes through the page's scripts; the page itself is the
one the page cache serves to everyone, so what changes for the reader changes
in place, without a reload.
"""

from byline.discussion.models import Comment
from byline.engagement import actions, viewbuffer
from byline.engagement.stats import figures_for, set_comment_count
from tests.browser.conftest import expect, run_axe
from tests.discussion.factory import make_comment


def open_article(page, article):
    """Open the article and wait until its script has the live figures (the view
    beacon's answer carries them)."""
    beacon = f"/api/articles/{article.pk}/view/"
    with page.expect_response(lambda r: r.url.endswith(beacon)) as answer:
        page.goto(article.get_absolute_url())
    answer.value.finished()
    page.evaluate("window.notReloaded = true")


def reaction(page, key):
    item = page.locator(f'li[data-reaction="{key}"]')
    return item.locator('[data-field="count"]'), item.locator('[data-field="percent"]')


def test_a_reader_reacts_moves_the_reaction_and_withdraws_it(page, demo_article):
    """One reaction per reader: a second choice moves it, the same one again withdraws it
    (the script sends a clear, ``?reaction=`` with no body, never the same vote again,
    so no vote is a toggle and a retried one is harmless); the counts, percentages and
    the pressed state change in place."""
    open_article(page, demo_article)
    status = page.locator(".engagement-status")
    happy_count, happy_percent = reaction(page, "happy")
    sad_count, sad_percent = reaction(page, "sad")

    page.get_by_role("button", name="Happy", exact=True).click()
    expect(page.get_by_role("button", name="Happy", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(happy_count).to_have_text("1")
    expect(happy_percent).to_have_text("100")
    expect(status).to_have_text("Your reaction: Happy.")

    page.get_by_role("button", name="Sad", exact=True).click()
    expect(page.get_by_role("button", name="Sad", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.get_by_role("button", name="Happy", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(sad_count).to_have_text("1")
    expect(sad_percent).to_have_text("100")
    expect(happy_count).to_have_text("0")
    expect(happy_percent).to_have_text("0")

    with page.expect_request(lambda r: "/reaction/" in r.url) as sent:
        page.get_by_role("button", name="Sad", exact=True).click()
    assert sent.value.method == "POST"
    assert sent.value.url.endswith("/reaction/?reaction=")
    assert sent.value.post_data is None
    expect(page.get_by_role("button", name="Sad", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(sad_count).to_have_text("0")
    expect(status).to_have_text("Your reaction was withdrawn.")
    assert page.evaluate("window.notReloaded") is True
    assert figures_for(demo_article.pk).reaction_total == 0


def test_a_reader_rates_and_changes_the_rating(page, demo_article):
    """The average, the count and the star bars follow the reader's rating; a new rating
    replaces the old one; after a reload the page (the same cached copy for everyone)
    still shows the reader which stars they gave."""
    open_article(page, demo_article)
    average = page.locator('[data-field="average"]')
    ratings = page.locator('[data-field="rating-count"]')
    expect(average).to_have_text("–")

    page.get_by_role("button", name="4 stars").click()
    expect(page.get_by_role("button", name="4 stars")).to_have_attribute("aria-pressed", "true")
    expect(average).to_have_text("4.0")
    expect(ratings).to_have_text("1")
    expect(page.locator('li[data-stars="4"] [data-field="count"]')).to_have_text("1")
    expect(page.locator(".engagement-status")).to_have_text("You rated this article 4 stars.")

    page.get_by_role("button", name="2 stars").click()
    expect(page.get_by_role("button", name="2 stars")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="4 stars")).to_have_attribute("aria-pressed", "false")
    expect(average).to_have_text("2.0")
    expect(ratings).to_have_text("1")  # changed, not added
    expect(page.locator('li[data-stars="4"] [data-field="count"]')).to_have_text("0")
    expect(page.locator('li[data-stars="2"] [data-field="count"]')).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True

    response = page.reload()
    assert response.headers.get("x-page-cache") == "hit"  # the shared copy, not the reader's
    expect(page.get_by_role("button", name="2 stars")).to_have_attribute("aria-pressed", "true")
    expect(average).to_have_text("2.0")


def test_withdraw_buttons_show_only_for_a_vote_the_reader_has(new_page, demo_article):
    """ "Withdraw my reaction" and "Withdraw my rating" are quiet text buttons (no
    browser-default box) shown only while the reader has a vote of that kind, also
    after a reload; withdrawing hides the button and leaves focus in the form. The
    block is axe-clean in light and dark mode with the buttons shown."""
    for scheme in ("light", "dark"):
        page = new_page(color_scheme=scheme)
        open_article(page, demo_article)
        withdraw_reaction = page.get_by_role("button", name="Withdraw my reaction")
        withdraw_rating = page.get_by_role("button", name="Withdraw my rating")
        expect(withdraw_reaction).to_be_hidden()
        expect(withdraw_rating).to_be_hidden()

        page.get_by_role("button", name="Happy", exact=True).click()
        expect(withdraw_reaction).to_be_visible()
        expect(withdraw_rating).to_be_hidden()
        page.get_by_role("button", name="4 stars").click()
        expect(withdraw_rating).to_be_visible()
        look = withdraw_rating.evaluate(
            "b => { const s = getComputedStyle(b); return [s.backgroundColor, s.borderStyle]; }"
        )
        assert look == ["rgba(0, 0, 0, 0)", "none"], look
        page.locator("#engagement").scroll_into_view_if_needed()
        assert run_axe(page) == []

        page.reload()
        expect(withdraw_reaction).to_be_visible()  # the reader's votes, asked after a reload
        expect(withdraw_rating).to_be_visible()
        withdraw_reaction.click()
        expect(page.locator(".engagement-status")).to_have_text("Your reaction was withdrawn.")
        expect(withdraw_reaction).to_be_hidden()
        expect(withdraw_rating).to_be_visible()
        assert page.evaluate("document.activeElement.closest('form[data-vote]') !== null")
        withdraw_rating.click()
        expect(withdraw_rating).to_be_hidden()
        page.close()


def test_a_vote_the_form_posted_itself_is_shown_as_the_readers_own(page, demo_article):
    """A vote sent by the form itself (before the script ran, or without it) comes back to
    the page, whose script then marks the reader's choice and offers to withdraw it, on
    that page and after a reload."""
    open_article(page, demo_article)
    with page.expect_navigation():
        page.evaluate(
            """() => {
                const form = document.querySelector('form[data-vote="reaction"]');
                const choice = document.createElement('input');
                choice.type = 'hidden'; choice.name = 'reaction'; choice.value = 'happy';
                form.appendChild(choice);
                form.submit();
            }"""
        )
    assert "voted=reaction" in page.url
    happy = page.get_by_role("button", name="Happy", exact=True)
    withdraw = page.get_by_role("button", name="Withdraw my reaction")
    expect(happy).to_have_attribute("aria-pressed", "true")
    expect(withdraw).to_be_visible()
    open_article(page, demo_article)
    expect(happy).to_have_attribute("aria-pressed", "true")
    expect(withdraw).to_be_visible()


def test_the_page_counts_its_view_and_shows_it_without_a_reload(page, demo_article):
    """The view is counted by a beacon and the counter shows it at once: the beacon's
    answer carries the counts, so the page needs no second request for them."""
    with page.expect_response(lambda response: response.url.endswith("/view/")) as beacon:
        page.goto(demo_article.get_absolute_url())
    assert beacon.value.status == 200
    assert beacon.value.json()["views"] == 1
    expect(page.locator('[data-counter="views"]')).to_have_text("1 view")
    viewbuffer.flush()
    assert figures_for(demo_article.pk).views == 1


def test_a_comment_awaits_moderation_and_appears_once_an_editor_approves_it(
    page, new_page, editor_page, demo_article
):
    """A reader comments (awaiting moderation, seen only by them), opens a reply form under
    another comment and cancels it (the form returns to its place), and an editor approves
    the comment in the admin: it is on the article for every reader at once (the cached
    page was invalidated), and the reader's counter follows without a reload."""
    earlier = make_comment(demo_article, author_name="Grace", body="The first word.")
    set_comment_count(demo_article.pk, 1)
    stranger = new_page()
    first = stranger.goto(demo_article.get_absolute_url())
    assert first.headers.get("x-page-cache") == "miss"
    assert stranger.reload().headers.get("x-page-cache") == "hit"

    open_article(page, demo_article)
    expect(page.locator('[data-counter="comments"]')).to_have_text("1 comment")
    respond = page.locator("#respond")
    home = page.evaluate("document.getElementById('respond').previousElementSibling.tagName")

    # Reply, then Cancel reply: the form goes under Grace's comment and comes back.
    page.locator(f"#comment-{earlier.pk} .comment-reply-link").click()
    expect(page.locator(f"#comment-{earlier.pk} #respond")).to_have_count(1)
    expect(page.locator(".replying-to")).to_have_text("Replying to Grace")
    expect(page.locator("#id_body")).to_be_focused()
    assert page.input_value("#id_parent") == str(earlier.pk)
    page.get_by_role("link", name="Cancel reply").click()
    expect(page.locator(f"#comment-{earlier.pk} #respond")).to_have_count(0)
    expect(page.get_by_role("link", name="Cancel reply")).to_be_hidden()
    expect(page.locator(".replying-to")).to_be_hidden()
    assert page.input_value("#id_parent") == ""
    assert (
        page.evaluate("document.getElementById('respond').previousElementSibling.tagName") == home
    )
    expect(respond.locator("xpath=..")).to_have_id("comments")

    # A comment of the reader's own: awaiting moderation, in place.
    page.get_by_role("textbox", name="Comment", exact=True).fill("Clear, and fairly told.")
    page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    page.get_by_role("textbox", name="E-mail", exact=True).fill("ada@example.org")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator(".form-message")).to_have_text("Your comment is awaiting moderation.")
    comment = Comment.objects.get(body="Clear, and fairly told.")
    assert comment.status == Comment.Status.PENDING
    mine = page.locator(f"#comment-{comment.pk}")
    expect(mine).to_contain_text("Your comment is awaiting moderation.")
    expect(page.locator("#id_body")).to_have_value("")
    assert page.evaluate("window.notReloaded") is True

    # Only its author sees it while it waits: on the cached page, their browser asks for it
    # when the discussion comes into view.
    again = page.context.new_page()
    again.goto(demo_article.get_absolute_url())
    again.locator("#comments").scroll_into_view_if_needed()
    expect(again.locator(f"#comment-{comment.pk}")).to_contain_text("awaiting moderation")
    again.close()
    stranger.reload()
    expect(stranger.locator(".comment-content", has_text="Clear, and fairly told.")).to_have_count(
        0
    )

    # The editor approves it from the moderation queue.
    editor_page.goto("/admin/discussion/comment/?status__exact=pending")
    editor_page.locator(f'input[name="_selected_action"][value="{comment.pk}"]').check()
    editor_page.get_by_label("Action:").select_option(label="Approve selected comments")
    editor_page.get_by_role("button", name="Go").click()
    expect(editor_page.locator(".messagelist")).to_contain_text("1 comment approved.")

    # Every reader sees it: the cached page was replaced.
    response = stranger.reload()
    assert response.headers.get("x-page-cache") == "miss"
    approved = stranger.locator(f"#comment-{comment.pk}")
    expect(approved).to_contain_text("Clear, and fairly told.")
    expect(approved).not_to_contain_text("awaiting moderation")
    expect(stranger.locator('[data-counter="comments"]')).to_have_text("2 comments")

    # The reader's open page catches up when they come back to it, without a reload.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator('[data-counter="comments"]')).to_have_text("2 comments")
    assert page.evaluate("window.notReloaded") is True


def test_a_comment_sent_too_soon_is_refused_in_place_and_keeps_every_word(
    page, demo_article, browser_settings
):
    """The time-to-submit check refuses a form sent faster than a person writes; the
    reason shows in the form and nothing typed is lost."""
    browser_settings.BYLINE_COMMENT_MIN_SECONDS = 30
    page.goto(demo_article.get_absolute_url())
    page.locator("#comments").scroll_into_view_if_needed()
    # The script's fresh timestamp, asked for when the reader starts using the form.
    page.get_by_role("textbox", name="Comment", exact=True).focus()
    expect(page.locator("#id_ts")).not_to_have_value("")
    page.get_by_role("textbox", name="Comment", exact=True).fill("Words worth keeping.")
    page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    page.get_by_role("textbox", name="E-mail", exact=True).fill("ada@example.org")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator(".form-message")).to_contain_text("That was quick")
    expect(page.get_by_role("textbox", name="Comment", exact=True)).to_have_value(
        "Words worth keeping."
    )
    assert not Comment.objects.exists()


def test_a_readers_follow_up_a_second_after_their_comment_is_taken(
    page, demo_article, browser_settings
):
    """The time-to-submit minimum stops a form sent the instant it is handed out; a
    reader who has just posted a comment that passed it sends a quick follow-up
    ("Sorry, typo") a second later, and it is taken."""
    browser_settings.BYLINE_COMMENT_MIN_SECONDS = 3
    browser_settings.BYLINE_SPAM_FIRST_COMMENT = "publish"
    page.goto(demo_article.get_absolute_url())
    page.locator("#comments").scroll_into_view_if_needed()
    body = page.get_by_role("textbox", name="Comment", exact=True)
    body.focus()  # the form in use asks for its timestamp
    expect(page.locator("#id_ts")).not_to_have_value("")
    page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    page.get_by_role("textbox", name="E-mail", exact=True).fill("ada@example.org")
    body.fill("Sent at once.")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator(".form-message")).to_contain_text("That was quick")

    page.wait_for_timeout(3500)  # a reader writing their comment
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator(".form-message")).not_to_contain_text("That was quick")
    expect(body).to_have_value("")
    page.wait_for_timeout(1000)
    body.fill("Sorry, typo: I meant Wednesday.")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.locator(".comment-content", has_text="I meant Wednesday")).to_have_count(1)
    expect(page.locator(".form-message")).not_to_contain_text("That was quick")
    assert set(Comment.objects.values_list("body", flat=True)) == {
        "Sent at once.",
        "Sorry, typo: I meant Wednesday.",
    }


def test_an_open_page_shows_other_readers_votes_without_a_reload(page, demo_article, settings):
    """While the page is in view it refreshes its figures (BYLINE_COUNTS_REFRESH_SECONDS)."""
    settings.BYLINE_COUNTS_REFRESH_SECONDS = 1
    open_article(page, demo_article)
    count, percent = reaction(page, "surprise")
    expect(count).to_have_text("0")
    actions.react(demo_article.pk, "f" * 32, "surprise")  # another reader, elsewhere
    expect(count).to_have_text("1")
    expect(percent).to_have_text("100")
    assert page.evaluate("window.notReloaded") is True


def test_an_open_page_refreshes_less_often_while_nothing_changes(page, demo_article, settings):
    """Each refresh that finds the figures unchanged doubles the wait, up to four times
    BYLINE_COUNTS_REFRESH_SECONDS; the first change brings the wait back to the setting."""
    settings.BYLINE_COUNTS_REFRESH_SECONDS = 10
    page.clock.install()
    counts = f"/api/articles/{demo_article.pk}/engagement/"
    asked = []
    page.on("requestfinished", lambda r: asked.append(r.url) if r.url.endswith(counts) else None)
    open_article(page, demo_article)

    def seconds_pass(seconds: int) -> int:
        """Let the page's clock run, ten seconds at a time; the refreshes it sent."""
        before = len(asked)
        for _ in range(seconds // 10):
            page.clock.run_for(10_000)
            page.wait_for_timeout(400)  # real time for a refresh to come back
        return len(asked) - before

    # Unchanged: refreshes at 10, 30, 70, 110, 150, 190 s, not every 10 s.
    quiet = seconds_pass(200)
    assert 4 <= quiet <= 8, asked
    actions.react(demo_article.pk, "f" * 32, "surprise")  # another reader, elsewhere
    count, _ = reaction(page, "surprise")
    for _ in range(5):  # the next refresh (within 40 s) shows it
        seconds_pass(10)
        if count.text_content() == "1":
            break
    expect(count).to_have_text("1")
    # Changed: back to the setting, then doubling again (at +10 and +30 s, not +40 s).
    assert seconds_pass(40) >= 2, asked


def test_figures_out_of_view_are_not_refreshed_and_are_caught_up_when_seen(
    page, demo_article, settings
):
    """A reader deep in the article sees neither the counters under the headline nor the
    figures after it: the page asks for nothing then. Scrolled back to them after longer
    than BYLINE_COUNTS_REFRESH_SECONDS, the figures are refreshed at once."""
    settings.BYLINE_COUNTS_REFRESH_SECONDS = 10
    page.set_viewport_size({"width": 1280, "height": 500})
    page.clock.install()
    counts = f"/api/articles/{demo_article.pk}/engagement/"
    asked = []
    page.on("requestfinished", lambda r: asked.append(r.url) if r.url.endswith(counts) else None)
    open_article(page, demo_article)
    # Halfway between the counters and the figures block, both well out of view.
    page.evaluate(
        """() => {
        const top = document.querySelector('[data-counter="views"]').getBoundingClientRect().bottom;
        const end = document.querySelector("section.engagement").getBoundingClientRect().top;
        window.scrollTo(0, window.scrollY + (top + end - window.innerHeight) / 2);
        }"""
    )
    out_of_view = page.evaluate(
        """() => [document.querySelector('[data-counter="views"]'),
                  document.querySelector("section.engagement")].every((node) => {
            const box = node.getBoundingClientRect();
            return box.bottom < -200 || box.top > window.innerHeight + 200;
        })"""
    )
    assert out_of_view, "the demo article is too short for this test"
    page.wait_for_timeout(300)  # the observer's first report
    for _ in range(6):
        page.clock.run_for(10_000)
        page.wait_for_timeout(200)
    assert asked == []
    actions.react(demo_article.pk, "f" * 32, "surprise")  # another reader, elsewhere
    with page.expect_request_finished(lambda r: r.url.endswith(counts)):
        page.evaluate("window.scrollTo(0, 0)")
    count, _ = reaction(page, "surprise")
    page.locator("section.engagement").scroll_into_view_if_needed()
    expect(count).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True
