"""Drafts and future articles are hidden from readers; scheduled ones appear on time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from byline.articles.models import Article
from tests.factory import make_article

pytestmark = pytest.mark.django_db


def test_a_published_article_is_shown_to_readers(client):
    article = make_article("Live story")
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "Live story" in client.get("/").text


def test_a_draft_is_404_and_not_listed(client):
    article = make_article("Secret draft", status=Article.Status.DRAFT)
    assert client.get(article.get_absolute_url()).status_code == 404
    assert "Secret draft" not in client.get("/").text


def test_a_future_article_is_scheduled_and_404_until_its_time(client):
    article = make_article("Embargoed", published_at=timezone.now() + timedelta(hours=1))
    assert article.status == Article.Status.SCHEDULED
    assert client.get(article.get_absolute_url()).status_code == 404
    assert "Embargoed" not in client.get("/").text


def test_a_scheduled_article_appears_when_its_time_comes_without_any_job(client):
    """No cron: the time passing is enough."""
    article = make_article("Coming soon", published_at=timezone.now() + timedelta(hours=1))
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    assert client.get(article.get_absolute_url()).status_code == 200
    assert "Coming soon" in client.get("/").text
    article.refresh_from_db()
    assert article.effective_status == "Published"


def test_publishing_without_a_time_stamps_now():
    article = make_article(status=Article.Status.DRAFT)
    article.status = Article.Status.PUBLISHED
    article.save()
    assert article.published_at is not None
    assert article.is_live


def test_saving_or_deleting_an_article_announces_the_change():
    """Page caches listen to article_changed to drop stale copies."""
    from byline.signals import article_changed

    seen = []

    def receiver(sender, article_id, **kwargs):
        seen.append(article_id)

    article_changed.connect(receiver)
    try:
        article = make_article()
        article_id = article.pk
        article.delete()
    finally:
        article_changed.disconnect(receiver)
    assert seen == [article_id, article_id]
