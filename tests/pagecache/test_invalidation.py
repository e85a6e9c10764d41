"""A change to what readers see reaches every cached page at once; counts never do."""

import importlib
import time
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from bench.harness import free_ports
from byline.articles import models
from byline.articles.models import Article, StaticPage
from byline.pagecache.store import reset_page_store
from byline.signals import article_changed
from tests.factory import make_article, make_author, make_section, make_tag, store_as_is
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db

HEADLINES = importlib.import_module("byline.articles.migrations.0016_clean_headlines")
TITLES = importlib.import_module("byline.articles.migrations.0017_clean_page_titles")


def listing_urls(article):
    return [
        "/",
        article.section.get_absolute_url(),
        *(tag.get_absolute_url() for tag in article.tags.all()),
        *(author.get_absolute_url() for author in article.authors.all()),
    ]


@pytest.fixture
def story(db):
    return make_article(
        "The original headline",
        section=make_section("Politics"),
        tags=[make_tag("Budget")],
        authors=[make_author("Ann Writer")],
    )


def test_an_edit_reaches_the_article_and_every_listing(page_cache, story):
    """The article page, the front page and its section, tag and author pages all change."""
    urls = [story.get_absolute_url(), *listing_urls(story)]
    for url in urls:
        call(page_cache, url)
        assert call(page_cache, url).headers["x-page-cache"] == "hit"
    story.headline = "The corrected headline"
    story.save()
    for url in urls:
        response = call(page_cache, url)
        assert response.headers["x-page-cache"] == "miss", url
        assert "The corrected headline" in response.text, url
        assert "The original headline" not in response.text, url


def test_a_new_etag_follows_an_edit(page_cache, story):
    url = story.get_absolute_url()
    etag = call(page_cache, url).headers["etag"]
    story.body = "A rewritten body."
    story.save()
    response = call(page_cache, url, headers={"If-None-Match": etag})
    assert response.status == 200
    assert response.headers["etag"] != etag


def test_a_deleted_article_leaves_its_page_and_the_listings(page_cache, story):
    url = story.get_absolute_url()
    call(page_cache, url)
    call(page_cache, "/")
    story.delete()
    assert call(page_cache, url).status == 404
    assert "The original headline" not in call(page_cache, "/").text


def test_articles_deleted_together_leave_their_pages_and_the_listings(page_cache, story):
    """The admin's "delete selected" deletes through the query (``QuerySet.delete``),
    not one ``delete()`` each: every page that showed them goes too, and their counts
    files (nginx answers them) with them."""
    other = make_article("Another story")
    urls = [story.get_absolute_url(), other.get_absolute_url()]
    for url in [*urls, "/"]:
        call(page_cache, url)
        assert call(page_cache, url).headers["x-page-cache"] == "hit", url
    heard = []
    article_changed.connect(receiver := lambda **kwargs: heard.append(kwargs), weak=False)
    try:
        Article.objects.filter(pk__in=[story.pk, other.pk]).delete()
    finally:
        article_changed.disconnect(receiver)
    assert [call(page_cache, url).status for url in urls] == [404, 404]
    front = call(page_cache, "/").text
    assert "The original headline" not in front and "Another story" not in front
    assert sorted(each["article_id"] for each in heard) == sorted([story.pk, other.pk])


def test_many_articles_deleted_together_say_so_once(page_cache, story, monkeypatch):
    """Past ``DELETES_SAID_ONE_BY_ONE`` (every article selected in the admin), one
    signal for all: the page cache moves on once, not twice an article."""
    monkeypatch.setattr(models, "DELETES_SAID_ONE_BY_ONE", 1)
    make_article("Another story")
    url = story.get_absolute_url()
    call(page_cache, url)
    heard = []
    article_changed.connect(receiver := lambda **kwargs: heard.append(kwargs), weak=False)
    try:
        Article.objects.all().delete()
    finally:
        article_changed.disconnect(receiver)
    assert [each["article_id"] for each in heard] == [None]
    assert call(page_cache, url).status == 404


def test_a_publication_appears_on_the_front_page(page_cache, story):
    draft = make_article("A draft becomes news", status=Article.Status.DRAFT)
    assert "A draft becomes news" not in call(page_cache, "/").text
    draft.status = Article.Status.PUBLISHED
    draft.save()
    assert "A draft becomes news" in call(page_cache, "/").text


def test_another_app_announcing_a_change_invalidates_pages(page_cache, story):
    """The discussion app sends article_changed when approved comments change."""
    url = story.get_absolute_url()
    call(page_cache, url)
    article_changed.send(sender=None, article_id=story.pk)
    assert call(page_cache, url).headers["x-page-cache"] == "miss"


def test_live_counts_do_not_invalidate_pages(page_cache, story):
    """Views and votes refresh through the JSON endpoint; the page stays cached."""
    from byline.engagement.stats import set_comment_count

    url = story.get_absolute_url()
    call(page_cache, url)
    set_comment_count(story.pk, 3)
    assert call(page_cache, url).headers["x-page-cache"] == "hit"


def test_a_scheduled_article_appears_when_it_comes_due_without_a_write(page_cache, story):
    """No page outlives the next scheduled publication, so no cron job is needed."""
    due = timezone.now() + timedelta(seconds=1)
    make_article("Embargoed until now", status=Article.Status.SCHEDULED, published_at=due)
    first = call(page_cache, "/")
    assert "Embargoed until now" not in first.text
    assert call(page_cache, "/").headers["x-page-cache"] == "hit"
    time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.05)
    after = call(page_cache, "/")
    assert after.headers["x-page-cache"] == "miss"
    assert "Embargoed until now" in after.text


def test_invalidation_repeats_when_the_transaction_commits(
    page_cache, story, django_capture_on_commit_callbacks
):
    """A page rendered from the uncommitted database in between cannot survive the commit."""
    url = story.get_absolute_url()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        story.save()
    call(page_cache, url)
    assert call(page_cache, url).headers["x-page-cache"] == "hit"
    for callback in callbacks:
        callback()
    assert call(page_cache, url).headers["x-page-cache"] == "miss"


def test_a_vote_without_javascript_comes_back_to_a_fresh_page(page_cache, story):
    """Counts leave the cached copy as it was, so the plain form's redirect goes past the
    cache: the reader who voted without JavaScript sees their vote counted."""
    url = story.get_absolute_url()
    call(page_cache, url)
    assert call(page_cache, url).headers["x-page-cache"] == "hit"
    voted = call(
        page_cache,
        f"/engagement/{story.pk}/react/",
        method="POST",
        body=b"reaction=happy",
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert voted.status == 303
    location = voted.headers["location"]
    back = call(page_cache, location.split("#")[0])
    assert "x-page-cache" not in back.headers
    happy = back.text.split('<li data-reaction="happy">')[1].split("</li>")[0]
    assert '<span class="reaction-count" data-field="count">1</span>' in happy
    assert call(page_cache, url).headers["x-page-cache"] == "hit"  # the copy stays


def test_the_upgrade_that_cleans_stored_titles_purges_every_cached_page_once(
    page_cache, story, capsys
):
    """Pages cached before the upgrade show a headline and a static page's title (in the
    menus) as they were stored (here written straight into the rows, as before they were
    cleaned on save). Migration 0016 cleans the headlines and purges nothing (as it did
    when it landed); 0017 cleans the titles, then purges every cached page with the one
    command (``byline purge-pages``), never the ``article_changed`` signal, whose
    receivers are the app's of the day."""
    about = StaticPage.objects.create(
        title="About us", path="/about/", status="published", in_footer=True
    )
    store_as_is(story, headline="The original\u202e headline\x1b[31m")
    StaticPage.objects.filter(pk=about.pk).update(title="About\u2067 us ")
    urls = [story.get_absolute_url(), *listing_urls(story)]  # each has the page in its footer

    def served() -> set[str]:
        return {call(page_cache, url).headers["x-page-cache"] for url in urls}

    signalled = []
    article_changed.connect(receiver := lambda **kwargs: signalled.append(kwargs), weak=False)
    try:
        served()
        HEADLINES.clean_headlines(django_apps, None)
        assert served() == {"hit"}
        TITLES.clean_titles(django_apps, None)
    finally:
        article_changed.disconnect(receiver)
    assert signalled == []
    assert served() == {"miss"}
    assert "Every cached page purged" in capsys.readouterr().out
    assert "<h1>The original headline</h1>" in call(page_cache, story.get_absolute_url()).text
    assert '<a href="/about/">About us</a>' in call(page_cache, "/").text


def test_an_upgrade_whose_purge_fails_goes_on_and_names_the_command_to_run(
    settings, tmp_path, capsys
):
    """The page cache unreachable (Redis down, ``DATA_DIR`` not a folder): 0017 still
    cleans the titles, and tells the operator the one command to run afterwards."""
    settings.REDIS_URL = f"redis://127.0.0.1:{free_ports(1)[0]}/12"  # nothing listens there
    settings.DATA_DIR = tmp_path / "a-file"
    settings.DATA_DIR.write_text("")
    settings.BYLINE_PAGE_FILES_DIR = ""
    page = StaticPage.objects.create(title="About", path="/about/")
    StaticPage.objects.filter(pk=page.pk).update(title="About\u202e us")
    reset_page_store()
    try:
        TITLES.clean_titles(django_apps, None)
    finally:
        reset_page_store()
    assert StaticPage.objects.get(pk=page.pk).title == "About us"
    out = capsys.readouterr().out
    assert "were not purged" in out and "Run `byline purge-pages` as the app's user." in out


def test_a_fresh_database_s_migration_purges_nothing(page_cache, capsys):
    TITLES.clean_titles(django_apps, None)  # no article, no page: nothing was cached
    assert "purge" not in capsys.readouterr().out
