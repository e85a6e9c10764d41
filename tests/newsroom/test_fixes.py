"""Scheduling needs a date, and the admin's status filter follows the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from byline.articles.models import Article
from tests.factory import make_article
from tests.newsroom.conftest import ADD_URL, CHANGELIST, change_url, form_data

pytestmark = pytest.mark.django_db
Status = Article.Status


def test_scheduled_without_a_date_is_a_clear_form_error_and_publishes_nothing(desk_client):
    response = desk_client.post(ADD_URL, form_data(slug="no-date", status="scheduled"))
    assert response.status_code == 200
    assert "a scheduled article needs a date and time" in response.text
    assert not Article.objects.filter(slug="no-date").exists()
    draft = make_article("Draft", status=Status.DRAFT)
    response = desk_client.post(change_url(draft), form_data(draft, status="scheduled"))
    assert response.status_code == 200
    assert "a scheduled article needs a date and time" in response.text
    assert 'value="Draft"' in response.text  # what was typed is kept
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.published_at is None


def test_scheduling_for_a_time_already_past_is_refused(desk_client):
    draft = make_article("Draft", status=Status.DRAFT)
    past = timezone.localtime() - timedelta(hours=2)
    data = form_data(
        draft,
        status="scheduled",
        published_at_0=past.strftime("%Y-%m-%d"),
        published_at_1=past.strftime("%H:%M:%S"),
    )
    response = desk_client.post(change_url(draft), data)
    assert response.status_code == 200 and "That time has passed" in response.text
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_the_scheduled_filter_follows_the_clock(desk_client):
    """An article scheduled for a time that has passed is listed under Published."""
    make_article("Still to come", published_at=timezone.now() + timedelta(days=1))
    came_due = make_article("Came due", published_at=timezone.now() + timedelta(days=1))
    Article.objects.filter(pk=came_due.pk).update(
        status=Status.SCHEDULED, published_at=timezone.now() - timedelta(minutes=5)
    )
    make_article("In review", status=Status.REVIEW)
    scheduled = desk_client.get(CHANGELIST, {"status": "scheduled"}).text
    published = desk_client.get(CHANGELIST, {"status": "published"}).text
    review = desk_client.get(CHANGELIST, {"status": "review"}).text
    assert "Still to come" in scheduled and "Came due" not in scheduled
    assert "Came due" in published and "Still to come" not in published
    assert "In review" in review and "Came due" not in review


def test_control_characters_pasted_into_an_article_never_reach_readers(desk_client):
    """Word writes a line break typed with Shift+Enter as a vertical tab, and a terminal
    pastes escape codes: browsers draw them as empty boxes. The article is saved without
    them: a vertical tab or form feed becomes a line break in the text (a space in the
    headline, alt text and caption), and other control characters are left out."""
    data = form_data(
        headline="Storm\x0bwarning for\x1b the quay",
        standfirst="Waves over\x0cthe wall.",
        body="First line\x0bsecond line\x07.",
        lead_image_alt="The\x0bquay",
        lead_image_caption="Photo\x08 by Ada",
        slug="storm-warning",
    )
    response = desk_client.post(ADD_URL, data)
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.headline == "Storm warning for the quay"
    assert article.standfirst == "Waves over\nthe wall."
    assert article.body == "First line\nsecond line."
    assert (article.lead_image_alt, article.lead_image_caption) == ("The quay", "Photo by Ada")
