"""`byline export-wxr` writes a WordPress export of every article and comment."""

from datetime import UTC, datetime
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from byline.articles.models import Article, Author, Section, Tag
from byline.discussion.models import Comment
from byline.engagement.stats import figures_for
from byline.wordpress import exporter
from byline.wordpress.reader import WxrComment, parse
from tests.discussion.factory import make_comment
from tests.factory import make_article, make_filed_article, make_section

pytestmark = pytest.mark.django_db


def export(*args: str) -> str:
    out = StringIO()
    call_command(
        "export_wxr", "--site-url", "https://news.example", *args, stdout=out, stderr=StringIO()
    )
    return out.getvalue()


def export_and_empty_the_site(tmp_path) -> Path:
    """The whole site exported to a file; then its articles, authors, sections and tags
    (and with them the comments) deleted, so that an import starts from nothing."""
    path = tmp_path / "site.xml"
    call_command(
        "export_wxr", "--site-url", "https://news.example", "-o", str(path),
        "--no-progress", stderr=StringIO(),
    )  # fmt: skip
    for model in (Article, Author, Section, Tag):
        model.objects.all().delete()
    return path


@pytest.fixture
def site():
    live = make_filed_article(
        "Count ]]> begins & more",
        standfirst="Polls have closed.",
        body="Officials began **counting**.\n\nانتخابات في العراق",
        published_at=datetime(2024, 3, 5, 14, 30, tzinfo=UTC),
    )
    draft = make_article("Unfinished", status=Article.Status.DRAFT)
    return {"live": live, "draft": draft}


def test_the_export_is_a_wxr_file_with_everything(site):
    text = export()
    assert "<wp:wxr_version>1.2</wp:wxr_version>" in text
    parsed = parse(BytesIO(text.encode()))
    assert parsed.version == "1.2"
    assert parsed.base_site_url == "https://news.example"
    assert parsed.authors[site["live"].authors.get().slug].display_name == "Ada Brent"
    assert [c.name for c in parsed.categories.values()] == ["Politics"]
    assert [t.name for t in parsed.tags.values()] == ["Votes"]
    items = {item.wp_id: item for item in parsed.items}
    live = items[site["live"].pk]
    assert live.title == "Count ]]&gt; begins &amp; more"  # HTML, as WordPress keeps a title
    assert live.status == "publish" and live.post_type == "post"
    assert live.slug == site["live"].slug
    assert live.link == f"https://news.example{site['live'].get_absolute_url()}"
    assert live.published_at == datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    assert "<strong>counting</strong>" in live.content
    assert "انتخابات في العراق" in live.content
    assert live.excerpt == "Polls have closed."
    assert [c.slug for c in live.categories] == [site["live"].section.slug]
    assert [t.name for t in live.tags] == ["Votes"]
    assert live.creator == site["live"].authors.get().slug
    assert items[site["draft"].pk].status == "draft"


def test_an_export_imports_back_into_an_empty_site(site, tmp_path):
    before = {
        a.slug: (a.headline, a.body_text, a.status, a.published_at) for a in Article.objects.all()
    }
    path = export_and_empty_the_site(tmp_path)
    call_command("import_wxr", str(path), "--no-progress", stdout=StringIO())
    after = {
        a.slug: (a.headline, a.body_text, a.status, a.published_at) for a in Article.objects.all()
    }
    assert after == before
    article = Article.objects.get(slug=site["live"].slug)
    assert article.section.name == "Politics"
    assert [t.name for t in article.tags.all()] == ["Votes"]
    assert [a.name for a in article.authors.all()] == ["Ada Brent"]


def test_comments_from_the_discussion_app_are_written_with_their_threads(site, monkeypatch):
    article = site["live"]
    posted = datetime(2024, 3, 6, 8, 0, tzinfo=UTC)

    def provided(article_ids):
        assert article.pk in article_ids
        rows = [
            WxrComment(1, article.pk, None, "Ann", "ann@example.org", "", "", posted,
                       "First & <b>best</b>", "approved", "comment", None, 0),
            WxrComment(2, article.pk, 1, "Bob", "", "https://bob.example", "", posted,
                       "A reply ]]> here", "pending", "comment", None, 0),
        ]  # fmt: skip
        return {article.pk: rows}

    monkeypatch.setattr(exporter, "comments_for_export", provided)
    parsed = parse(BytesIO(export().encode()))
    live = next(item for item in parsed.items if item.wp_id == article.pk)
    first, reply = live.comments
    assert (first.author_name, first.content, first.status) == (
        "Ann",
        "First & <b>best</b>",
        "approved",
    )
    assert (reply.parent_id, reply.status, reply.content) == (1, "pending", "A reply ]]> here")
    assert reply.author_url == "https://bob.example"
    assert first.posted_at == posted


def test_a_malformed_site_address_is_refused():
    with pytest.raises(CommandError, match="expected only the origin"):
        call_command("export_wxr", "--site-url", "https://x.example/path", stdout=StringIO())


def test_with_no_site_address_the_export_uses_the_stated_default(tmp_path):
    """`byline export-wxr -o site.xml` works as the README says, and says which address it used."""
    make_article("Exported", slug="exported", password="pw", featured=True)
    path, err = tmp_path / "site.xml", StringIO()
    with override_settings(BYLINE_SITE_URL=""):
        call_command("export_wxr", "-o", str(path), "--no-progress", stdout=StringIO(), stderr=err)
    assert "links in the export use http://localhost:8000" in err.getvalue()
    parsed = parse(path.open("rb"))
    assert parsed.base_site_url == "http://localhost:8000"
    post = parsed.items[0]
    assert post.link == "http://localhost:8000/articles/exported/"
    assert (post.password, post.sticky) == ("pw", True)


@override_settings(BYLINE_SITE_URL="https://configured.example")
def test_the_configured_site_url_is_used_by_default(site):
    out = StringIO()
    call_command("export_wxr", stdout=out, stderr=StringIO())
    assert "<wp:base_site_url>https://configured.example</wp:base_site_url>" in out.getvalue()


def discussion_shape() -> set[tuple]:
    """Every comment as (article, body, status, name, e-mail, website, date, parent's body)."""
    return {
        (
            c.article.slug,
            c.body,
            c.status,
            c.author_name,
            c.author_email,
            c.author_url,
            c.submitted_at,
            c.parent.body if c.parent else None,
            c.depth,
        )
        for c in Comment.objects.select_related("article", "parent")
    }


def test_comments_round_trip_through_export_and_import_with_threads_and_statuses(
    site, tmp_path, client
):
    """Export, wipe the site, import the file: every comment is back, in its thread, with its
    status, date and commenter's details, and the page and counter show the approved ones."""
    article = site["live"]
    at = datetime(2024, 3, 6, 8, 0, tzinfo=UTC)
    first = make_comment(
        article,
        body="First & <b>best</b>",
        author_name="Ann",
        author_email="ann@example.org",
        author_url="https://ann.example",
        submitted_at=at,
    )
    reply = make_comment(article, parent=first, body="A reply ]]> here", submitted_at=at)
    make_comment(article, parent=reply, body="Not yet", status="pending", submitted_at=at)
    make_comment(article, body="Buy pills", status="spam", submitted_at=at)
    make_comment(article, body="Binned", status="trash", submitted_at=at)
    make_comment(site["draft"], body="On a draft", submitted_at=at)
    before = discussion_shape()
    path = export_and_empty_the_site(tmp_path)
    assert not Comment.objects.exists()
    out = StringIO()
    call_command("import_wxr", str(path), "--no-progress", stdout=out)
    assert discussion_shape() == before
    assert "6 comments found (3 approved, 1 pending, 1 spam, 1 trash); 6 stored" in out.getvalue()
    live = Article.objects.get(slug=article.slug)
    assert figures_for(live.pk).comments == 2
    html = client.get(live.get_absolute_url()).text
    assert "A reply ]]&gt; here" in html and "Not yet" not in html and "Buy pills" not in html


def test_the_export_carries_every_status_and_the_email_but_no_ip(site):
    """WXR carries the commenter's e-mail; only a hash of the IP was ever stored."""
    article = site["live"]
    comment = make_comment(
        article, body="Held", status="pending", author_email="held@example.org", ip_hash="abc123"
    )
    parsed = parse(BytesIO(export().encode()))
    (exported,) = next(item for item in parsed.items if item.wp_id == article.pk).comments
    assert (exported.wp_id, exported.status, exported.author_email) == (
        comment.pk,
        "pending",
        "held@example.org",
    )
    assert exported.author_ip == "" and "abc123" not in export()


def test_section_tree_and_static_pages_go_out_and_come_back(tmp_path):
    """Parents are written before their children; static pages travel as WordPress pages."""
    from byline.articles.models import StaticPage

    child = make_section("Local", slug="local")
    child.parent = make_section("News", slug="news")
    child.save()
    make_article("Filed", slug="filed", section=child)
    StaticPage.objects.create(title="About", path="/about/", body="Who we are.", status="published")
    path = tmp_path / "site.xml"
    call_command("export_wxr", "--site-url", "https://news.example", "-o", str(path),
                 "--no-progress", stdout=StringIO(), stderr=StringIO())  # fmt: skip
    text = path.read_text()
    assert text.index("<![CDATA[news]]></wp:category_nicename>") < text.index(
        "<![CDATA[local]]></wp:category_nicename>"
    )
    assert "<wp:category_parent><![CDATA[news]]></wp:category_parent>" in text
    Article.objects.all().delete()
    Section.objects.all().delete()
    StaticPage.objects.all().delete()
    call_command("import_wxr", str(path), "--no-progress", stdout=StringIO())
    assert Section.objects.get(slug="local").parent.slug == "news"
    page = StaticPage.objects.get()
    assert (page.path, page.title, page.status) == ("/about/", "About", "published")
    assert "Who we are." in page.body_html
