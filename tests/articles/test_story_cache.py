"""The article's own story (standfirst, lead image, body, notes, tags, share links, author
box) and its tags and authors are read and drawn once while the site does not change: a
comment's redraw does not read them again, and every change the story shows is on the
next page drawn (``byline.articles.story``)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from byline import db
from byline.articles import story as stories
from byline.articles.models import Article
from byline.articles.origin import site_origin
from byline.newsroom import actions as newsroom
from byline.pagecache import store
from byline.pagecache.invalidation import comments_changed
from tests.factory import make_article, make_author, make_editor, make_section, make_tag
from tests.pagecache.test_store import needs_redis

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(own_store):
    return make_article(
        "Harbour reopens",
        section=make_section("World", slug="world"),
        tags=[make_tag("Harbours", slug="harbours")],
        authors=[make_author("Ada Quill", slug="ada", bio="Writes about ships.")],
        body="The harbour opened again at dawn.",
    )


def page(client, article: Article, **extra) -> str:
    return client.get(article.get_absolute_url(), **extra).text


def story(html: str) -> str:
    """The story as drawn: from the end of the header to the reactions."""
    start = html.index("</header>", html.index('<header class="article-header">'))
    return html[start : html.index('<section class="engagement"')]


def byline(html: str) -> str:
    return html[html.index('<p class="byline">') :].split("</p>")[0]


def reads_story(sql: str) -> bool:
    tables = ('"articles_tag"', '"articles_author"', '"newsroom_articlenote"')
    return any(f"FROM {table}" in sql for table in tables)


@needs_redis
def test_a_comments_redraw_does_not_read_the_story_again(client, article):
    """After an approved comment the page is drawn again with the story as it was: no
    query for its tags, authors or notes, and a change nobody announced is not seen.
    (Without Redis a comment moves the generation: every page and story are drawn again.)"""
    first = page(client, article)
    Article.objects.filter(pk=article.pk).update(body_html="<p>Not announced.</p>")  # no signal
    comments_changed(article.pk)
    with CaptureQueriesContext(connection) as queries:
        again = page(client, article)
    assert again == first
    assert not any(reads_story(query["sql"]) for query in queries.captured_queries)


def test_the_articles_edit_is_on_the_next_page(client, article):
    assert "opened again at dawn" in story(page(client, article))
    article.body = "The harbour stays shut."
    article.standfirst = "A change of plan."
    article.save()
    drawn = story(page(client, article))
    assert "stays shut" in drawn and "A change of plan." in drawn
    assert "opened again at dawn" not in drawn


def test_an_unpublished_article_is_gone_from_the_next_page(client, article):
    assert client.get(article.get_absolute_url()).status_code == 200
    article.status = Article.Status.DRAFT
    article.save()
    assert client.get(article.get_absolute_url()).status_code == 404


def test_a_renamed_tag_is_on_the_next_page(client, article):
    html = page(client, article)
    assert ">Harbours</a>" in story(html) and 'content="Harbours"' in html
    tag = article.tags.get()
    tag.name = "Ports"
    tag.save()
    html = page(client, article)
    assert ">Ports</a>" in story(html) and ">Harbours</a>" not in story(html)
    assert '<meta property="article:tag" content="Ports">' in html


def test_a_new_tag_and_author_are_on_the_next_page(client, article):
    page(client, article)
    article.tags.add(make_tag("Weather", slug="weather"))
    article.authors.add(make_author("Bo Lund", slug="bo"))
    html = page(client, article)
    assert ">Weather</a>" in story(html)
    assert 'class="author-name"><a href="/author/bo/">Bo Lund</a>' in story(html)
    assert "Ada Quill</a> and <a" in byline(html)


def test_an_authors_new_name_and_bio_are_on_the_next_page(client, article):
    assert "Writes about ships." in story(page(client, article))
    author = article.authors.get()
    author.name, author.bio = "Ada Quillon", "Writes about storms."
    author.save()
    html = page(client, article)
    assert "Writes about storms." in story(html) and ">Ada Quillon</a>" in story(html)
    assert ">Ada Quillon</a>" in byline(html)


def test_a_note_added_and_changed_is_on_the_next_page(client, article):
    editor = make_editor()
    assert "Corrections and updates" not in story(page(client, article))
    note = newsroom.add_note(editor, article, "correction", "The ferry is the Ada, not the Ida.")
    assert "not the Ida." in story(page(client, article))
    note.text = "The ferry is the Eda."
    note.save()
    newsroom.noted(editor, note)
    drawn = story(page(client, article))
    assert "the Eda." in drawn and "not the Ida." not in drawn


def test_a_change_made_by_another_worker_reaches_this_workers_story(client, article):
    """Another worker's change moves only the shared generation: this worker follows."""
    page(client, article)
    Article.objects.filter(pk=article.pk).update(body_html="<p>Shut again.</p>")  # no signal
    store._build_store().invalidate()  # the other worker's own store moves it on
    assert "Shut again." in story(page(client, article))


def test_each_origin_has_its_own_share_links(client, article, settings):
    """Without ``BYLINE_SITE_URL`` the share links name the host the page was asked on."""
    settings.BYLINE_SITE_URL = ""
    settings.ALLOWED_HOSTS = ["testserver", "news.example"]
    assert "http%3A%2F%2Ftestserver%2F" in story(page(client, article))
    other = story(page(client, article, HTTP_HOST="news.example"))
    assert "http%3A%2F%2Fnews.example%2F" in other and "testserver" not in other


def test_a_protected_articles_story_is_never_kept(client, article, rf):
    """Only its reader sees a protected article's body: nothing of it goes to the cache."""
    article.password = "open sesame"
    article.save()
    client.post(f"/articles/{article.slug}/unlock/", {"password": "open sesame"})
    assert "opened again at dawn" in page(client, article)
    key = stories.cache_key(article.pk, site_origin(rf.get("/")))
    assert cache.get(key) is None


@pytest.mark.django_db(transaction=True)  # outside a transaction, reads may go to a replica
def test_a_story_drawn_from_a_replica_is_not_kept(article, lagging_replica, rf, monkeypatch):
    """A page the page layer does not take (a signed-in reader's) reads from a replica,
    which may lag behind the generation: the story it draws is not kept for the pages
    drawn after it; one drawn from the primary (the page layer's renders) is."""
    draw = stories.draw

    def from_a_replica(article, request):  # (the replica fixture answers nothing: here
        with db.reading_from_primary():  # it answers with the primary's rows)
            return draw(article, request)

    monkeypatch.setattr(stories, "draw", from_a_replica)
    request = rf.get(article.get_absolute_url())
    key = stories.cache_key(article.pk, site_origin(request))
    assert "opened again at dawn" in stories.story_of(article, request).html
    assert cache.get(key) is None
    with db.reading_from_primary():
        stories.story_of(article, request)
    assert "opened again at dawn" in cache.get(key)[2]
