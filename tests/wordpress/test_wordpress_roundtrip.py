"""Byline's export goes through a real WordPress and comes out whole.

A realistic site (nested sections, tags, two authors, a password-protected
article with its comments, a five-level thread, a held comment, a draft, a
featured story, an image, a static page) is exported with ``byline
export-wxr`` and stored in a throwaway WordPress 6.1 (Debian's package) through
WordPress's own API, the way its importer does (see php/harness.php: the
importer plugin itself is not packaged by Debian, PyPI or npm). What WordPress
then holds is read back and compared: every post, status, author, category with
its parent, tag and comment with its parent, and the protected post shows
anonymous readers the password form and no text.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from byline.articles.models import Article, Author, Section, StaticPage, Tag
from byline.discussion.models import Comment
from tests.discussion.factory import make_comment
from tests.factory import make_article, make_author, make_section, make_tag
from tests.wordpress.wpsite import WordPressSite, skip_reason

pytestmark = [
    pytest.mark.wordpress,
    pytest.mark.django_db,
    pytest.mark.skipif(skip_reason() is not None, reason=f"no WordPress: {skip_reason()}"),
]


@pytest.fixture
def wordpress():
    site = WordPressSite()
    site.install()
    yield site
    site.drop()


def build_site() -> dict:
    news = make_section("News", slug="news")
    courts = make_section("Courts", slug="courts", parent=news)
    appeals = make_section("Appeals", slug="appeals", parent=courts)
    floods, council = make_tag("Floods", slug="floods"), make_tag("Council", slug="council")
    ada = make_author("Ada Brent", slug="ada-brent")
    jose = make_author("José Ñúñez", slug="jose-nunez")
    lead = make_article(
        "River bursts its banks",
        slug="river-bursts",
        section=news,
        tags=[floods],
        authors=[ada],
        featured=True,
        body='Water rose overnight.\n\n<figure><img src="https://news.example/media/river.jpg" '
        'alt="The river"><figcaption>The river at six.</figcaption></figure>',
        published_at=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
    )
    ruling = make_article(
        "Appeal court rules on the bypass",
        slug="appeal-ruling",
        section=appeals,
        tags=[council, floods],
        authors=[jose, ada],
        published_at=datetime(2025, 3, 2, 9, 30, tzinfo=UTC),
    )
    secret = make_article(
        "Members only: the budget papers",
        slug="budget-papers",
        section=courts,
        authors=[ada],
        password="harbour-2025",
        body="The confidential figures are here.",
        published_at=datetime(2025, 3, 3, 7, 0, tzinfo=UTC),
    )
    draft = make_article("Unfinished feature", slug="unfinished", status=Article.Status.DRAFT)
    StaticPage.objects.create(
        title="About us", path="/about/", body="Who we are.", status="published"
    )
    # A thread five levels deep on the ruling, a held comment, and comments on the secret post.
    parent = None
    for level in range(5):
        parent = make_comment(ruling, parent=parent, body=f"Reply at level {level}.")
    make_comment(ruling, body="A second thread.")
    make_comment(ruling, body="Waiting for a moderator.", status=Comment.Status.PENDING)
    make_comment(secret, body="Only members read this.")
    return {"lead": lead, "ruling": ruling, "secret": secret, "draft": draft}


def test_a_byline_export_imports_into_wordpress_with_everything(wordpress, tmp_path):
    site = build_site()
    export = tmp_path / "site.xml"
    call_command("export_wxr", "-o", str(export), "--site-url", "https://news.example")

    imported = wordpress.import_file(export)
    assert imported["errors"] == []
    assert imported["counts"] == {
        "authors": 2,
        "categories": 3,
        "tags": 2,
        "posts": Article.objects.count() + StaticPage.objects.count(),
        "comments": Comment.objects.count(),
    }

    held = wordpress.dump()
    posts = {post["slug"] or post["title"]: post for post in held["posts"]}
    assert posts["river-bursts"]["status"] == "publish" and posts["river-bursts"]["sticky"]
    assert "river.jpg" in posts["river-bursts"]["shown_content"]
    assert posts["unfinished"]["status"] == "draft"
    assert posts["about"]["type"] == "page"
    ruling = posts["appeal-ruling"]
    # WordPress has one author a post: the first of the byline.
    assert ruling["author"] == site["ruling"].authors.all()[0].slug
    assert ruling["categories"] == ["appeals"]
    assert sorted(ruling["tags"]) == ["council", "floods"]
    assert held["users"]["jose-nunez"] == "José Ñúñez"
    assert held["categories"]["appeals"]["parent"] == "courts"
    assert held["categories"]["courts"]["parent"] == "news"
    assert held["tags"] == {"council": "Council", "floods": "Floods"}

    # Threads: each WordPress comment's parent is the one its Byline comment answered.
    by_byline_id = {c["byline_id"]: c for c in ruling["comments"]}
    wp_ids = {c["id"]: c["byline_id"] for c in ruling["comments"]}
    for comment in Comment.objects.filter(article=site["ruling"]):
        mine = by_byline_id[comment.pk]
        assert wp_ids.get(mine["parent"], None) == comment.parent_id
        assert mine["approved"] == ("1" if comment.status == Comment.Status.APPROVED else "0")
    assert max(Comment.objects.filter(article=site["ruling"]).values_list("depth", flat=True)) == 4

    # The protected post stays protected: anonymous readers get the form, not the text.
    secret = posts["budget-papers"]
    assert secret["password"] == "harbour-2025" and secret["password_required"]
    assert "post-password-form" in secret["shown_content"]
    assert "confidential" not in secret["shown_content"]
    assert len(secret["comments"]) == 1


CASES = json.loads(
    (Path(__file__).resolve().parent / "data" / "rendering" / "cases.json").read_text("utf-8")
)


def test_what_wordpress_itself_exports_imports_into_byline(wordpress, tmp_path, client):
    """A WordPress site (block and classic posts, nested categories, a thread eight deep,
    password, sticky, draft, private, pages) exported by WordPress's own exporter
    (export_wp(), in core) imports whole: nothing private public, threads kept."""
    wordpress.seed(CASES["cases"])
    held = {post["slug"]: post for post in wordpress.dump()["posts"]}
    export = tmp_path / "wordpress.xml"
    wordpress.export_file(export)
    call_command("import_wxr", str(export), "--no-progress", stdout=None)

    posts = [p for p in held.values() if p["type"] == "post"]
    pages = [p for p in held.values() if p["type"] == "page"]
    assert Article.objects.count() == len(posts)
    assert StaticPage.objects.count() == len(pages)
    public = {p["slug"] for p in posts if p["status"] == "publish" and not p["password"]}
    assert set(Article.objects.published().values_list("slug", flat=True)) == public
    secret = Article.objects.get(slug="budget-papers")
    assert secret.password == "harbour" and not Article.objects.published().filter(pk=secret.pk)
    assert Article.objects.get(slug="private-note").status == Article.Status.DRAFT
    assert Article.objects.get(slug="unfinished").status == Article.Status.DRAFT
    assert Article.objects.get(featured=True).slug == "caption"  # the sticky post
    assert Author.objects.filter(name="María Ortega").exists()
    appeals = Section.objects.get(slug="appeals")
    assert appeals.parent.slug == "courts" and appeals.parent.parent.slug == "news"
    assert Section.objects.filter(slug="unused").exists()
    assert Tag.objects.filter(slug="never-used").exists()
    assert StaticPage.objects.get(path="/about/").body_html.strip() == "<p>Who we are.</p>"
    # Only the page WordPress's menu links to goes in the footer.
    assert list(StaticPage.objects.filter(in_footer=True).values_list("path", flat=True)) == [
        "/about/"
    ]
    assert StaticPage.objects.get(path="/contact/").status == StaticPage.Status.PUBLISHED

    from byline.discussion.models import Comment

    sticky = Article.objects.get(slug="caption")
    thread = list(Comment.objects.filter(article=sticky).order_by("submitted_at", "pk"))
    approved = [c for c in thread if c.status == Comment.Status.APPROVED]
    assert len(approved) == 8 and len(thread) == 9
    for parent, reply in zip(approved, approved[1:], strict=False):
        assert reply.parent_id == parent.pk
    assert "<li>one</li>" in approved[0].body_html or "one" in approved[0].body_html
    page = client.get(sticky.get_absolute_url()).content.decode()
    assert all(f"Level {n}." in page for n in range(8))
    assert "Waiting." not in page

    for article in Article.objects.all():
        assert "<!--" not in article.body_html, article.slug
        assert not re.search(r"\[/?(caption|gallery|embed|audio|video)\b", article.body_html)
