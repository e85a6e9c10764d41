"""A name changed reaches every cached page at once: an author, a section or a tag
renamed or deleted (in the admin, in bulk, from the shell), or an article's tags and
authors changed. Nothing that leaves the names as they were purges a page, and no
article's counts or reaction files go with the pages."""

import json

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from byline.articles.models import Author, Tag
from byline.engagement import actions, countfiles
from byline.signals import article_changed
from tests.factory import make_article, make_author, make_section, make_tag, pixel_upload
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(db):
    return make_article(
        "Budget passes at last",
        section=make_section("Politics", slug="politics"),
        tags=[make_tag("Budget", slug="budget")],
        authors=[make_author("Ann Writer", slug="ann-writer")],
    )


@pytest.fixture
def admin_post(editor_client, page_cache):
    """An editor's POST to the admin, then the pages through the page cache. (Django's
    test client connects ``close_old_connections`` again after its request: the page
    cache's calls would then close the test's connection, which PostgreSQL's tests keep
    open, and serve the last good page since the render fails. ``page_cache``, set up
    first, connects it again once the test is over.)"""

    def post(url: str, data: dict):
        response = editor_client.post(url, data)
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        return response

    return post


def cached(page_cache, *urls: str) -> None:
    """Each page rendered once and then served from the cache."""
    for url in urls:
        call(page_cache, url)
        assert call(page_cache, url).headers["x-page-cache"] == "hit", url


def page(page_cache, url: str) -> str:
    response = call(page_cache, url)
    assert response.status == 200, url
    return response.text


def served(page_cache, url: str) -> str:
    return call(page_cache, url).headers["x-page-cache"]


def test_a_tag_renamed_in_the_admin_shows_on_the_cached_article_and_listings(
    page_cache, story, admin_post
):
    tag = story.tags.get()
    urls = [story.get_absolute_url(), "/tag/budget/"]
    cached(page_cache, *urls)
    response = admin_post(
        f"/admin/articles/tag/{tag.pk}/change/", {"name": "Public finances", "slug": "budget"}
    )
    assert response.status_code == 302
    for url in urls:
        text = page(page_cache, url)
        assert "Public finances" in text, url
        assert ">Budget<" not in text, url


def test_an_author_renamed_in_the_admin_shows_in_the_byline_and_the_json_ld(
    page_cache, story, admin_post
):
    author = story.authors.get()
    cached(page_cache, story.get_absolute_url(), "/", "/author/ann-writer/")
    response = admin_post(
        f"/admin/articles/author/{author.pk}/change/",
        {"name": "Ann Writer-Jones", "slug": "ann-writer", "bio": "", "user": ""},
    )
    assert response.status_code == 302
    article = page(page_cache, story.get_absolute_url())
    assert '<a href="/author/ann-writer/">Ann Writer-Jones</a>' in article
    assert '{"@type":"Person","name":"Ann Writer-Jones"' in article  # the JSON-LD
    assert "Ann Writer-Jones" in page(page_cache, "/")
    assert "Ann Writer-Jones" in page(page_cache, "/author/ann-writer/")


def test_a_section_renamed_in_the_admin_shows_in_every_page_s_navigation(
    page_cache, story, admin_post
):
    """The navigation's own cache (``articles.navigation``) follows the pages'."""
    section = story.section
    cached(page_cache, "/", story.get_absolute_url(), "/tag/budget/")
    response = admin_post(
        f"/admin/articles/section/{section.pk}/change/",
        {"name": "Government", "slug": "politics", "description": "", "position": "0"},
    )
    assert response.status_code == 302
    for url in ["/", story.get_absolute_url(), "/tag/budget/"]:
        text = page(page_cache, url)
        assert '<li><a href="/section/politics/">Government</a></li>' in text, url  # the nav
        assert ">Politics<" not in text, url


def test_tags_deleted_with_the_admin_s_bulk_action_are_no_longer_linked(
    page_cache, story, admin_post
):
    other = make_tag("Taxes", slug="taxes")
    story.tags.add(other)
    url = story.get_absolute_url()
    assert 'href="/tag/budget/"' in page(page_cache, url)
    cached(page_cache, url)
    response = admin_post(
        "/admin/articles/tag/",
        {
            "action": "delete_selected",
            "_selected_action": [str(tag.pk) for tag in story.tags.all()],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Tag.objects.exists()
    text = page(page_cache, url)
    assert 'href="/tag/budget/"' not in text and 'href="/tag/taxes/"' not in text


def test_saves_and_deletes_from_the_shell_reach_cached_pages(page_cache, story):
    url = story.get_absolute_url()
    cached(page_cache, url)
    tag = story.tags.get()
    tag.name = "Spending"
    tag.save()
    assert ">Spending<" in page(page_cache, url)
    cached(page_cache, url)
    story.section.delete()
    assert 'href="/section/politics/"' not in page(page_cache, url)
    cached(page_cache, url)
    Author.objects.filter(slug="ann-writer").update(name="A. Writer")
    assert "A. Writer" in page(page_cache, url)
    cached(page_cache, url)
    Author.objects.all().delete()
    assert 'href="/author/ann-writer/"' not in page(page_cache, url)


def test_an_article_s_tags_changed_from_either_end_reach_cached_pages_and_no_op_changes_do_not(
    page_cache, story
):
    url = story.get_absolute_url()
    budget = story.tags.get()
    taxes = make_tag("Taxes", slug="taxes")
    cached(page_cache, url)
    story.tags.add(taxes)
    assert 'href="/tag/taxes/"' in page(page_cache, url)
    cached(page_cache, url)
    story.tags.add(taxes)  # already there
    story.tags.remove(make_tag("Unused"))  # never there
    story.tags.set([budget, taxes])  # as it is
    assert served(page_cache, url) == "hit"
    budget.articles.remove(story)
    assert 'href="/tag/budget/"' not in page(page_cache, url)
    cached(page_cache, url)
    story.authors.clear()
    assert 'href="/author/ann-writer/"' not in page(page_cache, url)
    cached(page_cache, url)
    story.authors.clear()  # nothing left to clear
    assert served(page_cache, url) == "hit"


def test_a_link_made_says_names_changed_once_and_a_no_op_says_nothing(story):
    unused, taxes, untagged = make_tag("Unused"), make_tag("Taxes"), make_article(tags=[])
    heard = []
    article_changed.connect(receiver := lambda **kwargs: heard.append(kwargs), weak=False)
    try:
        story.tags.add(*story.tags.all())
        story.authors.add(*story.authors.all())
        story.tags.remove(unused)
        untagged.tags.clear()
        assert heard == []
        story.tags.add(taxes)
    finally:
        article_changed.disconnect(receiver)
    assert [(each["article_id"], each["what"]) for each in heard] == [(None, "names")]


def test_an_author_s_login_changed_leaves_pages_cached_and_their_bio_does_not(
    page_cache, story, editor
):
    """Pages show an author's name, slug, bio and photo, not the login they write with:
    linking a login (the newsroom does when a writer joins) purges nothing."""
    author = story.authors.get()
    urls = [story.get_absolute_url(), "/author/ann-writer/"]
    cached(page_cache, *urls)
    author.user = editor
    author.save()
    Author.objects.filter(pk=author.pk).update(user=None)
    assert {served(page_cache, url) for url in urls} == {"hit"}
    author.bio = "Covers the treasury."
    author.save(update_fields=["bio"])
    assert "Covers the treasury." in page(page_cache, "/author/ann-writer/")


def test_a_rename_purges_again_when_the_transaction_commits(
    page_cache, story, django_capture_on_commit_callbacks
):
    """A page another worker renders from the not-yet-committed database cannot survive."""
    url = story.get_absolute_url()
    tag = story.tags.get()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tag.name = "Public finances"
        tag.save()
    cached(page_cache, url)
    for callback in callbacks:
        callback()
    assert served(page_cache, url) == "miss"


def test_counts_files_reaction_files_and_live_articles_survive_a_rename(
    page_cache, story, settings, tmp_path
):
    """A name changes no count and no reaction: nginx keeps answering the files, and
    votes do not ask the database whether the article is live again."""
    settings.BYLINE_VIEW_LOG_DIR = str(tmp_path / "views")
    files = [
        tmp_path / "views" / countfiles.FOLDER / f"{story.pk}.json",
        tmp_path / "views" / "reactions" / f"{story.pk}.json",
    ]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"counts": {}}))
    actions.seen_live([story.pk])
    url = story.get_absolute_url()
    cached(page_cache, url)
    tag = story.tags.get()
    tag.name = "Public finances"
    tag.save()
    story.tags.add(make_tag("Taxes"))
    Tag.objects.filter(pk=tag.pk).delete()
    assert [path.read_text() for path in files] == ['{"counts": {}}'] * 2
    assert actions.known_live(story.pk)
    assert served(page_cache, url) == "miss"


def test_a_save_compares_with_the_stored_row_not_with_what_was_loaded(page_cache, story):
    """Another editor renamed the tag after this copy was read: writing the copy's old
    name back changes the pages again (two admin saves of one tag at once, a copy kept
    in the shell)."""
    url = story.get_absolute_url()
    tag = story.tags.get()  # "Budget"
    Tag.objects.filter(pk=tag.pk).update(name="Spending")
    assert ">Spending<" in page(page_cache, url)
    cached(page_cache, url)
    tag.save()
    assert ">Budget<" in page(page_cache, url)


def test_only_the_fields_a_save_writes_count(page_cache, story, editor):
    """``save(update_fields=...)`` leaves a name changed in memory unwritten: pages stay;
    the save that writes it redraws them."""
    author = story.authors.get()
    urls = [story.get_absolute_url(), "/author/ann-writer/"]
    cached(page_cache, *urls)
    author.name = "Ann Writer-Jones"
    author.user = editor
    author.save(update_fields=["user"])
    assert {served(page_cache, url) for url in urls} == {"hit"}
    author.save()
    for url in urls:
        assert "Ann Writer-Jones" in page(page_cache, url), url


def test_an_author_s_new_photo_shows_beside_their_bio(page_cache, story, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    author = story.authors.get()
    cached(page_cache, "/author/ann-writer/")
    author.photo = pixel_upload("ann.gif")
    author.save()
    assert '<img class="author-photo" src="/media/authors/ann.gif"' in page(
        page_cache, "/author/ann-writer/"
    )
    cached(page_cache, "/author/ann-writer/")
    Author.objects.get(pk=author.pk).save()  # the same photo
    assert served(page_cache, "/author/ann-writer/") == "hit"


def test_sections_reordered_from_the_admin_s_list_reorder_every_page_s_navigation(
    page_cache, story, admin_post
):
    sport = make_section("Sport", slug="sport", position=1)
    make_article("Cup final tonight", section=sport)
    politics = story.section
    nav = '<li><a href="/section/{}/">'
    assert page(page_cache, "/").index(nav.format("politics")) < page(page_cache, "/").index(
        nav.format("sport")
    )
    cached(page_cache, "/")
    response = admin_post(
        "/admin/articles/section/",
        {
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "2",
            "form-0-id": str(politics.pk),
            "form-0-position": "2",
            "form-1-id": str(sport.pk),
            "form-1-position": "1",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    text = page(page_cache, "/")
    assert text.index(nav.format("sport")) < text.index(nav.format("politics"))
