"""The related stories are drawn once while the site does not change: a comment's
redraw does not read them again, and every change their cards show is on the next
page drawn (``byline.articles.related``)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from byline import db
from byline.articles import navigation, story
from byline.articles import related as related_stories
from byline.articles.models import Article
from byline.pagecache import store
from byline.pagecache.invalidation import comments_changed
from tests.factory import make_article, make_author, make_section, make_tag
from tests.pagecache.test_store import needs_redis

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(own_store):
    """An article, and an older one of its section with an author and a tag of its own."""
    section, tag = make_section("World", slug="world"), make_tag("Harbours", slug="harbours")
    now = timezone.now()
    other = make_article(
        "Ships come in",
        section=section,
        tags=[tag],
        authors=[make_author("Ada Quill", slug="ada")],
        published_at=now - timedelta(hours=2),
    )
    article = make_article("This one", section=section, tags=[tag], published_at=now)
    return article, other


def related(client, article: Article) -> str:
    html = client.get(article.get_absolute_url()).text
    found = re.search(r'<section class="related".*?</section>', html, re.S)
    return found.group(0) if found else ""


def headlines(block: str) -> list[str]:
    return re.findall(r"<h3><a [^>]*>([^<]+)</a></h3>", block)


def reads_related(sql: str) -> bool:
    return 'FROM "articles_article"' in sql and '"articles_article_tags"' in sql


@needs_redis
def test_a_comments_redraw_does_not_read_the_related_stories_again(client, site):
    """After an approved comment the page is drawn again with the related stories as they
    were: no query for them, and a change nobody announced is not seen. (Without Redis a
    comment moves the generation: every page and the stories are drawn again.)"""
    article, other = site
    assert headlines(related(client, article)) == ["Ships come in"]
    Article.objects.filter(pk=other.pk).update(headline="Not announced")  # no signal
    comments_changed(article.pk)
    with CaptureQueriesContext(connection) as queries:
        block = related(client, article)
    assert headlines(block) == ["Ships come in"]
    assert not any(reads_related(query["sql"]) for query in queries.captured_queries)


@needs_redis
def test_the_related_stories_are_kept_longer_than_the_navigations_minute(client, site):
    """Comments on one article come minutes apart: its next redraw finds the stories
    kept, for as long as the story is (the generation holds them; the hour bounds only
    the memory of articles nobody asks for again), not drawn again a minute on."""
    article, _ = site
    related(client, article)
    key = cache.make_key(related_stories.cache_key(article.pk))
    seconds = cache._cache.get_client(key).ttl(key)
    assert navigation.CACHE_SECONDS < seconds <= story.KEEP_SECONDS


def test_a_related_articles_edit_is_on_the_next_page(client, site):
    article, other = site
    assert headlines(related(client, article)) == ["Ships come in"]
    other.headline = "Ships come in late"
    other.save()
    assert headlines(related(client, article)) == ["Ships come in late"]


def test_a_newly_published_related_article_is_on_the_next_page(client, site):
    article, _ = site
    draft = make_article(
        "Storm warning",
        section=article.section,
        status=Article.Status.DRAFT,
        published_at=timezone.now() - timedelta(hours=1),
    )
    assert headlines(related(client, article)) == ["Ships come in"]
    draft.status = Article.Status.PUBLISHED
    draft.save()
    assert headlines(related(client, article)) == ["Storm warning", "Ships come in"]


def test_an_unpublished_related_article_leaves_the_next_page(client, site):
    article, other = site
    assert headlines(related(client, article)) == ["Ships come in"]
    other.status = Article.Status.DRAFT
    other.save()
    assert related(client, article) == ""


def test_renamed_authors_and_sections_are_on_the_next_page(client, site):
    article, other = site
    block = related(client, article)
    assert "Ada Quill" in block and ">World</a>" in block
    author = other.authors.get()
    author.name = "Ada Quillon"
    author.save()
    section = other.section
    section.name = "Abroad"
    section.save()
    block = related(client, article)
    assert "Ada Quillon" in block and ">Abroad</a>" in block


def test_an_articles_new_tag_brings_its_stories(client, site):
    """The article's tags changed: the stories sharing its new tag are related now."""
    article, _ = site
    moths = make_tag("Moths", slug="moths")
    make_article("Moth count", tags=[moths], published_at=timezone.now() - timedelta(hours=1))
    assert headlines(related(client, article)) == ["Ships come in"]
    article.tags.add(moths)
    assert headlines(related(client, article)) == ["Moth count", "Ships come in"]


def test_the_pages_tags_and_stories_are_of_one_state_until_the_generation_moves(client, site):
    """Another server filed the article under a new tag and this worker has not read the
    moved generation yet (it reads it every ``BYLINE_PAGE_CACHE_SYNC_SECONDS``): the page
    it draws meanwhile shows the tags it kept for this generation (``story``) and the
    stories sharing them, never stories chosen for tags the page does not show; once it
    reads the moved generation, the new tag and its stories."""
    article, _ = site
    moths = make_tag("Moths", slug="moths")
    make_article("Moth count", tags=[moths], published_at=timezone.now() - timedelta(hours=1))
    assert headlines(related(client, article)) == ["Ships come in"]
    Article.tags.through.objects.create(article=article, tag=moths)  # no signal here
    html = client.get(article.get_absolute_url()).text
    assert ">Moths</a>" not in html and headlines(related(client, article)) == ["Ships come in"]
    store._build_store().invalidate()  # the other server's own store moves it on
    html = client.get(article.get_absolute_url()).text
    assert ">Moths</a>" in html
    assert headlines(related(client, article)) == ["Moth count", "Ships come in"]


def test_a_change_made_by_another_worker_reaches_this_workers_related_stories(client, site):
    """Another worker's change moves only the shared generation: this worker follows."""
    article, other = site
    assert headlines(related(client, article)) == ["Ships come in"]
    Article.objects.filter(pk=other.pk).update(headline="Ships turned back")  # no signal here
    store._build_store().invalidate()  # the other worker's own store moves it on
    assert headlines(related(client, article)) == ["Ships turned back"]


def test_the_related_stories_are_not_kept_past_a_scheduled_publication(client, site):
    """A scheduled article coming due is related on the next page, though nothing was
    written: the stories read before were kept no longer than its time."""
    article, _ = site
    due_at = timezone.now() + timedelta(seconds=1.5)
    make_article(
        "Due soon", section=article.section, status=Article.Status.SCHEDULED, published_at=due_at
    )
    assert headlines(related(client, article)) == ["Ships come in"]
    time.sleep(max(0.0, (due_at - timezone.now()).total_seconds()) + 0.1)
    assert headlines(related(client, article)) == ["Due soon", "Ships come in"]


@pytest.mark.django_db(transaction=True)  # outside a transaction, reads may go to a replica
def test_the_stories_kept_for_the_next_pages_are_never_read_from_a_replica(site, lagging_replica):
    """A page the page layer does not take (a signed-in reader's) reads from a replica,
    which may lag behind the generation: the stories it keeps for the pages drawn after
    it are read from the primary, as a page the page cache keeps is, never an old list
    kept under the new generation."""
    article, _ = site
    with db.reading_from_primary():
        tag_ids = list(article.tags.values_list("pk", flat=True))
    assert headlines(related_stories.related_section(article, tag_ids)) == ["Ships come in"]


def test_an_article_coming_due_while_the_stories_are_read_is_on_the_next_page(site):
    """The stories are read, then an article comes due before the schedule is: the entry
    is kept until its time, not the publication after (the schedule is read first)."""
    article, _ = site
    due_at = time.time() + 1.0
    make_article(
        "Due soon",
        section=article.section,
        status=Article.Status.SCHEDULED,
        published_at=datetime.fromtimestamp(due_at, tz=UTC),
    )
    tag_ids = list(article.tags.values_list("pk", flat=True))

    def slow_cards(execute, sql, params, many, context):
        """The stories' cards are read (their headlines) just before the article's time."""
        result = execute(sql, params, many, context)
        if '"articles_article"."headline"' in sql and "LIMIT 1" not in sql:
            time.sleep(max(0.0, due_at - time.time()) + 0.05)
        return result

    with connection.execute_wrapper(slow_cards):
        assert headlines(related_stories.related_section(article, tag_ids)) == ["Ships come in"]
    assert headlines(related_stories.related_section(article, tag_ids)) == [
        "Due soon",
        "Ships come in",
    ]
