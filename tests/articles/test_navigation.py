"""The section navigation follows the site: a change shows on the next page rendered."""

import re
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from byline import db
from byline.articles import navigation
from byline.articles.models import Article, StaticPage
from byline.discussion.actions import refresh_published
from byline.pagecache import store
from tests.discussion.factory import make_comment
from tests.factory import make_article, make_section
from tests.pagecache.conftest import page_cache  # noqa: F401 - the fixture
from tests.pagecache.test_store import needs_redis
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db


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
    assert navigation.seconds_to_keep(navigation.next_publication_time()) == 60
    make_article(
        status=Article.Status.SCHEDULED, published_at=timezone.now() + timedelta(seconds=10)
    )
    assert 1 <= navigation.seconds_to_keep(navigation.next_publication_time()) <= 10


def menu(html: str, label: str) -> list[str]:
    found = re.search(rf'<nav aria-label="{label}">(.*?)</nav>', html, re.S)
    return re.findall(r">([^<]+)</a>", found.group(1)) if found else []


def test_the_header_and_footer_menus_follow_their_pages_once_cached(client, own_store):
    """Sections and both menus are cached together: a page marked for a menu, or taken out
    of one, shows in the very next page's header and footer."""
    make_article(section=make_section("World"))
    about = StaticPage.objects.create(
        title="About", path="/about/", status="published", in_footer=True, footer_order=2
    )
    StaticPage.objects.create(
        title="Ethics", path="/ethics/", status="published", in_header=True, footer_order=1
    )
    html = client.get("/").text
    assert (menu(html, "Site pages"), menu(html, "Pages")) == (["Ethics"], ["About"])
    assert menu(html, "Sections") == ["World"]

    about.in_header = True
    about.save()
    html = client.get("/").text
    assert menu(html, "Site pages") == ["Ethics", "About"]  # in their order
    assert menu(html, "Pages") == ["About"]

    about.status = "draft"
    about.save()
    html = client.get("/").text
    assert (menu(html, "Site pages"), menu(html, "Pages")) == (["Ethics"], [])


def reads_the_schedule(sql: str) -> bool:
    """Whether a query is ``next_publication_time``'s: by what it reads, the articles'
    publication time alone, the earliest first (other queries name the scheduled status
    and a LIMIT 1 too, such as the navigation's ``EXISTS`` of a section's articles)."""
    selected = (
        r'SELECT "articles_article"\."published_at"( AS "published_at")? FROM "articles_article" '
    )
    return re.match(selected, sql) is not None and "ASC LIMIT 1" in sql


def test_a_cold_page_reads_the_chrome_and_the_schedule_once(page_cache):  # noqa: F811
    """A page rendered into the page cache asks the database once when the next scheduled
    article is due (with the navigation, which the page cache's layer then reuses), and
    reads the header's and the footer's pages in one query."""
    article = make_article(section=make_section("World"))
    with CaptureQueriesContext(connection) as queries:
        assert call(page_cache, article.get_absolute_url()).status == 200
    sql = [query["sql"] for query in queries.captured_queries]
    assert sum(map(reads_the_schedule, sql)) == 1
    assert sum('FROM "articles_staticpage"' in text for text in sql) == 1


@pytest.mark.django_db(transaction=True)  # outside a transaction, reads may go to a replica
def test_the_navigation_kept_for_the_next_pages_is_never_read_from_a_replica(
    own_store, lagging_replica
):
    """A page the page layer does not take reads from a replica, which may lag behind
    the generation: the navigation it keeps for every page after it (and the schedule
    it leaves for the page's related stories) is read from the primary."""
    make_article(section=make_section("Weather", slug="weather"))
    db.unpin()  # a new request, which has written nothing
    request = RequestFactory().get("/")
    assert [section.name for section in navigation.Chrome(request).sections()] == ["Weather"]
    assert navigation.UPCOMING in request.META


@pytest.fixture
def page_files(page_cache, settings, tmp_path):  # noqa: F811
    """The page cache, writing page files (a published comment redraws its page)."""
    settings.BYLINE_PAGE_FILES_DIR = str(tmp_path / "pages")
    return page_cache


@needs_redis
def test_a_comments_redraw_does_not_read_the_schedule_again(page_files):
    """The page drawn again after a comment finds the navigation and the related stories
    kept, and the next publication time the page cache read for this generation's pages:
    no query for it. (Without Redis a comment moves the generation: all are read again.)"""
    app = page_files
    article = make_article(section=make_section("World"))
    call(app, article.get_absolute_url())
    make_comment(article)
    refresh_published([article.pk])  # its page drawn again, as the first of the drawer's
    make_comment(article)
    with CaptureQueriesContext(connection) as queries:
        refresh_published([article.pk])
    sql = [query["sql"] for query in queries.captured_queries]
    assert sum(map(reads_the_schedule, sql)) == 0
    assert call(app, article.get_absolute_url()).headers["x-page-cache"] == "hit"


@needs_redis
def test_an_article_scheduled_after_the_time_was_kept_bounds_the_next_redraw(page_files):
    """An article scheduled later (saved: the generation moves on) is the time the pages
    drawn after it expire at, a comment's redraw too: it comes due in the related
    stories without a write, the kept time notwithstanding."""
    app = page_files
    section = make_section("World")
    article = make_article(section=section)
    url = article.get_absolute_url()
    call(app, url)
    make_comment(article)
    refresh_published([article.pk])  # the time kept: no article scheduled
    due = timezone.now() + timedelta(seconds=1.5)
    make_article("Due soon", section=section, status=Article.Status.SCHEDULED, published_at=due)
    call(app, url)
    make_comment(article)
    refresh_published([article.pk])
    redrawn = call(app, url)
    assert redrawn.headers["x-page-cache"] == "hit" and "Due soon" not in redrawn.text
    time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.1)
    after = call(app, url)
    assert after.headers["x-page-cache"] == "miss" and "Due soon" in after.text
