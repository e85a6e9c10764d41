"""Editors write in the admin and preview before publishing."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from byline.articles.models import Article
from tests.factory import make_article, make_section

pytestmark = pytest.mark.django_db
# The corrections-and-updates inline's management form, empty.
NO_NOTES = {
    "notes-TOTAL_FORMS": "0",
    "notes-INITIAL_FORMS": "0",
    "notes-MIN_NUM_FORMS": "0",
    "notes-MAX_NUM_FORMS": "1000",
}


def test_an_editor_writes_an_article_in_the_admin(editor_client):
    section = make_section("World")
    response = editor_client.post(
        "/admin/articles/article/add/",
        {
            "headline": "Written in the admin",
            "slug": "written-in-the-admin",
            "standfirst": "A dek.",
            "body": "Body with **bold**.",
            "status": "draft",
            "section": section.pk,
            "comment_state": "default",
            **NO_NOTES,
        },
    )
    assert response.status_code == 302, response.text[:2000]
    article = Article.objects.get(slug="written-in-the-admin")
    assert "<strong>bold</strong>" in article.body_html
    assert article.reading_seconds > 0


def test_an_editor_previews_a_draft_that_readers_cannot_see(client, editor_client):
    draft = make_article("Not yet", status=Article.Status.DRAFT)
    preview_url = f"/preview/{draft.pk}/"
    response = editor_client.get(preview_url)
    assert response.status_code == 200
    assert "Not yet" in response.text
    assert "Preview: draft article, not visible to readers." in response.text
    assert response["Cache-Control"] == "private, no-store"
    edit_page = editor_client.get(f"/admin/articles/article/{draft.pk}/change/").text
    assert preview_url in edit_page


@pytest.mark.parametrize(
    ("status", "in_a_day"),
    [
        (Article.Status.DRAFT, False),
        (Article.Status.REVIEW, False),
        (Article.Status.PUBLISHED, True),
    ],
)
def test_view_on_site_of_an_article_readers_cannot_see_yet_opens_its_preview(
    editor_client, status, in_a_day
):
    """The edit page's "View on site" button: for a draft, one in review or one scheduled
    it is the preview (the article's address answers 404 until it is live)."""
    when = timezone.now() + timedelta(days=1) if in_a_day else None
    article = make_article("Not yet", status=status, published_at=when)
    edit_page = editor_client.get(f"/admin/articles/article/{article.pk}/change/").text
    link = re.search(r'<a href="([^"]+)" class="viewsitelink"', edit_page)
    assert link is not None
    response = editor_client.get(link.group(1), follow=True)
    assert response.status_code == 200
    assert "not visible to readers" in response.text


def test_view_on_site_of_a_live_article_is_its_address(editor_client):
    article = make_article("Live one")
    edit_page = editor_client.get(f"/admin/articles/article/{article.pk}/change/").text
    link = re.search(r'<a href="([^"]+)" class="viewsitelink"', edit_page)
    assert link is not None
    assert link.group(1) == article.get_absolute_url()
    assert editor_client.get(link.group(1)).status_code == 200


def test_readers_cannot_use_the_preview(client):
    draft = make_article("Not yet", status=Article.Status.DRAFT)
    response = client.get(f"/preview/{draft.pk}/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_article_list_in_the_admin_shows_effective_status(editor_client):
    make_article("Live one")
    html = editor_client.get("/admin/articles/article/").text
    assert "Live one" in html
    assert "Published" in html


@pytest.mark.parametrize("value", ["1.0", "²", "x", str(2**64)])
def test_an_autocomplete_field_posted_with_no_id_is_a_form_error_not_a_500(editor_client, value):
    """The hostile walk found it: the section form refused ``parent=1.0``, then Django's
    autocomplete widget looked the value up to show it and raised."""
    section = make_section("News")
    response = editor_client.post(
        "/admin/articles/section/add/", {"name": "Courts", "slug": "courts", "parent": value}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    response = editor_client.post(
        f"/admin/articles/section/{section.pk}/change/",
        {"name": "News", "slug": "news", "parent": value, "position": "0"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
