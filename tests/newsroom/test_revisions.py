"""Revisions and autosave: every save keeps a revision, editors compare and restore
them, drafts autosave, and two people never silently overwrite each other."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from byline.articles.models import Article
from byline.newsroom import actions, revisions
from byline.newsroom.models import AuditEntry, Revision
from tests.conftest import using_postgres
from tests.factory import make_article
from tests.newsroom.conftest import ADD_URL, change_url, client_for, form_data, make_member

pytestmark = pytest.mark.django_db
Status = Article.Status


def autosave_url(article: Article) -> str:
    return f"/admin/articles/article/{article.pk}/autosave/"


def test_every_save_keeps_a_revision_of_the_content_and_metadata(desk_client):
    article = make_article("First headline", status=Status.DRAFT)
    data = form_data(article, headline="Second headline", lead_image_alt="A harbour")
    assert desk_client.post(change_url(article), data).status_code == 302
    revision = Revision.objects.get(article=article)
    assert revision.data["headline"] == "Second headline"
    assert revision.data["lead_image_alt"] == "A harbour"
    assert {"standfirst", "body", "lead_image", "status", "tags", "authors"} <= set(revision.data)
    assert revision.user.username == "edna" and revision.kind == "saved"


def test_the_diff_between_revisions_is_escaped_html():
    """What editors typed is shown as text in the diff, never run as markup."""
    html = revisions.diff({"body": "<script>alert(1)</script>\nsame"}, {"body": "<b>new</b>\nsame"})
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<del>&lt;script&gt;alert(1)&lt;/script&gt;</del>" in html
    assert "<ins>&lt;b&gt;new&lt;/b&gt;</ins>" in html


def test_an_editor_sees_revisions_and_restores_one_as_a_new_revision(newsroom_editor, desk_client):
    article = make_article("Original", status=Status.PUBLISHED, body="The first body.")
    for body in ("A second body.", "A third body."):
        article.refresh_from_db()
        assert (
            desk_client.post(change_url(article), form_data(article, body=body)).status_code == 302
        )
    first = article.revisions.order_by("created_at", "pk").first()
    page = desk_client.get(f"/admin/articles/article/{article.pk}/revisions/")
    assert page.status_code == 200
    assert "<del>A second body.</del>" in page.text and "Restore this revision" in page.text
    response = desk_client.post(
        f"/admin/articles/article/{article.pk}/revisions/{first.pk}/restore/"
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == "A second body." and article.status == Status.PUBLISHED
    assert article.revisions.count() == 3
    assert article.revisions.first().kind == "restored"
    assert AuditEntry.objects.filter(article=article, action="restored").exists()
    # Restoring needs the form's POST with its CSRF token.
    strict = client_for(newsroom_editor, csrf=True)
    url = f"/admin/articles/article/{article.pk}/revisions/{first.pk}/restore/"
    assert strict.post(url).status_code == 403


def test_restoring_a_revision_kept_before_the_text_cleaning_stores_clean_text(desk_client):
    """A revision written before articles lost pasted control characters on save (here
    written straight into its row) is restored through the same cleaning: a vertical
    tab is a line break (a space in the headline), terminal escape sequences (whole) and
    byte-order marks go."""
    article = make_article("Clean now", status=Status.PUBLISHED, body="Clean body.")
    old = revisions.record(article, None)
    hostile = "\x07\x1b[31m\x85\x9b\ufeff" + ("" if using_postgres() else "\x00\ud800")
    Revision.objects.filter(pk=old.pk).update(
        data={
            **old.data,
            "headline": f"Vertical\x0btab{hostile}",
            "standfirst": f"Dek\x0cline{hostile}",
            "body": f"First\x0bsecond{hostile}",
            "lead_image_alt": f"Alt{hostile}",
        }
    )
    response = desk_client.post(f"/admin/articles/article/{article.pk}/revisions/{old.pk}/restore/")
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.headline == "Vertical tab"
    assert article.standfirst == "Dek\nline"
    assert article.body == "First\nsecond"
    assert article.lead_image_alt == "Alt"
    assert "second</p>" in article.body_html and "\x1b" not in article.body_html
    restored = article.revisions.order_by("-created_at", "-pk").first()
    assert restored.kind == "restored" and restored.data["body"] == "First\nsecond"


def test_a_restored_revision_whose_headline_shows_nothing_is_untitled(desk_client, client):
    """A revision kept before headlines were cleaned can hold one that shows nothing (a
    terminal's escapes, an isolate, a zero-width joiner): restored, the article is
    "Untitled", never a blank <h1> (the form refuses such a headline; a restore has no
    form to say so)."""
    article = make_article("Harbour reopens", status=Status.PUBLISHED, body="Boats are back.")
    old = revisions.record(article, None)
    Revision.objects.filter(pk=old.pk).update(
        data={**old.data, "headline": "\x1b[31m\u2067\u200d \x1b[0m"}
    )
    response = desk_client.post(f"/admin/articles/article/{article.pk}/revisions/{old.pk}/restore/")
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.headline == "Untitled"
    assert "<h1>Untitled</h1>" in client.get(article.get_absolute_url()).text


def test_the_second_of_two_concurrent_saves_is_refused_with_a_diff_and_kept(
    newsroom_editor, desk_client
):
    """Two editors open the same article; the first saves; the second's save is refused
    with a message and a diff of what the first changed, and their typing is kept."""
    article = Article(headline="Shared", slug="shared", body="Line one.")
    actions.save_article(newsroom_editor, article)  # created: its first revision
    second = client_for(make_member("eric", "Editor"))
    loaded_by_second = form_data(article)
    first_save = form_data(article, body="Line one, corrected by Edna.")
    assert desk_client.post(change_url(article), first_save).status_code == 302
    mine = {**loaded_by_second, "body": "Eric's own <em>rewrite</em>."}
    response = second.post(change_url(article), mine)
    assert response.status_code == 200
    assert "edna saved this article since you opened it" in response.text
    assert "What they changed" in response.text
    assert "<del>Line one.</del>" in response.text
    assert "<ins>Line one, corrected by Edna.</ins>" in response.text
    assert "Eric&#x27;s own &lt;em&gt;rewrite&lt;/em&gt;." in response.text  # kept, escaped
    article.refresh_from_db()
    assert article.body == "Line one, corrected by Edna."
    # The form came back based on the current version: saving again is deliberate.
    current = str(article.version)
    assert f'name="loaded_version" value="{current}"' in response.text
    assert second.post(change_url(article), {**mine, "loaded_version": current}).status_code == 302
    article.refresh_from_db()
    assert article.body == "Eric's own <em>rewrite</em>."


def test_autosave_stores_a_drafts_text_and_moves_the_version_on(writer, writer_client):
    draft = make_article("Draft", status=Status.DRAFT, created_by=writer)
    response = writer_client.post(
        autosave_url(draft),
        {"loaded_version": draft.version, "headline": "Draft", "body": "Typed so far"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "saved"
    draft.refresh_from_db()
    assert draft.body == "Typed so far" and draft.version == response.json()["version"]
    assert draft.revisions.get().kind == "autosaved"
    # More typing within minutes replaces that autosave rather than piling up revisions.
    writer_client.post(
        autosave_url(draft), {"loaded_version": draft.version, "body": "Typed a bit more"}
    )
    assert draft.revisions.count() == 1
    # The normal Save that follows (version from the autosave) is accepted.
    draft.refresh_from_db()
    assert writer_client.post(change_url(draft), form_data(draft)).status_code == 302


def test_autosave_never_changes_a_published_article(desk_client):
    """Autosaving a live article keeps a revision only: readers see nothing until Save."""
    live = make_article("Live", body="What readers read.")
    response = desk_client.post(
        autosave_url(live), {"loaded_version": live.version, "body": "Half-typed"}
    )
    assert response.status_code == 200 and response.json()["status"] == "kept"
    live.refresh_from_db()
    assert live.body == "What readers read." and live.status == Status.PUBLISHED
    assert live.revisions.get().data["body"] == "Half-typed"


def test_autosave_refuses_to_overwrite_a_concurrent_edit(newsroom_editor, desk_client):
    draft = make_article("Draft", status=Status.DRAFT)
    loaded = draft.version
    actions.save_article(newsroom_editor, Article.objects.get(pk=draft.pk))  # someone saves
    response = desk_client.post(
        autosave_url(draft),
        {"loaded_version": loaded, "body": "Stale typing"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["error"]["status"] == 409 and "autosave has stopped" in body["error"]["message"]
    draft.refresh_from_db()
    assert draft.body != "Stale typing"


def test_autosave_needs_the_csrf_token_and_a_login(newsroom_editor):
    draft = make_article("Draft", status=Status.DRAFT)
    strict = client_for(newsroom_editor, csrf=True)
    assert strict.post(autosave_url(draft), {"loaded_version": 0, "body": "x"}).status_code == 403
    anonymous = Client().post(autosave_url(draft), {"loaded_version": 0, "body": "x"})
    assert anonymous.status_code == 302
    draft.refresh_from_db()
    assert draft.body != "x"


@pytest.mark.parametrize("version", ["", "abc", "-1", "99999999999999999999"])
def test_autosave_with_a_bad_version_is_a_clear_error(desk_client, version):
    draft = make_article("Draft", status=Status.DRAFT)
    response = desk_client.post(autosave_url(draft), {"loaded_version": version, "body": "x"})
    assert response.status_code in (400, 409)
    assert "error" in response.json()


def test_restoring_brings_back_the_lead_image_section_tags_and_authors(
    newsroom_editor, settings, tmp_path
):
    """A revision is the whole article as it was filed: restoring one puts back its
    library lead image, section, tags and authors, not only its text; what was
    deleted since is left out rather than failing."""
    from byline.media.actions import upload_image
    from tests.factory import make_author, make_section, make_tag
    from tests.media.conftest import jpeg_with_location

    settings.MEDIA_ROOT = tmp_path / "media"
    data = jpeg_with_location()
    picture = upload_image(
        io.BytesIO(data), filename="quay.jpg", size=len(data), alt="Boats at the quay"
    )
    world, sport = make_section("World"), make_section("Sport")
    port, storm, gone = make_tag("Port"), make_tag("Storm"), make_tag("Gone soon")
    ada, bo = make_author("Ada Example"), make_author("Bo Example")
    article = make_article("Filed once", status=Status.PUBLISHED, section=world)
    article.lead_media = picture
    article.save()
    article.tags.set([port, gone])
    article.authors.set([ada])
    kept = revisions.record(article, newsroom_editor)

    article.lead_media = None
    article.section = sport
    article.save()
    article.tags.set([storm])
    article.authors.set([bo])
    gone.delete()

    actions.restore(newsroom_editor, article, kept)
    article.refresh_from_db()
    assert article.lead_media_id == picture.pk
    assert article.section_id == world.pk
    assert list(article.tags.all()) == [port]
    assert list(article.authors.all()) == [ada]
    assert article.status == Status.PUBLISHED


def test_the_first_edit_shows_no_publication_time_change_nobody_made(desk_client, settings):
    """An article published from the admin, then edited: the date/time widget has no
    fraction of a second, so nothing may show a change to the publication time."""
    settings.TIME_ZONE = "Europe/Paris"
    data = form_data(headline="Harbour reopens", slug="harbour-reopens", status="published")
    assert desk_client.post(ADD_URL, data).status_code == 302
    article = Article.objects.get(headline="Harbour reopens")
    assert article.published_at.microsecond == 0
    edited = form_data(article, body="A second body.")
    assert desk_client.post(change_url(article), edited).status_code == 302
    page = desk_client.get(f"/admin/articles/article/{article.pk}/revisions/").text
    edit, created = page.split('<li class="revision"')[1:]
    assert "Body" in edit and "Publication time" not in edit
    assert "version 2</h2>" in edit and "version 1</h2>" in created and "version 0" not in page
    assert "Publication time" in created and "+00:00" not in created  # the site's own format


def test_revisions_show_times_in_the_sites_format_and_time_zone(settings):
    """Snapshots kept before times were stored to the second lose the fraction too."""
    settings.TIME_ZONE = "Europe/Paris"
    before = {"published_at": "2026-12-05T03:18:29.921233+00:00"}
    assert revisions.diff(before, {"published_at": "2026-12-05T03:18:29+00:00"}) == ""
    html = revisions.diff(before, {"published_at": "2026-12-05T09:00:00+00:00"})
    assert "<del>5 December 2026, 04:18:29</del>" in html
    assert "<ins>5 December 2026, 10:00:00</ins>" in html
    assert "+00:00" not in html


def test_editing_an_article_published_to_the_microsecond_leaves_its_time_alone(desk_client):
    """Articles published before times were kept to the second: the form posts the
    time without its fraction, which is no change (no new publication in the audit)."""
    article = make_article("Older story", status=Status.PUBLISHED)
    published_at = article.published_at.replace(microsecond=921233)
    Article.objects.filter(pk=article.pk).update(published_at=published_at)
    article.refresh_from_db()
    edited = form_data(article, body="A second body.")
    assert desk_client.post(change_url(article), edited).status_code == 302
    article.refresh_from_db()
    assert article.published_at == published_at and article.body == "A second body."
    assert not AuditEntry.objects.filter(article=article, action="published").exists()
