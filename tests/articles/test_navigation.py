"""The section navigation follows the site: a change shows on the next page rendered."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from byline.articles import navigation
from byline.articles.models import Article
from byline.pagecache import store
from tests.factory import make_article, make_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_store(settings, tmp_path):
    """This worker's page store on a fresh data folder, reading the generation every time."""
    settings.DATA_DIR = tmp_path
    settings.BYLINE_PAGE_CACHE_SYNC_SECONDS = 0
    store.reset_page_store()
    yield tmp_path
    store.reset_page_store()


def nav_sections(client, path: str = "/") -> list[str]:
    html = client.get(path).content.decode()
    nav = re.search(r'<nav aria-label="Sections">(.*?)</nav>', html, re.S)
    return re.findall(r">([^<]+)</a>", nav.group(1)) if nav else []


def test_a_newly_published_articles_section_is_in_the_next_pages_navigation(client, own_store):
    """Publishing the first article of a section puts the section in the very next page's nav."""
    make_article(section=make_section("World"))
    science = make_section("Science", slug="science")
    draft = make_article("Comet found", section=science, status=Article.Status.DRAFT)
    assert nav_sections(client) == ["World"]  # the navigation is now cached

    draft.status = Article.Status.PUBLISHED
    draft.save()

    assert "Science" in nav_sections(client, draft.get_absolute_url())
    assert "Science" in nav_sections(client)


def test_an_unpublished_articles_section_leaves_the_navigation(client, own_store):
    """When a section's only article is withdrawn, the next page no longer links it."""
    make_article(section=make_section("World"))
    only = make_article(section=make_section("Sport", slug="sport"))
    assert set(nav_sections(client)) == {"Sport", "World"}
    only.delete()
    assert nav_sections(client) == ["World"]


def test_a_change_made_by_another_worker_reaches_this_workers_navigation(client, own_store):
    """Another worker's change moves only the shared generation: this worker's nav follows."""
    make_article(section=make_section("World"))
    science = make_section("Science", slug="science")
    draft = make_article(section=science, status=Article.Status.DRAFT)
    assert nav_sections(client) == ["World"]
    # The other worker's write: no signal in this process, just the row and the generation.
    Article.objects.filter(pk=draft.pk).update(
        status=Article.Status.PUBLISHED, published_at=timezone.now() - timedelta(minutes=1)
    )
    assert nav_sections(client) == ["World"]  # nothing told this worker yet
    store._build_store().invalidate()  # the other worker's own store moves it on
    assert "Science" in nav_sections(client)


def test_the_navigation_is_not_kept_past_a_scheduled_publication(own_store):
    """With an article due in ten seconds, the cached list lives at most ten seconds."""
    assert navigation._seconds_to_keep() == navigation.CACHE_SECONDS
    make_article(
        status=Article.Status.SCHEDULED, published_at=timezone.now() + timedelta(seconds=10)
    )
    assert 1 <= navigation._seconds_to_keep() <= 10
