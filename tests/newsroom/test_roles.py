"""Roles and review: writers write and submit, editors publish; no path lets a writer publish.

Every attempt below is one a writer could make from a browser or a script: the
change form, the add form, the publication time, the bulk actions, the
autosave and restore endpoints, and the actions called from code.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from byline.articles.models import Article
from byline.newsroom import actions
from byline.newsroom.models import AuditEntry, Revision
from tests.factory import make_article
from tests.newsroom.conftest import ADD_URL, CHANGELIST, change_url, form_data

pytestmark = pytest.mark.django_db
Status = Article.Status
PUBLIC = {Status.PUBLISHED, Status.SCHEDULED}


def own_draft(writer, **fields) -> Article:
    fields.setdefault("status", Status.DRAFT)
    return make_article("My draft", created_by=writer, **fields)


def test_the_migration_creates_the_three_groups_with_their_permissions():
    """Writer, Editor and Administrator exist on a fresh database; only editors and
    administrators may publish."""
    groups = {g.name: g for g in Group.objects.all()}
    assert {"Writer", "Editor", "Administrator"} <= set(groups)

    def codes(name):
        return set(groups[name].permissions.values_list("codename", flat=True))

    assert "publish_article" not in codes("Writer")
    assert {"add_article", "change_article"} <= codes("Writer")
    assert {"publish_article", "edit_any_article", "change_comment"} <= codes("Editor")
    assert {"publish_article", "change_user", "change_group"} <= codes("Administrator")


def test_a_writer_creates_a_draft_and_submits_it_for_review(writer, writer_client):
    """The add form takes a writer's draft; the audit trail says who created and submitted it."""
    response = writer_client.post(ADD_URL, form_data(headline="Council votes", slug="council"))
    assert response.status_code == 302, response.text[:3000]
    article = Article.objects.get(slug="council")
    assert article.created_by == writer and article.status == Status.DRAFT
    response = writer_client.post(change_url(article), form_data(article, status="review"))
    assert response.status_code == 302, response.text[:3000]
    article.refresh_from_db()
    assert article.status == Status.REVIEW
    trail = list(AuditEntry.objects.filter(article=article).values_list("action", "username"))
    assert ("created", "wanda") in trail and ("submitted", "wanda") in trail
    assert article.revisions.count() == 2


def test_a_writer_cannot_publish_from_the_change_form(writer, writer_client):
    """status=published (or scheduled) posted to the change form is refused; nothing changes."""
    draft = own_draft(writer)
    for status in ("published", "scheduled"):
        data = form_data(draft, status=status, published_at_0="2020-01-01", published_at_1="10:00")
        response = writer_client.post(change_url(draft), data)
        assert response.status_code == 200
        assert "Select a valid choice" in response.text
        draft.refresh_from_db()
        assert draft.status == Status.DRAFT and draft.published_at is None


def test_a_writer_cannot_publish_from_the_add_form(writer_client):
    response = writer_client.post(ADD_URL, form_data(slug="sneaky", status="published"))
    assert response.status_code == 200
    assert not Article.objects.filter(slug="sneaky").exists()


def test_a_writer_cannot_set_the_publication_time_or_feature(writer, writer_client):
    """The publication time and the featured flag are read-only for writers: posted, ignored."""
    draft = own_draft(writer)
    soon = timezone.now() - timedelta(hours=1)
    data = form_data(
        draft,
        published_at_0=soon.strftime("%Y-%m-%d"),
        published_at_1=soon.strftime("%H:%M:%S"),
        featured="on",
    )
    response = writer_client.post(change_url(draft), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published_at is None and not draft.featured
    assert not Article.objects.published().filter(pk=draft.pk).exists()


def test_a_writer_cannot_use_the_bulk_publish_actions(writer, writer_client):
    """Publish, unpublish and feature are not offered to writers, and posting them anyway
    changes nothing."""
    draft = own_draft(writer)
    live = make_article("Live", created_by=writer)
    page = writer_client.get(CHANGELIST).text
    assert 'value="submit_for_review"' in page
    for name in ("publish_now", "unpublish", "feature", "unfeature"):
        assert f'value="{name}"' not in page
        response = writer_client.post(
            CHANGELIST, {"action": name, "_selected_action": [draft.pk, live.pk]}
        )
        assert response.status_code in (200, 302)
    draft.refresh_from_db()
    live.refresh_from_db()
    assert draft.status == Status.DRAFT and not draft.featured
    assert live.status == Status.PUBLISHED and not live.featured


def test_a_writer_cannot_edit_another_writers_or_a_published_article(
    writer, other_writer, writer_client
):
    """Someone else's draft and a writer's own published article are read-only to them."""
    theirs = own_draft(other_writer)
    mine_live = make_article("Mine, live", created_by=writer)
    for article in (theirs, mine_live):
        response = writer_client.post(change_url(article), form_data(article, body="Changed."))
        assert response.status_code == 403
        article.refresh_from_db()
        assert article.body != "Changed."
    response = writer_client.post(
        CHANGELIST, {"action": "submit_for_review", "_selected_action": [theirs.pk]}
    )
    theirs.refresh_from_db()
    assert theirs.status == Status.DRAFT


def test_a_writer_cannot_publish_through_autosave_or_restore(writer, writer_client):
    """Autosave never publishes, and restoring is for editors."""
    draft = own_draft(writer)
    writer_client.post(
        f"{change_url(draft).replace('change/', 'autosave/')}",
        {"loaded_version": draft.version, "body": "Typed.", "status": "published"},
    )
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.body == "Typed."
    revision = draft.revisions.first()
    response = writer_client.post(
        f"/admin/articles/article/{draft.pk}/revisions/{revision.pk}/restore/"
    )
    assert response.status_code == 403


def test_code_paths_refuse_a_writer_too(writer):
    """The actions every path uses check the role: publishing from code is refused."""
    draft = own_draft(writer)
    for change in (actions.publish, actions.unpublish):
        with pytest.raises(actions.Refused):
            change(writer, draft)
    with pytest.raises(actions.Refused):
        actions.set_featured(writer, draft, True)
    draft.status = Status.PUBLISHED
    with pytest.raises(actions.Refused):
        actions.save_article(writer, draft)
    assert Article.objects.get(pk=draft.pk).status == Status.DRAFT
    assert not Article.objects.filter(status__in=PUBLIC).exists()


def test_an_editor_publishes_schedules_and_unpublishes(writer, newsroom_editor, desk_client):
    """Editors edit anyone's article, publish it, schedule it, take it down; all audited."""
    article = own_draft(writer, status=Status.REVIEW)
    response = desk_client.post(change_url(article), form_data(article, status="published"))
    assert response.status_code == 302, response.text[:3000]
    article.refresh_from_db()
    assert article.is_live
    later = timezone.localtime() + timedelta(days=1)
    data = form_data(
        article,
        status="scheduled",
        published_at_0=later.strftime("%Y-%m-%d"),
        published_at_1=later.strftime("%H:%M:%S"),
    )
    assert desk_client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert article.status == Status.SCHEDULED and not article.is_live
    response = desk_client.post(
        CHANGELIST, {"action": "unpublish", "_selected_action": [article.pk]}
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Status.DRAFT
    actions_done = list(
        AuditEntry.objects.filter(article=article)
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )
    assert actions_done == ["published", "scheduled", "unpublished"]
    assert set(AuditEntry.objects.values_list("username", flat=True)) == {"edna"}


def test_the_audit_trail_is_read_only_in_the_admin(writer, desk_client):
    article = own_draft(writer)
    actions.submit_for_review(writer, article)
    entry = AuditEntry.objects.get()
    assert desk_client.get("/admin/newsroom/auditentry/").status_code == 200
    page = desk_client.get(f"/admin/newsroom/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and 'name="action"' not in page.text
    assert desk_client.post(f"/admin/newsroom/auditentry/{entry.pk}/delete/").status_code == 403
    assert desk_client.get("/admin/newsroom/auditentry/add/").status_code == 403
    assert Revision.objects.filter(article=article).exists()


def test_the_audit_trail_shows_times_in_the_newsrooms_time_zone(
    writer, newsroom_editor, desk_client, settings
):
    """The trail's times, and the time a scheduled article goes out, read in the site's
    time zone (BYLINE_TIME_ZONE) with the zone named, not in UTC."""
    from datetime import UTC, datetime

    settings.TIME_ZONE = "Europe/Berlin"
    article = own_draft(writer)
    going_out = datetime(2099, 1, 1, 8, 0, tzinfo=UTC)
    AuditEntry.objects.all().delete()
    actions.set_status(newsroom_editor, article, Status.SCHEDULED, published_at=going_out)
    entry = AuditEntry.objects.get(action="scheduled")
    assert entry.detail == "for 2099-01-01 09:00 CET"
    AuditEntry.objects.filter(pk=entry.pk).update(at=datetime(2026, 7, 1, 6, 30, tzinfo=UTC))
    listing = desk_client.get("/admin/newsroom/auditentry/").text
    assert "2026-07-01 08:30 CEST" in listing and "for 2099-01-01 09:00 CET" in listing
