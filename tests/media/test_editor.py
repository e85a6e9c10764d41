"""The admin editor: a live preview rendered by the site's renderer (staff only, CSRF,
rate limited), an image picker, and a clear warning when a save drops an iframe or script."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from byline.articles.models import Article
from byline.articles.rendering import render_markdown
from tests.factory import make_article

pytestmark = pytest.mark.django_db
PREVIEW = "/admin/media/image/preview/"
PICKER = "/admin/media/image/picker/"


def test_the_preview_is_the_body_exactly_as_readers_will_see_it(editor_client, library_image):
    body = (
        f"# Title\n\n**Bold** and _italic_.\n\n![](media:{library_image.pk})\n\nhttps://vimeo.com/1"
    )
    response = editor_client.post(PREVIEW, {"body": body})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert data["html"] == render_markdown(body)
    assert '<figure class="image">' in data["html"] and 'data-provider="vimeo"' in data["html"]
    assert data["warnings"] == []


def test_the_preview_says_what_saving_would_warn_about(editor_client):
    body = 'Text <iframe src="https://evil.example/widget"></iframe>'
    data = editor_client.post(PREVIEW, {"body": body}).json()
    assert "<iframe" not in data["html"]
    assert data["warnings"] == [
        "An <iframe> from evil.example is not shown to readers: evil.example is not on the "
        "embed allow-list (YouTube, Vimeo, X, Instagram, TikTok, Spotify, Google Maps, "
        "Datawrapper, Flourish). Link to it instead."
    ]


def test_the_preview_needs_a_csrf_token(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(PREVIEW, {"body": "x"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 403


def test_the_preview_is_for_staff_who_may_edit_only(client):
    assert client.post(PREVIEW, {"body": "x"}).status_code == 302  # to the login page
    user = get_user_model().objects.create_user("reader", password="pw-pw-pw-pw", is_staff=True)
    client.force_login(user)
    response = client.post(PREVIEW, {"body": "x"})
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "You may not edit articles or pages."


def test_the_preview_answers_only_posts(editor_client):
    assert editor_client.get(PREVIEW).status_code == 405


def test_previews_are_rate_limited_per_editor(editor_client, settings):
    settings.BYLINE_EDITOR_PREVIEW_RATE_LIMIT = 3
    codes = [editor_client.post(PREVIEW, {"body": "x"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = editor_client.post(PREVIEW, {"body": "x"})
    assert refused["Retry-After"] == "60"
    assert "Too many previews" in refused.json()["error"]["message"]


def test_the_picker_lists_the_library_with_the_reference_to_insert(editor_client, library_image):
    data = editor_client.get(PICKER, {"q": "quay"}).json()
    [found] = data["images"]
    assert found["token"] == f"![Boats at the quay](media:{library_image.pk})"
    assert found["thumbnail"].endswith(".webp")
    assert editor_client.get(PICKER, {"q": "nothing like it"}).json() == {"images": []}


def test_the_article_form_has_the_editor_and_still_works_as_a_plain_textarea(editor_client):
    article = make_article()
    html = editor_client.get(f"/admin/articles/article/{article.pk}/change/").text
    assert 'data-editor="markdown"' in html
    assert f'data-preview-url="{PREVIEW}"' in html and f'data-picker-url="{PICKER}"' in html
    assert "/static/media/editor.js" in html
    assert '<textarea name="body"' in html  # without the script, the field is the textarea


def change_form(article: Article, **changes) -> dict:
    data = {
        "headline": article.headline,
        "slug": article.slug,
        "standfirst": article.standfirst,
        "body": article.body,
        "status": article.status,
        "published_at_0": article.published_at.strftime("%Y-%m-%d"),
        "published_at_1": article.published_at.strftime("%H:%M:%S"),
        "password": "",
        "lead_image_alt": "",
        "lead_image_caption": "",
        # The newsroom's fields on the same form: comment state, the version it was
        # loaded from, and the corrections-and-updates inline (empty).
        "comment_state": "default",
        "loaded_version": article.version,
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
        "notes-MIN_NUM_FORMS": "0",
        "notes-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def test_saving_a_body_with_an_unknown_iframe_or_script_warns_never_silently(editor_client):
    article = make_article()
    body = (
        'Look:\n\n<iframe src="https://widgets.example/poll"></iframe>\n\n'
        '<script src="https://tracker.example/t.js"></script>\n\n'
        '<iframe src="https://www.youtube.com/embed/aqz-KE-bpKQ"></iframe>'
    )
    response = editor_client.post(
        f"/admin/articles/article/{article.pk}/change/",
        change_form(article, body=body),
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any("An <iframe> from widgets.example is not shown to readers" in m for m in shown)
    assert any("A <script> from tracker.example is not kept" in m for m in shown)
    assert any("paste the youtube page's address alone" in m.lower() for m in shown)
    article.refresh_from_db()
    assert article.body == body  # the editor's text is kept as typed
    assert "<iframe" not in article.body_html and "<script" not in article.body_html


def test_a_clean_body_saves_without_warnings(editor_client):
    article = make_article()
    response = editor_client.post(
        f"/admin/articles/article/{article.pk}/change/",
        change_form(article, body="Plain text.\n\nhttps://youtu.be/aqz-KE-bpKQ"),
        follow=True,
    )
    levels = [m.level_tag for m in response.context["messages"]]
    assert levels == ["success"]


def test_the_lead_image_is_chosen_from_the_library(editor_client, library_image):
    article = make_article()
    editor_client.post(
        f"/admin/articles/article/{article.pk}/change/",
        change_form(article, lead_media=str(library_image.pk)),
    )
    article.refresh_from_db()
    assert article.lead_media == library_image


def test_a_default_image_that_is_not_a_url_stops_start_up(settings):
    from byline.media.checks import media_settings

    settings.BYLINE_DEFAULT_IMAGE = "brand.png"
    assert [m.id for m in media_settings(None)] == ["media.E001"]
    settings.BYLINE_DEFAULT_IMAGE = "/static/brand.png"
    assert media_settings(None) == []


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=300), body=st.text(max_size=400))
def test_any_search_or_body_gets_a_json_answer(editor_client, query, body):
    """The picker's ``q`` and the preview's ``body`` take any text: JSON back, never a 500."""
    from byline import readers

    readers.reset_limits()
    picker = editor_client.get(PICKER, {"q": query.replace("\x00", "")})
    assert picker.status_code == 200 and "images" in picker.json()
    preview = editor_client.post(PREVIEW, {"body": body.replace("\x00", "")})
    assert preview.status_code == 200 and "html" in preview.json()


def test_an_editor_changes_an_images_description_in_the_admin(editor_client, library_image):
    response = editor_client.post(
        f"/admin/media/image/{library_image.pk}/change/",
        {"alt": "Boats at the north quay", "caption": "", "credit": "Photo: B"},
    )
    assert response.status_code == 302
    library_image.refresh_from_db()
    assert (library_image.alt, library_image.caption, library_image.credit) == (
        "Boats at the north quay",
        "",
        "Photo: B",
    )
