"""The newsroom in a real browser: a writer cannot publish and an editor can,
restoring a revision, autosave while typing, closed comments, and the
moderation queue fitting its column at 1280 px."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from byline.articles.models import Article
from byline.discussion.models import Comment
from tests.browser.conftest import expect
from tests.discussion.factory import make_comment
from tests.factory import make_article, make_author, make_section
from tests.newsroom.conftest import PASSWORD, make_member

Status = Article.Status


def log_in(new_page, username: str):
    page = new_page()
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#logout-form")).to_be_attached()
    return page


def test_a_writer_cannot_publish_and_an_editor_can(new_page, site):
    make_member("wanda", "Writer")
    make_member("edna", "Editor")
    writer = log_in(new_page, "wanda")
    writer.goto("/admin/articles/article/add/")
    options = writer.locator("#id_status option").all_inner_texts()
    assert options == ["Draft", "In review"]
    writer.locator("#id_headline").fill("Harbour wall to be rebuilt")
    writer.locator("#id_body").fill("The council approved the plan on Tuesday.")
    writer.locator("#id_status").select_option("review")
    writer.get_by_role("button", name="Save", exact=True).click()
    expect(writer.locator(".messagelist")).to_contain_text("was added successfully")
    article = Article.objects.get(headline="Harbour wall to be rebuilt")
    assert article.status == Status.REVIEW
    actions = writer.locator("select[name=action] option").all_inner_texts()
    assert not any("Publish" in a or "Feature" in a for a in actions), actions

    reader = new_page()
    assert reader.goto(article.get_absolute_url()).status == 404

    editor = log_in(new_page, "edna")
    editor.goto(f"/admin/articles/article/{article.pk}/change/")
    editor.locator("#id_status").select_option("published")
    editor.get_by_role("button", name="Save", exact=True).click()
    expect(editor.locator(".messagelist")).to_contain_text("was changed successfully")
    assert reader.goto(article.get_absolute_url()).status == 200
    expect(reader.locator("h1")).to_have_text("Harbour wall to be rebuilt")


def test_an_editor_restores_a_revision(new_page, site):
    make_member("edna", "Editor")
    editor = log_in(new_page, "edna")
    editor.goto("/admin/articles/article/add/")
    editor.locator("#id_headline").fill("Ferry timetable")
    editor.locator("#id_body").fill("The first ferry leaves at six.")
    editor.get_by_role("button", name="Save and continue editing").click()
    expect(editor.locator(".messagelist")).to_contain_text("was added successfully")
    editor.locator("#id_body").fill("The first ferry leaves at seven.")
    editor.get_by_role("button", name="Save and continue editing").click()
    expect(editor.locator(".messagelist")).to_contain_text("was changed successfully")
    editor.get_by_role("link", name="Revisions and differences").click()
    expect(editor.locator(".revision-list")).to_contain_text("The first ferry leaves at seven.")
    editor.get_by_role("button", name="Restore this revision").first.click()
    expect(editor.locator(".messagelist")).to_contain_text("Restored the revision")
    expect(editor.locator("#id_body")).to_have_value("The first ferry leaves at six.")
    article = Article.objects.get(headline="Ferry timetable")
    assert article.body == "The first ferry leaves at six."
    assert article.revisions.first().kind == "restored"


def test_a_draft_autosaves_while_the_editor_types(new_page, site, settings):
    settings.BYLINE_AUTOSAVE_SECONDS = 1
    make_member("edna", "Editor")
    draft = make_article("Storm warning", status=Status.DRAFT, body="Winds expected.")
    editor = log_in(new_page, "edna")
    editor.goto(f"/admin/articles/article/{draft.pk}/change/")
    editor.locator("#id_body").fill("Winds of 120 km/h expected tonight.")
    expect(editor.locator("#autosave-status")).to_contain_text("Draft autosaved")
    draft.refresh_from_db()
    assert draft.body == "Winds of 120 km/h expected tonight."
    assert draft.status == Status.DRAFT
    # The normal Save after an autosave is not refused as a conflict.
    editor.locator("#id_body").fill("Winds of 120 km/h expected tonight. Stay indoors.")
    editor.get_by_role("button", name="Save", exact=True).click()
    expect(editor.locator(".messagelist")).to_contain_text("was changed successfully")
    draft.refresh_from_db()
    assert draft.body.endswith("Stay indoors.")


def test_readers_see_that_comments_are_closed(new_page, site):
    article = make_article("No comments here", comment_state="closed")
    make_comment(article, body="Said before closing.")
    for javascript in (True, False):
        page = new_page(javascript=javascript)
        page.goto(article.get_absolute_url())
        expect(page.locator(".comments-closed-note")).to_have_text("Comments are closed.")
        expect(page.locator("form.comment-form")).to_have_count(0)
        expect(page.locator(".comment-reply-link")).to_be_hidden()
        expect(page.locator(".discussion")).to_contain_text("Said before closing.")


@pytest.mark.parametrize("width", [1280])
def test_the_moderation_queue_fits_its_column_with_bulk_actions(editor_page, width):
    article = make_article("A much discussed story with a long headline about the harbour")
    for n in range(5):
        make_comment(
            article,
            status=Comment.Status.PENDING,
            body="Averyveryverylongwordwithoutanyspaces" * 4 + f" comment {n}",
            author_name="A commenter with a rather long display name " * 2,
        )
    editor_page.set_viewport_size({"width": width, "height": 900})
    editor_page.goto("/admin/discussion/comment/?status__exact=pending")
    sizes = editor_page.evaluate(
        """() => { const r = document.querySelector('#changelist .results');
                  const t = document.querySelector('#result_list');
                  return [r.clientWidth, r.scrollWidth, t.offsetWidth,
                          document.documentElement.scrollWidth,
                          document.documentElement.clientWidth]; }"""
    )
    column, scrolled, table, page_scroll, page_width = sizes
    assert scrolled <= column and table <= column, sizes
    assert page_scroll <= page_width, sizes
    options = editor_page.locator("select[name=action] option").all_inner_texts()
    for wanted in ("Approve", "spam", "trash"):
        assert any(wanted.lower() in o.lower() for o in options), options
    editor_page.locator("#action-toggle").check()
    editor_page.locator("select[name=action]").select_option("approve")
    # Approving teaches the spam filter and redraws pages: slower than a click on a
    # loaded machine, so the wait is longer than the suite's default.
    editor_page.get_by_role("button", name="Go").click(timeout=60_000)
    expect(editor_page.locator(".messagelist")).to_contain_text("5 comments", timeout=60_000)
    assert Comment.objects.filter(status=Comment.Status.APPROVED).count() == 5
    assert timezone.now() - article.published_at < timedelta(days=1)


def test_the_headline_field_is_as_wide_as_the_standfirst_below_it(editor_page):
    """An editor sees the whole of a usual headline while writing it: its field (and the
    slug's) runs the width of the standfirst's box, not Django's default 20 characters."""
    editor_page.set_viewport_size({"width": 1280, "height": 900})
    editor_page.goto("/admin/articles/article/add/")
    standfirst = editor_page.locator("#id_standfirst").bounding_box()["width"]
    for field in ("#id_headline", "#id_slug"):
        assert editor_page.locator(field).bounding_box()["width"] >= standfirst - 2, field


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_article_list_fits_its_column_with_readable_headlines(editor_page, width):
    """Beside the admin's menu and filters, the article list fits its column, and a long
    headline reads in a column of its own (at least 15 em, three lines at most) with its
    section and byline under it, not squeezed a word a line."""
    section, author = make_section("Science"), make_author("Idris Vane")
    for n in range(3):
        make_article(
            f"Volunteers count a record number of lantern moths in the Vell valley, {n}",
            section=section,
            authors=[author],
        )
    editor_page.set_viewport_size({"width": width, "height": 900})
    editor_page.goto("/admin/articles/article/")
    column, scrolled, table = editor_page.evaluate(
        """() => { const r = document.querySelector('#changelist .results');
                  return [r.clientWidth, r.scrollWidth,
                          document.querySelector('#result_list').offsetWidth]; }"""
    )
    assert scrolled <= column and table <= column, (column, scrolled, table)
    headline = editor_page.locator(".field-article .headline").first
    size = headline.evaluate(
        "h => [h.offsetWidth, h.offsetHeight / parseFloat(getComputedStyle(h).lineHeight),"
        " parseFloat(getComputedStyle(h).fontSize)]"
    )
    width_px, lines, font_px = size
    assert width_px >= 15 * font_px and round(lines) <= 3, size
    assert editor_page.locator(".field-article .filed").first.inner_text() != ""


def test_a_new_pages_path_is_filled_in_from_its_title(editor_page):
    """As an article's slug is: an editor types the title of a new static page and its
    path follows; saved, the page is served at that path from the site's root."""
    from byline.articles.models import StaticPage

    editor_page.goto("/admin/articles/staticpage/add/")
    editor_page.locator("#id_title").press_sequentially("About our newsroom")
    expect(editor_page.locator("#id_path")).to_have_value("about-our-newsroom")
    editor_page.locator("#id_status").select_option("published")
    editor_page.get_by_role("button", name="Save", exact=True).click()
    expect(editor_page.locator(".messagelist")).to_contain_text("was added successfully")
    assert StaticPage.objects.get(title="About our newsroom").path == "/about-our-newsroom/"


def test_a_comments_spam_check_reasons_stand_under_its_verdict(editor_page):
    """The comment's page lists the filter's reasons under "approve by local": not
    pushed 160 px to the right (Django's aligned form indents every list it holds for
    the labels' column, which a read-only value does not have beside it)."""
    article = make_article("A story with a comment")
    comment = make_comment(
        article,
        spam_verdict="approve",
        spam_backend="local",
        spam_score=0.0,
        spam_reasons=["The text reads as genuine.", "Spam score 0.00, under 0.5: published."],
    )
    editor_page.goto(f"/admin/discussion/comment/{comment.pk}/change/")
    field = editor_page.locator(".field-spam_check .readonly")
    expect(field).to_contain_text("approve by local")
    value = field.bounding_box()
    reason = field.locator("li").first.bounding_box()
    assert value is not None and reason is not None
    assert reason["x"] - value["x"] < 40, (value, reason)
