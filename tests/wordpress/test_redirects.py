"""Every old WordPress address keeps working: a 301 to its new place, sub-folder installs too."""

from io import StringIO

import pytest
from django.core.management import call_command

from byline.articles.models import Article
from byline.wordpress.models import ImportedPost
from tests.wordpress.wxr_factory import author, category, item, write, wxr

pytestmark = pytest.mark.django_db

BLOG = "https://example.org/blog"


def run_import(path) -> str:
    out = StringIO()
    call_command("import_wxr", str(path), "--no-progress", stdout=out)
    return out.getvalue()


def with_term_id(term: str, term_id: int) -> str:
    return term.replace("<wp:term_id>1</wp:term_id>", f"<wp:term_id>{term_id}</wp:term_id>")


def attachment(wp_id: int, parent: int, link: str) -> str:
    text = item(
        wp_id,
        "photo",
        "",
        post_type="attachment",
        status="inherit",
        slug="photo",
        link=link,
        extra="<wp:attachment_url>https://example.org/blog/wp-content/uploads/p.jpg"
        "</wp:attachment_url>",
    )
    return text.replace("<wp:post_parent>0<", f"<wp:post_parent>{parent}<")


@pytest.fixture
def subfolder(tmp_path):
    """A WordPress installed in /blog with plain permalinks (?p=ID), as exported."""
    text = wxr(
        item(1, "Council votes", slug="council-votes", link=f"{BLOG}/?p=1",
             tags=(("budget", "Budget"),)),
        item(2, "Site search explained", slug="search", link=f"{BLOG}/2014/06/10/search/"),
        item(3, "Not yet", slug="not-yet", status="draft", link=f"{BLOG}/?p=3"),
        attachment(4, 1, f"{BLOG}/?attachment_id=4"),
        item(5, "Pretty one", slug="pretty-one", link=f"{BLOG}/news/pretty-one/",
             categories=(("city", "City"),)),
        base_url=BLOG,
        authors=(author("ed", "Ed Itor", wp_id=3),),
        terms=(
            with_term_id(category("news", "News"), 12),
            with_term_id(category("city", "City"), 13),
        ),
    )  # fmt: skip
    text = text.replace(
        "<wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[City]]>",
        "<wp:category_parent><![CDATA[news]]></wp:category_parent><wp:cat_name><![CDATA[City]]>",
    )
    text = text.replace("<dc:creator><![CDATA[admin]]>", "<dc:creator><![CDATA[ed]]>")
    run_import(write(tmp_path, text))
    return {wp_id: a for wp_id, a in ImportedPost.objects.values_list("wp_id", "article__slug")}


def redirects(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 301, (url, response.status_code)
    return response["Location"]


def test_plain_links_of_a_blog_in_a_sub_folder_redirect(subfolder, client):
    """/blog/?p=1, /blog/?cat=12, /blog/?author=3, /blog/?attachment_id=4: 301 to the new place."""
    assert redirects(client, "/blog/?p=1") == "/articles/council-votes/"
    assert redirects(client, "/?p=1") == "/articles/council-votes/"
    assert redirects(client, "/blog/?cat=12") == "/section/news/"
    assert redirects(client, "/blog/?author=3") == "/author/ed/"
    assert redirects(client, "/blog/?attachment_id=4") == "/articles/council-votes/"
    assert redirects(client, "/blog/?tag=budget") == "/tag/budget/"
    assert client.get("/blog/?p=999").status_code == 404


def test_every_permalink_structure_of_a_post_redirects(subfolder, client):
    """Day and name, month and name, post name, numeric, the post's own link."""
    for url in (
        "/blog/2014/06/10/council-votes/",
        "/blog/2014/06/council-votes/",
        "/blog/council-votes/",
        "/blog/archives/1",
        "/blog/news/pretty-one/",
        "/blog/news/pretty-one",
    ):
        assert redirects(client, url).startswith("/articles/"), url
    assert redirects(client, "/blog/news/pretty-one/") == "/articles/pretty-one/"


def test_archives_feeds_terms_and_searches_redirect(subfolder, client):
    assert redirects(client, "/blog/") == "/"
    assert redirects(client, "/blog/category/news/") == "/section/news/"
    assert redirects(client, "/blog/category/news/city/") == "/section/city/"
    assert redirects(client, "/blog/category/news/feed/") == "/section/news/feed/"
    assert redirects(client, "/blog/tag/budget/") == "/tag/budget/"
    assert redirects(client, "/blog/author/ed/") == "/author/ed/"
    assert redirects(client, "/blog/feed/") == "/feed/"
    assert redirects(client, "/blog/comments/feed/") == "/feed/"
    assert redirects(client, "/comments/feed/") == "/feed/"
    assert redirects(client, "/blog/2014/06/10/council-votes/feed/") == (
        "/articles/council-votes/comments/feed/"
    )
    assert redirects(client, "/blog/2014/06/") == "/"
    assert redirects(client, "/blog/2014/") == "/"
    assert redirects(client, "/blog/page/2/") == "/?page=2"
    assert redirects(client, "/tag/budget/page/3/") == "/tag/budget/?page=3"
    assert redirects(client, "/blog/search/city+hall/") == "/search/?q=city+hall"
    assert redirects(client, "/search/budget") == "/search/?q=budget"
    assert redirects(client, "/blog/?s=budget") == "/search/?q=budget"
    assert redirects(client, "/?s=budget") == "/search/?q=budget"


def test_a_post_whose_old_address_is_byline_s_own_search_still_reaches_it(tmp_path, client):
    """A post with the slug ``search`` at /search/ (post-name permalinks) redirects to it."""
    post = item(2, "Site search explained", slug="search", link="https://old.example/search/")
    run_import(write(tmp_path, wxr(post)))
    assert redirects(client, "/search/") == "/articles/search/"
    found = client.get("/search/", {"q": "explained"})  # with a query, it is Byline's search
    assert [hit.article.headline for hit in found.context["hits"]] == ["Site search explained"]


def test_a_post_named_search_in_a_sub_folder_redirects_too(subfolder, client):
    assert redirects(client, "/blog/search/") == "/articles/search/"
    assert redirects(client, "/blog/2014/06/10/search/") == "/articles/search/"


def test_a_draft_s_old_address_starts_working_once_published(subfolder, client):
    assert client.get("/blog/?p=3").status_code == 404
    assert client.get("/blog/2014/06/10/not-yet/").status_code == 404
    draft = Article.objects.get(slug="not-yet")
    draft.status = Article.Status.PUBLISHED
    draft.save()
    assert redirects(client, "/blog/?p=3") == "/articles/not-yet/"
    assert redirects(client, "/blog/2014/06/10/not-yet/") == "/articles/not-yet/"


def test_unknown_old_addresses_and_byline_s_own_stay_404(subfolder, client):
    for url in ("/blog/nothing-here/", "/articles/not-yet/", "/articles/not-yet/comments/feed/"):
        assert client.get(url).status_code == 404, url
