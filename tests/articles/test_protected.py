"""Password-protected articles: readable with the password, public nowhere else."""

import json
import re

import pytest
from django.core.cache import cache
from django.test import Client

from byline.articles import protection
from byline.articles.models import Article
from tests.factory import make_article
from tests.pagecache.conftest import page_cache  # noqa: F401 (a fixture)
from tests.pagecache.wsgi_client import call
from tests.wordpress.wxr_factory import comment, item, write, wxr

pytestmark = pytest.mark.django_db

SECRET = "The fine print of the settlement."


@pytest.fixture(autouse=True)
def no_attempts_left_over():
    cache.clear()


@pytest.fixture
def protected():
    return make_article(
        "Leaked memo",
        slug="leaked-memo",
        standfirst="What the memo says.",
        body=SECRET,
        password="open sesame",
    )


def unlock(client: Client, article: Article, password: str = "open sesame"):
    return client.post(f"/articles/{article.slug}/unlock/", {"password": password})


def test_a_reader_sees_only_the_headline_and_the_form_until_the_password(client, protected):
    """The locked page shows the headline and a form, never the body, standfirst or comments."""
    page = client.get(protected.get_absolute_url())
    assert page.status_code == 200
    assert "Leaked memo" in page.text
    assert 'name="password"' in page.text
    assert 'name="csrfmiddlewaretoken"' in page.text
    assert SECRET not in page.text
    assert "What the memo says" not in page.text
    assert "application/ld+json" not in page.text
    assert "og:description" not in page.text
    assert "private" in page["Cache-Control"] and "no-store" in page["Cache-Control"]
    assert page["X-Robots-Tag"] == "noindex"


def test_the_right_password_unlocks_the_article_for_that_reader_only(client, protected):
    """A signed cookie scoped to the article's path remembers the password; others stay locked."""
    wrong = unlock(client, protected, "guess")
    assert wrong.status_code == 403
    assert "That password is not right." in wrong.text
    assert protection.cookie_name(protected) not in wrong.cookies
    answer = unlock(client, protected)
    assert answer.status_code == 302
    assert answer["Location"] == protected.get_absolute_url()
    cookie = answer.cookies[protection.cookie_name(protected)]
    assert cookie["path"] == protected.get_absolute_url()
    assert cookie["httponly"]
    assert "open sesame" not in cookie.value
    page = client.get(protected.get_absolute_url())
    assert SECRET in page.text
    assert "private" in page["Cache-Control"] and "no-store" in page["Cache-Control"]
    assert "application/ld+json" not in page.text
    assert SECRET not in Client().get(protected.get_absolute_url()).text


def test_a_forged_or_stale_cookie_does_not_unlock(client, protected):
    """A cookie for another article, a tampered one, or one from before a password change fail."""
    other = make_article("Other", slug="other", password="x")
    unlock(client, other, "x")
    stolen = client.cookies[protection.cookie_name(other)].value
    client.cookies[protection.cookie_name(protected)] = stolen
    assert SECRET not in client.get(protected.get_absolute_url()).text
    client.cookies[protection.cookie_name(protected)] = "forged:value"
    assert SECRET not in client.get(protected.get_absolute_url()).text
    unlock(client, protected)
    assert SECRET in client.get(protected.get_absolute_url()).text
    protected.password = "changed"
    protected.save()
    assert SECRET not in client.get(protected.get_absolute_url()).text


def test_the_password_form_is_csrf_protected():
    """A cross-site post without Django's token is refused."""
    article = make_article("Locked", slug="locked", password="pw")
    browser = Client(enforce_csrf_checks=True)
    refused = browser.post("/articles/locked/unlock/", {"password": "pw"})
    assert refused.status_code == 403
    assert protection.cookie_name(article) not in refused.cookies
    page = browser.get("/articles/locked/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = browser.post(
        "/articles/locked/unlock/", {"password": "pw", "csrfmiddlewaretoken": token}
    )
    assert answer.status_code == 302


def test_guessing_is_limited_per_reader_and_article(client, protected):
    """After MAX_ATTEMPTS tries in the window even the right password waits."""
    for _ in range(protection.MAX_ATTEMPTS):
        assert unlock(client, protected, "guess").status_code == 403
    blocked = unlock(client, protected)
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.text
    assert protection.cookie_name(protected) not in blocked.cookies


def test_a_protected_article_is_in_no_listing_feed_sitemap_search_or_api(client, protected):
    """Nothing of it reaches the front page, feeds, sitemaps, search or the engagement API."""
    make_article("Open story", slug="open-story", body="The fine print is public here.")
    for url in (
        "/",
        "/feed/",
        "/feed/atom/",
        "/sitemap.xml",
        "/sitemap-news.xml",
        "/search/?q=fine+print",
        "/search/?q=memo",
    ):
        text = client.get(url).content.decode()
        assert "leaked-memo" not in text, url
        assert "Leaked memo" not in text, url
    sitemap_sections = re.findall(
        r"<loc>[^<]*(/sitemap-[^<]+)</loc>", client.get("/sitemap.xml").text
    )
    for url in sitemap_sections:
        assert "leaked-memo" not in client.get(url).content.decode()
    assert client.get("/articles/leaked-memo/comments/feed/").status_code == 404
    counts = client.get(f"/api/articles/{protected.pk}/engagement/")
    assert counts.status_code == 404
    assert "error" in json.loads(counts.content)
    assert list(Article.objects.published()) != [] and protected not in Article.objects.published()


def test_the_page_cache_never_stores_a_protected_page(page_cache, protected):  # noqa: F811
    """Neither the locked page nor the unlocked one is stored, for anyone."""
    url = protected.get_absolute_url()
    for _ in range(2):
        locked = call(page_cache, url)
        assert locked.status == 200
        assert "x-page-cache" not in locked.headers
        assert SECRET.encode() not in locked.body


def test_imported_password_posts_are_protected_with_their_comments(tmp_path, client):
    """wp:post_password becomes the article's password; its comments show only once unlocked."""
    post = item(5, "Members only", "Only for members.", slug="members-only",
                comments=(comment(1, "A members' comment."),))  # fmt: skip
    post = post.replace("<wp:post_password></wp:post_password>",
                        "<wp:post_password><![CDATA[s3cret]]></wp:post_password>")  # fmt: skip
    from django.core.management import call_command

    call_command("import_wxr", str(write(tmp_path, wxr(post))), "--no-progress", stdout=None)
    article = Article.objects.get()
    assert article.password == "s3cret"
    locked = client.get(article.get_absolute_url())
    assert "Only for members." not in locked.text
    assert "A members&#x27; comment." not in locked.text and "members' comment" not in locked.text
    assert unlock(client, article, "s3cret").status_code == 302
    page = client.get(article.get_absolute_url())
    assert "Only for members." in page.text
    assert "comment." in page.text and "A members" in page.text


def _page_pass(page_text: str) -> str:
    found = re.search(r'name="unlock" value="([^"]+)"', page_text)
    assert found, "the unlocked page's comment form carries the article's pass"
    return found.group(1).replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")


def test_a_reader_who_unlocked_the_article_can_comment(client, protected):
    """The unlocked page's form carries a pass, since the unlock cookie (scoped to the
    article's path) never reaches /comments/; with it the comment is taken and shown."""
    from byline.discussion.models import Comment
    from tests.discussion.factory import post_comment

    assert unlock(client, protected).status_code == 302
    page = client.get(protected.get_absolute_url())
    given = _page_pass(page.text)
    browser = Client()  # the comment endpoint gets no unlock cookie, as in a browser
    answer = post_comment(browser, protected, json=True, unlock=given, body="Read it, and agree.")
    assert answer.status_code in {200, 201}, answer.text
    comment = Comment.objects.get(article=protected)
    assert comment.body == "Read it, and agree."
    if comment.status == Comment.Status.APPROVED:
        assert "Read it, and agree." in client.get(protected.get_absolute_url()).text
    # The page's script asks the session endpoint with the pass too.
    session = browser.get(f"/comments/session/?article={protected.pk}&unlock={given}")
    assert session.status_code == 200


def test_nobody_else_can_comment_on_or_read_comments_of_a_protected_article(client, protected):
    """No pass, a forged pass, another article's pass, or a pass from before the password
    changed: the article does not take comments, nothing is stored, nothing is shown."""
    from byline.discussion.models import Comment
    from tests.discussion.factory import make_comment, post_comment

    other = make_article("Other memo", slug="other-memo", password="other")
    make_comment(protected, body="Members discuss the memo.")
    assert unlock(client, other, "other").status_code == 302
    other_pass = _page_pass(client.get(other.get_absolute_url()).text)
    assert unlock(client, protected).status_code == 302
    old_pass = _page_pass(client.get(protected.get_absolute_url()).text)
    protected.password = "changed"
    protected.save()
    for given in ("", "forged:pass", other_pass, old_pass):
        answer = post_comment(Client(), protected, json=True, unlock=given)
        assert answer.status_code == 404, given
    assert Comment.objects.filter(article=protected).count() == 1
    stranger = Client()
    assert "Members discuss the memo." not in stranger.get(protected.get_absolute_url()).text
    assert stranger.get(f"/articles/{protected.slug}/comments/feed/").status_code == 404
    session = stranger.get(f"/comments/session/?article={protected.pk}&unlock={old_pass}")
    assert session.json()["pending"] == []
