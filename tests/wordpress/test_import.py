"""`byline import-wxr`: a WordPress export becomes articles, all or nothing, once."""

import re
import zoneinfo
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from byline.articles.models import (
    Article,
    Author,
    Section,
    StaticPage,
    Tag,
)
from byline.discussion.imports import ImportResult
from byline.discussion.models import Comment
from byline.engagement.stats import figures_for
from byline.readers import hash_ip
from byline.wordpress import importer
from byline.wordpress.models import ImportedPost, LegacyURL
from tests.factory import articles_changed, make_article
from tests.wordpress.wxr_factory import author, comment, item, write, wxr

pytestmark = pytest.mark.django_db


def run_import(path, *args: str) -> str:
    out = StringIO()
    call_command("import_wxr", str(path), "--no-progress", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def captured_comments(monkeypatch):
    """What the importer hands to the discussion app's seam."""
    calls = []

    def capture(comments, article_ids, source, stored=None):
        calls.append((list(comments), dict(article_ids), source))
        return ImportResult(stored=len(comments))

    monkeypatch.setattr(importer, "import_comments", capture)
    return calls


def test_posts_become_articles_with_authors_sections_and_tags(tmp_path, client):
    path = write(
        tmp_path,
        wxr(
            item(
                10,
                "Count begins",
                "Officials began counting.\n\nA <strong>second</strong> paragraph.",
                excerpt="Polls have closed.",
                tags=(("votes", "Votes"),),
                slug="count-begins",
            )
        ),
    )
    summary = run_import(path)
    article = Article.objects.get()
    assert article.headline == "Count begins"
    assert article.slug == "count-begins"
    assert article.standfirst == "Polls have closed."
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at.isoformat() == "2014-06-10T12:00:00+00:00"
    assert article.body_html.strip() == (
        "<p>Officials began counting.</p>\n\n<p>A <strong>second</strong> paragraph.</p>"
    )
    assert not article.was_updated
    rendered = article.body_html
    article.save()  # an editor saves it: Markdown passes the imported HTML through unchanged
    assert article.body_html.strip() == rendered.strip()
    assert [a.name for a in article.authors.all()] == ["Ada Admin"]
    assert article.section.name == "News"
    assert article.section.description == "All the news"
    assert [t.name for t in article.tags.all()] == ["Votes"]
    assert ImportedPost.objects.get().wp_id == 10
    page = client.get(article.get_absolute_url())
    assert page.status_code == 200
    assert "<strong>second</strong>" in page.text
    assert "Imported from https://old.example (WXR 1.2):" in summary
    assert "1 articles, 0 static pages, 1 new authors, 1 new sections, 1 new tags" in summary


def test_an_imported_post_keeps_when_it_was_written_and_last_changed(tmp_path):
    """The article's dates are WordPress's (created, updated, content changed), not the
    time of the import, whether rows are copied in (PostgreSQL) or inserted (SQLite)."""
    edited = item(1).replace(
        "<wp:post_modified_gmt><![CDATA[2014-06-10 12:00:00]]>",
        "<wp:post_modified_gmt><![CDATA[2015-01-01 08:30:00]]>",
    )
    run_import(write(tmp_path, wxr(edited, item(2, date="2016-03-04 05:06:07"))))
    first, second = Article.objects.order_by("created_at")
    assert first.created_at.isoformat() == "2014-06-10T12:00:00+00:00"
    assert first.updated_at.isoformat() == "2015-01-01T08:30:00+00:00"
    assert first.content_changed_at == first.updated_at
    assert second.created_at.isoformat() == "2016-03-04T05:06:07+00:00"
    assert second.updated_at == second.content_changed_at == second.created_at


def test_bodies_are_sanitized_images_kept_and_embeds_become_links(tmp_path):
    body = (
        "Intro with <script>alert(1)</script> and "
        '<a href="javascript:x()" onclick="y()">a link</a>.'
        '\n\n[caption id="attachment_5" width="300"]<img src="/wp-content/uploads/cat.jpg" '
        'alt="A cat" width="300" height="200"> The cat[/caption]'
        '\n\n<iframe src="https://www.youtube.com/embed/abc" width="560"></iframe>'
        "\n\nhttps://vimeo.com/12345\n\n[embed]https://example.org/clip[/embed]"
    )
    run_import(write(tmp_path, wxr(item(1, content=body))))
    html = Article.objects.get().body_html
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html
    assert (
        '<figure><img src="https://old.example/wp-content/uploads/cat.jpg" alt="A cat" '
        'width="300" height="200">'
    ) in html
    assert "<figcaption>The cat</figcaption>" in html
    for url, text in [
        # the player's address, as the page to visit
        ("https://www.youtube.com/watch?v=abc", "Open on youtube.com"),
        ("https://vimeo.com/12345", "Open on vimeo.com"),
        ("https://example.org/clip", "https://example.org/clip"),
    ]:
        # A plain link; a provider's becomes the labelled facade ("Open on vimeo.com").
        link = rf'<a (class="embed-open" )?href="{re.escape(url)}" rel="noopener noreferrer">'
        assert re.search(link + re.escape(text) + "</a>", html), url
    assert "<iframe" not in html


def test_cdata_in_all_fields_and_plain_escaped_text_read_the_same(tmp_path):
    tricky = "Fish & chips <b>bold</b> ]]> end"
    for n, plain in enumerate([False, True]):
        path = write(
            tmp_path,
            wxr(
                item(
                    100 + n, tricky, tricky, excerpt="Short & sweet", slug=f"fish-{n}", plain=plain
                )
            ),
            name=f"e{n}.xml",
        )
        run_import(path)
    first, second = Article.objects.order_by("slug")
    assert first.headline == second.headline == "Fish & chips bold ]]> end"
    assert first.body_html == second.body_html
    assert "<b>bold</b> ]]&gt; end" in first.body_html
    assert first.standfirst == "Short & sweet"


def test_unicode_and_right_to_left_text_survive(tmp_path, client):
    path = write(
        tmp_path,
        wxr(
            item(
                7,
                "انتخابات في العراق",
                "صوت الناخبون في بغداد.\n\n日本語のテキスト。",
                slug="%d8%a7%d9%86%d8%aa%d8%ae%d8%a7%d8%a8%d8%a7%d8%aa",
                categories=(("%d8%b3%d9%8a%d8%a7%d8%b3%d8%a9", "سياسة"),),
                creator="José",
            ),
            authors=(author("José", "José Núñez"),),
        ),
    )
    run_import(path)
    article = Article.objects.get()
    assert article.slug == "انتخابات"
    assert article.headline == "انتخابات في العراق"
    assert article.section.slug == "سياسة"
    assert article.authors.get().name == "José Núñez"
    assert "日本語のテキスト。" in client.get(article.get_absolute_url()).text


def test_missing_optional_fields_are_filled_in(tmp_path):
    bare = """
    <item>
      <title></title>
      <wp:post_id>5</wp:post_id>
      <wp:post_type>post</wp:post_type>
      <wp:status>publish</wp:status>
      <pubDate>Wed, 02 Jul 2014 08:00:00 +0200</pubDate>
    </item>"""
    summary = run_import(write(tmp_path, wxr(bare, authors=(), terms=())))
    article = Article.objects.get()
    assert article.headline == "Untitled"
    assert article.slug == "post-5"
    assert article.body == "" and article.standfirst == ""
    assert article.section is None and not article.authors.exists()
    assert article.published_at.isoformat() == "2014-07-02T06:00:00+00:00"
    assert "1 articles" in summary


def test_a_huge_body_is_imported_whole(tmp_path):
    paragraph = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20
    body = "\n\n".join([paragraph] * 2500)  # about 2.8 MB
    run_import(write(tmp_path, wxr(item(1, content=body))))
    article = Article.objects.get()
    assert article.body_html.count("<p>") == 2500
    assert article.word_count == 2500 * 160


def test_duplicate_slugs_get_a_number(tmp_path):
    make_article("Existing", slug="same")
    path = write(tmp_path, wxr(item(1, slug="same"), item(2, slug="same"), item(3, slug="same-2")))
    summary = run_import(path)
    slugs = dict(ImportedPost.objects.values_list("wp_id", "article__slug"))
    assert len(set(slugs.values()) | {"same"}) == 4
    assert slugs[1] == "same-2" or slugs[1] == "same-3"
    assert "had a slug already in use" in summary


def test_pages_attachments_and_unknown_types_are_counted_not_dropped(tmp_path):
    """Pages become static pages; other types and statuses are counted, and listed."""
    path = write(
        tmp_path,
        wxr(
            item(1),
            item(2, "About us", post_type="page", comments=(comment(50),)),
            item(3, "cat.jpg", post_type="attachment", status="inherit"),
            item(4, "Product", post_type="product"),
            item(5, "Binned", status="trash"),
            item(6, "Half written", status="auto-draft"),
        ),
    )
    summary = run_import(path)
    assert Article.objects.count() == 1
    assert StaticPage.objects.get().title == "About us"
    assert "1 attachments (files, not articles" in summary
    assert "1 items of type 'product'" in summary
    assert "product #4 “Product”: not imported: Byline does not know this type" in summary
    assert "post #5 “Binned”: not imported: in WordPress's trash" in summary
    assert "post #6 “Half written”: not imported: an automatic draft" in summary
    assert "1 comments on pages (static pages take no comments)" in summary


def test_statuses_map_to_published_scheduled_and_draft(tmp_path):
    path = write(
        tmp_path,
        wxr(
            item(1, status="publish"),
            item(2, status="draft", date="0000-00-00 00:00:00"),
            item(3, status="future", date="2099-01-01 00:00:00"),
            item(4, status="private"),
            item(5, status="pending"),
        ),
    )
    summary = run_import(path)
    statuses = dict(ImportedPost.objects.values_list("wp_id", "article__status"))
    assert statuses == {1: "published", 2: "draft", 3: "scheduled", 4: "draft", 5: "draft"}
    assert "post #4 “A post”: draft: private on WordPress" in summary
    assert "post #5 “A post”: draft: pending review on WordPress" in summary
    assert "post #2 “A post”: draft: a draft on WordPress" in summary
    assert "post #3 “A post”: scheduled: readers see it from 2099-01-01 00:00 UTC" in summary
    assert "Not published (4): readers do not see these:" in summary


def test_the_schedule_note_reads_in_the_newsrooms_time_zone(tmp_path, settings):
    """A post scheduled on WordPress goes out at the time the newsroom expects: the
    summary says when in the site's time zone (BYLINE_TIME_ZONE), the zone named."""
    settings.TIME_ZONE = "America/New_York"
    path = write(tmp_path, wxr(item(3, status="future", date="2099-01-01 00:00:00")))
    summary = run_import(path)
    published_at = ImportedPost.objects.get(wp_id=3).article.published_at
    local = timezone.localtime(published_at, zoneinfo.ZoneInfo("America/New_York"))
    assert f"readers see it from {local:%Y-%m-%d %H:%M} EST" in summary
    assert " UTC" not in summary


def test_running_the_same_file_again_adds_nothing(tmp_path, captured_comments):
    path = write(
        tmp_path,
        wxr(item(1, tags=(("a", "A"),)), item(2, comments=(comment(9),))),
    )
    run_import(path)
    counts = [m.objects.count() for m in (Article, Author, Section, Tag, LegacyURL)]
    summary = run_import(path)
    assert [m.objects.count() for m in (Article, Author, Section, Tag, LegacyURL)] == counts
    assert "0 articles" in summary
    assert "2 posts were already imported" in summary
    # The comments go to the discussion app again, keyed on their WordPress ids.
    assert [c.wp_id for c in captured_comments[1][0]] == [9]


def test_nested_comment_threads_statuses_and_details_reach_the_discussion_app(
    tmp_path, captured_comments
):
    comments = (
        comment(3, "Reply to reply", parent=2, date_gmt="2014-06-11 11:00:00"),
        comment(1, "First!", author="Ann", email="ann@example.org", url="https://ann.example"),
        comment(2, "Reply", parent=1, approved="0", date_gmt="2014-06-11 10:00:00"),
        comment(4, "Buy pills", approved="spam"),
        comment(5, "Orphan", parent=999),
        comment(6, "Pinged", kind="pingback"),
        comment(7, "Binned", approved="trash"),
    )
    summary = run_import(write(tmp_path, wxr(item(42, comments=comments))))
    ((handed, article_ids, source),) = captured_comments
    assert source == "https://old.example"
    assert article_ids == {42: Article.objects.get().pk}
    order = [c.wp_id for c in handed]
    assert order.index(1) < order.index(2) < order.index(3)
    by_id = {c.wp_id: c for c in handed}
    assert by_id[2].parent_id == 1 and by_id[3].parent_id == 2
    assert by_id[2].status == "pending" and by_id[4].status == "spam"
    assert by_id[7].status == "trash" and by_id[6].kind == "pingback"
    assert by_id[1].author_name == "Ann"
    assert by_id[1].author_email == "ann@example.org"
    assert by_id[1].author_url == "https://ann.example"
    assert by_id[1].author_ip == "192.0.2.1"
    assert by_id[1].posted_at.isoformat() == "2014-06-11T09:00:00+00:00"
    assert by_id[5].parent_id == 999  # kept as written; thread order treats it as top level
    assert "7 comments found (4 approved, 1 pending, 1 spam, 1 trash); 7 stored" in summary


def test_old_wordpress_addresses_redirect_permanently(tmp_path, client):
    path = write(
        tmp_path,
        wxr(
            item(123, slug="big-story", date="2014-06-10 23:30:00", date_gmt="2014-06-10 21:30:00"),
            item(124, slug="custom", link="https://old.example/news/custom-permalink/"),
            item(125, slug="unpublished", status="draft"),
        ),
    )
    run_import(path)
    story = ImportedPost.objects.get(wp_id=123).article.get_absolute_url()
    custom = ImportedPost.objects.get(wp_id=124).article.get_absolute_url()
    for old, new in [
        ("/?p=123", story),
        ("/2014/06/10/big-story/", story),
        ("/2014/06/10/big-story", story),
        ("/news/custom-permalink/", custom),
        ("/2014/06/10/custom/", custom),
    ]:
        response = client.get(old)
        assert response.status_code == 301, old
        assert response["Location"] == new
    assert client.get("/?p=125").status_code == 200  # a draft: the front page, no redirect
    assert client.get("/2014/06/10/unpublished/").status_code == 404
    assert client.get("/?p=999").status_code == 200
    for odd in ["/?p=²", "/?p=" + "9" * 40, "/?p=-1"]:
        assert client.get(odd).status_code == 200, odd
    assert client.get("/no/such/").status_code == 404


def test_imported_articles_are_found_by_search(tmp_path, client):
    run_import(write(tmp_path, wxr(item(1, "Harbour frozen", "Ice on the harbour today."))))
    response = client.get("/search/", {"q": "harbour"})
    assert [h.article.headline for h in response.context["hits"]] == ["Harbour frozen"]


def test_older_wxr_versions_are_read(tmp_path):
    for n, version in enumerate(["1.0", "1.1"]):
        run_import(
            write(
                tmp_path,
                wxr(
                    item(n + 1, f"From {version}"),
                    version=version,
                    base_url=f"https://v{n}.example",
                ),
                name=f"{version}.xml",
            )
        )
    assert set(Article.objects.values_list("headline", flat=True)) == {"From 1.0", "From 1.1"}


def test_several_categories_give_a_section_and_tags(tmp_path):
    path = write(
        tmp_path,
        wxr(item(1, categories=(("news", "News"), ("world", "World")), tags=(("iraq", "Iraq"),))),
    )
    summary = run_import(path)
    article = Article.objects.get()
    assert article.section.slug == "news"
    assert set(article.tags.values_list("slug", flat=True)) == {"world", "iraq"}
    assert "1 posts had several categories" in summary


def test_a_dry_run_reports_and_saves_nothing(tmp_path):
    summary = run_import(write(tmp_path, wxr(item(1), item(2))), "--dry-run")
    assert "Would import from https://old.example" in summary
    assert "2 articles" in summary
    assert "Dry run: nothing was saved." in summary
    assert not Article.objects.exists() and not Author.objects.exists()


# -- bad files: a clear message with the line, and nothing imported -------------------


def failing(tmp_path, text: str) -> str:
    path = write(tmp_path, text, name="bad.xml")
    with pytest.raises(CommandError) as error:
        run_import(path)
    assert not Article.objects.exists()
    assert not Author.objects.exists() and not Section.objects.exists()
    assert not Comment.objects.exists()
    message = str(error.value)
    assert message.startswith(f"{path}, line ")
    assert message.endswith("Nothing was imported.")
    return message


def test_broken_xml_names_the_line_and_imports_nothing(tmp_path):
    text = wxr(item(1, comments=(comment(1), comment(2, parent=1))), item(2), item(3))
    lines = text.splitlines()
    broken_at = next(i for i, line in enumerate(lines) if "<wp:post_id>3<" in line)
    lines[broken_at] = lines[broken_at].replace("</wp:post_id>", "</wp:post>")
    message = failing(tmp_path, "\n".join(lines))
    assert f"line {broken_at + 1}:" in message
    assert "malformed" in message


def test_a_bad_value_late_in_the_file_names_its_line_and_imports_nothing(tmp_path):
    text = wxr(item(1), item(2), item(3, date="2014-13-45 99:00:00"))
    message = failing(tmp_path, text)
    line = next(
        i + 1 for i, t in enumerate(text.splitlines()) if "<item>" in t and i > text.count("\n") / 2
    )
    assert "'2014-13-45 99:00:00' is not a date" in message
    assert f"line {line}:" in message


def test_items_without_an_id_are_imported_once_as_wordpress_does(tmp_path):
    """WordPress's importer accepts items without <wp:post_id>; a second import finds them."""
    no_id = re.sub(r"<wp:post_id>\d+</wp:post_id>", "", item(7, "Hand made", slug="hand-made"))
    path = write(tmp_path, wxr(item(1), no_id))
    summary = run_import(path)
    assert set(Article.objects.values_list("headline", flat=True)) == {"A post", "Hand made"}
    assert Article.objects.get(slug="hand-made").status == Article.Status.PUBLISHED
    run_import(path)
    assert Article.objects.count() == 2
    assert "Imported from" in summary


def test_a_file_that_is_not_a_wordpress_export_is_refused(tmp_path):
    assert "not a WordPress export" in failing(tmp_path, "<html><body>hi</body></html>")
    plain_rss = (
        '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>x</title></channel></rss>'
    )
    assert "lacks the namespace" in failing(tmp_path, plain_rss)
    assert "malformed" in failing(tmp_path, "this is not xml at all")
    assert "malformed" in failing(tmp_path, "")


def test_an_error_while_writing_rolls_everything_back(tmp_path, monkeypatch):
    def explode(comments, article_ids, source, stored=None):
        raise RuntimeError("the discussion app failed")

    monkeypatch.setattr(importer, "import_comments", explode)
    with pytest.raises(RuntimeError):
        run_import(write(tmp_path, wxr(item(1), item(2, comments=(comment(1),)))))
    assert not Article.objects.exists() and not ImportedPost.objects.exists()


def test_external_entities_are_never_read(tmp_path):
    """XXE: a DTD is refused outright, so no file or URL is ever fetched."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    prolog = f'\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    text = wxr(item(1, "&xxe;"), prolog=prolog).replace("<![CDATA[&xxe;]]>", "&xxe;")
    message = failing(tmp_path, text)
    assert "declares a DTD" in message
    assert "TOP SECRET" not in message


def test_entity_bombs_are_refused(tmp_path):
    """Billion laughs: refused before any entity is expanded."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    text = wxr(item(1, "&lol9;"), prolog=f"\n<!DOCTYPE rss [{entities}]>").replace(
        "<![CDATA[&lol9;]]>", "&lol9;"
    )
    assert "declares a DTD" in failing(tmp_path, text)


def test_the_byline_command_accepts_the_hyphenated_name(tmp_path):
    import os
    import subprocess
    import sys

    path = write(tmp_path, wxr(item(1, "Via the CLI")))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYLINE_")}
    env.pop("DATABASE_URL", None)
    env["BYLINE_DATA_DIR"] = str(tmp_path / "data")

    def byline(*args):
        return subprocess.run(
            [sys.executable, "-m", "byline", *args],
            env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip

    assert byline("migrate", "--verbosity", "0").returncode == 0
    result = byline("import-wxr", str(path), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "1 articles" in result.stdout
    bad = byline("import-wxr", str(tmp_path / "missing.xml"))
    assert bad.returncode != 0 and "no such file" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_readers_caches_hear_of_each_new_visible_article(
    tmp_path, django_capture_on_commit_callbacks
):
    """article_changed is sent once the import commits, for articles readers can see."""
    with articles_changed() as heard, django_capture_on_commit_callbacks(execute=True):
        run_import(write(tmp_path, wxr(item(1), item(2, status="draft"))))
    assert heard == [ImportedPost.objects.get(wp_id=1).article_id]


# -- comments: stored in the discussion app ---------------------------------------


def comment_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li id="comment-(\d+)"', html)]


def stored(wp_id: int) -> Comment:
    return Comment.objects.get(import_id=wp_id)


THREAD = (
    comment(3, "Reply to reply", parent=2, date_gmt="2014-06-11 11:00:00"),
    comment(
        1,
        'First! See <a href="https://ann.example/post">my post</a>.',
        author="Ann",
        email="ann@example.org",
        url="https://ann.example",
    ),
    comment(2, "Reply", parent=1, date_gmt="2014-06-11 10:00:00", email="bob@example.org"),
    comment(4, "Waiting for a moderator", approved="0", date_gmt="2014-06-11 12:00:00"),
    comment(5, "Answer to the waiting one", parent=4, date_gmt="2014-06-11 13:00:00"),
    comment(6, "Buy pills", approved="spam"),
    comment(7, "Binned", approved="trash"),
    comment(8, "[...] linked here [...]", kind="pingback", author="Other Blog"),
    comment(9, "Reply to the pingback", parent=8, date_gmt="2014-06-11 14:00:00"),
    comment(10, "Orphan", parent=999, date_gmt="2014-06-11 15:00:00"),
)


def test_imported_threads_show_on_the_article_page_approved_only_and_nested(tmp_path, client):
    """Approved comments appear under the article, oldest first, replies nested; the
    other statuses are stored but not shown, and the counter counts the ones shown."""
    summary = run_import(write(tmp_path, wxr(item(42, comments=THREAD))))
    article = Article.objects.get()
    html = client.get(article.get_absolute_url()).content.decode()
    one, two, three, nine, ten = (stored(n).pk for n in (1, 2, 3, 9, 10))
    assert comment_ids(html) == [one, two, three, nine, ten]
    first_thread = html[html.index(f'id="comment-{one}"') : html.index(f'id="comment-{nine}"')]
    assert first_thread.count('<ol class="children">') == 2
    assert f'<li id="comment-{three}" class="comment depth-2">' in first_thread
    for hidden in ["Waiting for a moderator", "Answer to the waiting one", "Buy pills", "Binned"]:
        assert hidden not in html
    assert "ann@example.org" not in html and "bob@example.org" not in html
    assert '<a href="https://ann.example" rel="nofollow ugc noopener">Ann</a>' in html
    assert 'my post (<a href="https://ann.example/post" rel="nofollow ugc noopener">' in html
    # The counter counts what the page shows: not the reply waiting with its parent.
    assert '<span class="count">5</span> <span class="label">comments</span>' in html
    assert figures_for(article.pk).comments == 5
    statuses = dict(Comment.objects.values_list("import_id", "status"))
    assert statuses == {
        1: "approved", 2: "approved", 3: "approved", 4: "pending", 5: "approved",
        6: "spam", 7: "trash", 9: "approved", 10: "approved",
    }  # fmt: skip
    assert stored(5).parent_id == stored(4).pk  # waits with its parent
    assert stored(9).parent_id is None  # its parent, a pingback, is not stored
    assert stored(3).thread_id == one and stored(3).depth == 2
    assert stored(2).submitted_at.isoformat() == "2014-06-11T10:00:00+00:00"
    assert (stored(1).author_email, stored(1).author_url) == (
        "ann@example.org",
        "https://ann.example",
    )
    assert "10 comments found (7 approved, 1 pending, 1 spam, 1 trash); 9 stored" in summary
    assert "not stored: 1: pingbacks (Byline does not take pingbacks" in summary


def test_importing_comments_checks_no_spam_sends_no_mail_and_signals_once_per_article(
    tmp_path, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    """An import is not a reader posting: no spam check, no e-mail, no per-comment signal;
    each article's cache hears once, after the commit."""
    from byline import antispam

    def no_check(*args, **kwargs):
        raise AssertionError("imported comments must not be spam-checked")

    monkeypatch.setattr(antispam, "check", no_check)
    with articles_changed() as heard, django_capture_on_commit_callbacks(execute=True):
        run_import(write(tmp_path, wxr(item(1, comments=THREAD), item(2))))
        assert heard == []  # nothing before the commit
    assert sorted(heard) == sorted(ImportedPost.objects.values_list("article_id", flat=True))
    assert mailoutbox == []


def test_reimporting_adds_no_comment_twice_and_later_replies_join_their_threads(tmp_path):
    """Keyed on (site, WordPress comment id): the same file adds nothing; a newer export
    adds only its new comments, under the parents already stored."""
    path = write(tmp_path, wxr(item(42, comments=THREAD)))
    run_import(path)
    before = sorted(Comment.objects.values_list("pk", "import_id", "parent_id", "status"))
    summary = run_import(path)
    assert sorted(Comment.objects.values_list("pk", "import_id", "parent_id", "status")) == before
    assert "9 comments were already stored" in summary
    newer = write(
        tmp_path,
        wxr(item(42, comments=(*THREAD, comment(11, "Late reply", parent=3))), item(43)),
        name="newer.xml",
    )
    summary = run_import(newer)
    late = stored(11)
    assert late.parent_id == stored(3).pk and late.thread_id == stored(1).pk
    assert Comment.objects.count() == len(before) + 1
    assert figures_for(late.article_id).comments == 6  # the 5 shown before, and the late reply
    assert "; 1 stored" in summary


def test_replies_deeper_than_the_limit_keep_their_parent(tmp_path, client, settings):
    """Below BYLINE_COMMENT_MAX_DEPTH a reply keeps the comment it answers; its depth stops."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 3
    chain = [comment(1, "Level 0", date_gmt="2014-06-11 09:00:00")] + [
        comment(n, f"Level {n - 1}", parent=n - 1, date_gmt=f"2014-06-11 09:0{n}:00")
        for n in range(2, 7)
    ]
    summary = run_import(write(tmp_path, wxr(item(1, comments=tuple(chain)))))
    depths = [stored(n).depth for n in range(1, 7)]
    assert depths == [0, 1, 2, 2, 2, 2]
    assert [stored(n).parent_id for n in range(2, 7)] == [stored(n).pk for n in range(1, 6)]
    assert {stored(n).thread_id for n in range(1, 7)} == {stored(1).pk}
    html = client.get(Article.objects.get().get_absolute_url()).content.decode()
    assert comment_ids(html) == [stored(n).pk for n in range(1, 7)]
    assert "3 replies were nested deeper than 3 levels" in summary
    # Shown no deeper than the limit either: the deeper replies follow at the last level,
    # each saying which comment it answers.
    assert html.count('<ol class="children">') == 2
    assert re.findall(r'class="comment depth-(\d)"', html) == ["0", "1", "2", "2", "2", "2"]
    for n in range(4, 7):
        answered = stored(n - 1)
        assert f'In reply to <a href="#comment-{answered.pk}">' in html
    assert html.count('class="in-reply-to"') == 3


def test_raw_ip_addresses_are_never_stored_and_old_ones_not_even_hashed(tmp_path):
    """A recent comment keeps only the day-salted hash of its address; an old one, past
    the retention the comment-data page promises, keeps nothing."""
    recent = (timezone.now() - timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    path = write(
        tmp_path,
        wxr(
            item(
                1,
                comments=(
                    comment(1, "Recent", ip="203.0.113.9", date_gmt=recent),
                    comment(2, "Old", ip="203.0.113.9", date_gmt="2014-06-11 09:00:00"),
                ),
            )
        ),
    )
    summary = run_import(path)
    assert stored(1).ip_hash == hash_ip("203.0.113.9", day=recent[:10])
    assert stored(2).ip_hash == ""
    for row in Comment.objects.values():
        assert "203.0.113.9" not in str(row)
    assert "1 commenters' IP addresses were not kept" in summary


def test_hostile_comment_fields_are_made_safe(tmp_path, client):
    """Scripts, event handlers and javascript: websites from an export never reach the page."""
    path = write(
        tmp_path,
        wxr(
            item(
                1,
                comments=(
                    comment(
                        1,
                        '<script>alert(1)</script><img src=x onerror="alert(2)"><b>bold</b>',
                        author="<i>Mallory</i>",
                        url="javascript:alert(3)",
                        email="",
                    ),
                ),
            )
        ),
    )
    run_import(path)
    evil = stored(1)
    assert evil.author_url == "" and evil.author_email == ""
    html = client.get(Article.objects.get().get_absolute_url()).content.decode()
    assert "<strong>bold</strong>" in html
    assert "alert(" not in html and "onerror" not in html
    assert "&lt;i&gt;Mallory&lt;/i&gt;" in html


def test_a_dry_run_stores_no_comment(tmp_path):
    summary = run_import(write(tmp_path, wxr(item(1, comments=THREAD))), "--dry-run")
    assert "; 9 stored" in summary and "Dry run: nothing was saved." in summary
    assert not Comment.objects.exists()


def test_a_failure_after_the_comments_are_written_rolls_them_back_too(tmp_path, monkeypatch):
    """The comments are written in the import's transaction: a later failure undoes them."""
    from byline.discussion import imports

    def explode(article_ids):
        raise RuntimeError("the counters failed")

    monkeypatch.setattr(imports, "refresh_counts", explode)
    with pytest.raises(RuntimeError):
        run_import(write(tmp_path, wxr(item(1, comments=THREAD))))
    assert not Comment.objects.exists() and not Article.objects.exists()


def test_a_big_import_tells_the_caches_once(tmp_path, django_capture_on_commit_callbacks):
    """Past a hundred visible articles, one article_changed without an id says all changed."""
    with articles_changed() as heard, django_capture_on_commit_callbacks(execute=True):
        run_import(write(tmp_path, wxr(*(item(n) for n in range(1, 103)))))
    assert heard == [None]


def test_the_imports_times_read_in_the_newsrooms_time_zone(tmp_path, editor_client, settings):
    """An imported post's page and the list of them give when it was imported and last
    changed on WordPress in the site's time zone (BYLINE_TIME_ZONE), the zone named."""
    from datetime import UTC, datetime

    settings.TIME_ZONE = "Europe/Berlin"
    run_import(write(tmp_path, wxr(item(7))))
    post = ImportedPost.objects.get()
    ImportedPost.objects.filter(pk=post.pk).update(
        imported_at=datetime(2026, 12, 5, 5, 41, tzinfo=UTC),
        wp_modified=datetime(2026, 7, 1, 6, 30, tzinfo=UTC),
    )
    listing = editor_client.get("/admin/wordpress/importedpost/").text
    assert "2026-12-05 06:41 CET" in listing and "Dec. 5, 2026" not in listing
    page = editor_client.get(f"/admin/wordpress/importedpost/{post.pk}/change/").text
    assert "2026-12-05 06:41 CET" in page and "2026-07-01 08:30 CEST" in page
    assert "Dec. 5, 2026" not in page and "July 1, 2026" not in page
