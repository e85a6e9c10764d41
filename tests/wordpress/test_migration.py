"""A WordPress migration a newsroom can trust: real-world exports, nothing private made public.

The fixtures in tests/wordpress/data/ mirror what WordPress 6.x and WordPress.com
write (see the README there); the Theme Unit Test excerpt is WordPress's own.
"""

import re
import shutil
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from byline.articles.models import Article, Author, Section, StaticPage, Tag
from byline.discussion.models import Comment
from byline.wordpress.models import ImportedPost
from tests.htmlcheck import assert_valid_html, needs_java
from tests.wordpress.wxr_factory import cdata, item, write, wxr

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
NEWSROOM = DATA / "wp6-newsroom.xml"


def run_import(*paths, args=()) -> str:
    out = StringIO()
    call_command("import_wxr", *[str(p) for p in paths], "--no-progress", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def newsroom():
    summary = run_import(NEWSROOM)
    return summary


def article(wp_id: int) -> Article:
    return ImportedPost.objects.select_related("article").get(wp_id=wp_id).article


class _Structure(HTMLParser):
    """Records each element with its parent, to check what HTML allows where."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.pairs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.pairs.append((self.stack[-1] if self.stack else "", tag))
        if tag not in {"img", "br", "hr"}:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass


def structure(html: str) -> list[tuple[str, str]]:
    parser = _Structure()
    parser.feed(html)
    return parser.pairs


# -- nothing private becomes public ---------------------------------------------------------


def test_every_wordpress_status_has_a_byline_state(newsroom):
    """publish, future, draft, pending, private: a state each; trash, inherit, auto-draft: none."""
    states = dict(ImportedPost.objects.values_list("wp_id", "article__status"))
    assert states == {
        101: "published", 102: "published", 103: "published", 112: "published",
        104: "draft", 105: "draft", 106: "draft", 107: "scheduled", 110: "draft",
    }  # fmt: skip
    assert article(103).password == "subscribers-only"
    assert not Article.objects.filter(headline__in=["Binned story", "Auto Draft"]).exists()
    assert not Article.objects.filter(body__contains="An old revision").exists()


def test_the_report_lists_every_item_not_published_and_why(newsroom):
    """Each hidden item is named with its id, title, what it became and why."""
    for line in (
        "Not published (9): readers do not see these:",
        "post #103 “Settlement details”: password-protected: readers must enter its WordPress "
        "password to read it",
        "post #104 “Private memo”: draft: private on WordPress",
        "post #105 “Half-finished draft”: draft: a draft on WordPress",
        "post #106 “Waiting for review”: draft: pending review on WordPress",
        "post #107 “Results tomorrow”: scheduled: readers see it from 2099-01-01 09:00 UTC",
        "post #108 “Binned story”: not imported: in WordPress's trash",
        "post #111 “Auto Draft”: not imported: an automatic draft",
        "item without a type #110 “Mystery item”: draft: the item has no <wp:post_type>",
        "page #303 “Secret plans”: draft: private on WordPress",
        "1 revisions",
    ):
        assert line in newsroom, line


def test_the_report_file_lists_all_of_them(tmp_path):
    report = tmp_path / "report.txt"
    run_import(NEWSROOM, args=("--report", str(report)))
    assert report.read_text().count("\n  post #") >= 7


def test_nothing_private_draft_typeless_or_protected_reaches_readers(newsroom, client):
    """No listing, feed, sitemap or search shows the words of a hidden or protected item."""
    hidden = [
        "Private words", "Draft words", "Pending words", "Future words", "Typeless words",
        "Confidential figures", "confidential sum", "Plans for the newsroom",
    ]  # fmt: skip
    pages = ["/", "/feed/", "/feed/atom/", "/sitemap.xml", "/sitemap-news.xml"]
    pages += [f"/search/?q={word.split()[0]}" for word in hidden]
    pages += [article(101).get_absolute_url(), "/section/politics/"]
    for url in pages:
        text = client.get(url).content.decode()
        for words in hidden:
            assert words not in text, (url, words)
    for wp_id in (104, 105, 106, 107, 110):
        assert client.get(article(wp_id).get_absolute_url()).status_code == 404
    locked = client.get(article(103).get_absolute_url())
    assert locked.status_code == 200 and "Confidential" not in locked.text
    assert client.get("/secret-plans/").status_code == 404


# -- content keeps its shape ---------------------------------------------------------------


def test_block_editor_markup_leaves_nothing_behind(newsroom):
    """No marker, no empty paragraph, nothing but list items inside lists."""
    body = article(101).body_html
    assert "<!--" not in body and "wp:" not in body
    assert not re.search(r"<p>\s*</p>", body)
    for parent, child in structure(body):
        if parent in {"ul", "ol"}:
            assert child == "li", (parent, child)
    for wp_id in (102, 103, 112):
        assert not re.search(r"<p>\s*</p>", article(wp_id).body_html)


def test_blocks_become_clean_semantic_html_with_their_alignment(newsroom):
    body = article(101).body_html
    assert "<h2>What we know</h2>" in body  # the body's <h1> is demoted: the headline is <h1>
    assert (
        '<figure class="image alignwide"><img src="https://news.example/wp-content/uploads/'
        '2024/02/hall.jpg" alt="The town hall">' in body
    )
    assert "<figcaption>The count at the town hall.</figcaption>" in body
    assert re.search(r'<div class="columns">\s*<div class="column">\s*<p>Left column.</p>', body)
    assert '<div class="cover alignfull">' in body and '<div class="cover-text">' in body
    assert re.search(r"<blockquote>\s*<p>Every vote will be counted.</p>", body)
    assert '<figure class="pullquote">' in body
    assert '<figure class="table">' in body and "<th>Ward</th>" in body
    assert '<hr class="separator">' in body
    assert '<a class="button" href="https://news.example/results/"' in body
    assert "<address>Town Hall, 1 Main Street</address>" in body
    assert "style=" not in body and "data-object-fit" not in body and "wp-block" not in body
    assert "Page two of the story." in body


def test_embeds_become_one_link_figure_that_loads_nothing(newsroom):
    """YouTube, Twitter, Vimeo, [embed]: a figure with a plain link, the same privacy facade
    an editor's pasted address becomes (media/embeds.py), its caption kept; [audio],
    [video]: a player."""
    first, second = article(101).body_html, article(102).body_html
    assert re.search(
        r'<figure class="embed" data-provider="youtube" data-embed-src="https://www.youtube-'
        r'nocookie.com/embed/dQw4w9WgXcQ\?autoplay=1"[^>]*><p class="embed-facade">'
        r'<span class="embed-label">Video on YouTube</span> <a class="embed-open" href="'
        r'https://www.youtube.com/watch\?v=dQw4w9WgXcQ"[^>]*>Open on youtube.com</a></p>'
        r'<div class="embed-caption">The count, filmed.</div>',
        first,
    )
    assert re.search(
        r'<figure class="embed" data-provider="x" [^>]*><p class="embed-facade">'
        r'<span class="embed-label">Post on X</span> '
        r'<a class="embed-open" href="https://x.com/example/status/1760000000000000000"',
        first,
    )
    for provider, url in [
        ("youtube", "https://www.youtube.com/watch?v=aaaaaaaaaaa"),
        ("vimeo", "https://vimeo.com/123456"),
    ]:
        assert re.search(
            rf'<figure class="embed" data-provider="{provider}" [^>]*>'
            rf'<p class="embed-facade"><span class="embed-label">Video on \w+</span> '
            rf'<a class="embed-open" href="{re.escape(url)}"',
            second,
        )
    for kind, url in [
        ("audio", "https://news.example/wp-content/uploads/2024/02/speech.mp3"),
        ("video", "https://news.example/wp-content/uploads/2024/02/count.mp4"),
    ]:
        # Files WordPress plays itself get the browser's player, loading nothing before play.
        assert (
            f'<figure class="embed" data-provider="{kind}">'
            f'<{kind} controls preload="none" src="{url}"><a href="{url}"'
        ) in second
    assert "<iframe" not in first + second and "<script" not in first + second


def test_shortcodes_captions_and_galleries_found_by_their_parent(newsroom):
    """[gallery] without ids shows the post's attached images in WordPress's order."""
    body = article(102).body_html
    assert re.search(
        r'<figure class="alignright"><img [^>]*hall-300x200.jpg[^>]*>\s*'
        r"<figcaption>The hall at midnight</figcaption>",
        body,
    )
    galleries = re.findall(r'<figure class="gallery">(.*?)</figure>\s*</figure>', body, re.S)
    assert len(galleries) == 2
    crowd, hall = (galleries[0].index("crowd.jpg"), galleries[0].index("hall.jpg"))
    assert crowd < hall  # menu_order, as WordPress orders a gallery without ids
    assert 'alt="The town hall, lit"' in galleries[0]
    assert "<figcaption>The town hall at night</figcaption>" in galleries[0]
    assert "speech.mp3" not in galleries[0]  # not an image


def test_unknown_shortcodes_are_removed_and_reported_prose_brackets_kept(newsroom):
    body = article(102).body_html
    assert "[contact-form-7" not in body and "[vc_row]" not in body and "[/vc_column]" not in body
    assert "<p>Inside a page builder.</p>" in body
    assert "[sic]" in body and "[1]" in body
    assert "the shortcode [contact-form-7], which Byline does not know: it was removed" in newsroom
    assert "1 post uses the shortcode [vc_row]" in newsroom and "1 posts" not in newsroom
    assert "the shortcode [vc_row]" in newsroom


def test_html_in_titles_is_plain_text_that_keeps_its_meaning(newsroom, client):
    """Titles are stored as plain text: tags dropped, <sup>2</sup> and <sub>2</sub> kept as ² ₂."""
    science = article(112)
    assert science.headline == "E=mc² & H₂O: science night"
    page = client.get(science.get_absolute_url()).text
    assert "E=mc² &amp; H₂O: science night</h1>" in page
    assert "&lt;sup&gt;" not in page


def test_comments_keep_their_headings_lists_and_tables_apart(newsroom):
    body = Comment.objects.get(import_id=501).body_html
    assert "Three pointsFirst" not in body and "FirstSecond" not in body
    assert "<p>Three points</p>" in body
    assert "- First<br>- Second" in body
    assert "North | 61%" in body


# -- everything has a place ----------------------------------------------------------------


def test_categories_keep_their_hierarchy_and_unused_terms_and_authors_are_kept(newsroom, client):
    local = Section.objects.get(slug="local-elections")
    assert local.name == "Local & regional"
    assert local.parent.slug == "elections" and local.parent.parent.slug == "politics"
    assert local.description == "Councils and mayors."
    assert Section.objects.filter(slug="sport").exists()  # no post in it
    assert Tag.objects.get(slug="unused-tag").name == "Never used"
    ghost = Author.objects.get(slug="gus")
    assert ghost.name == "Gus Ghostwriter"  # wrote no imported post
    page = client.get(ghost.get_absolute_url()).text
    assert "gus.private@mail.example" not in page


def test_sticky_posts_become_featured(newsroom):
    assert article(101).featured
    assert not article(102).featured


def test_pages_become_static_pages_at_their_old_addresses(newsroom, client):
    about = client.get("/about/")
    assert about.status_code == 200 and "We report the city." in about.text
    assert "Who we are." in client.get("/about/masthead/").text
    moved = StaticPage.objects.get(wp_id=304)
    assert moved.path == "/pages/search/"  # /search/ is Byline's own search
    assert client.get("/?page_id=301")["Location"] == "/about/"
    assert client.get("/?page_id=301").status_code == 301


def test_an_export_without_a_menu_puts_no_page_in_the_header_or_footer(newsroom, client):
    """WordPress showed only the pages its menus held: with no menu in the export,
    the editor picks them, and the report says so."""
    assert StaticPage.objects.filter(status=StaticPage.Status.PUBLISHED).count() >= 2
    assert not StaticPage.objects.filter(in_footer=True).exists()
    assert not StaticPage.objects.filter(in_header=True).exists()
    assert "The export holds no WordPress menu: no page was put in the header or footer" in newsroom
    footer = client.get("/").text.split("<footer", 1)[1]
    assert "About us" not in footer and "Site search" not in footer


def test_only_the_pages_in_a_wordpress_menu_go_in_the_footer_in_its_order(client):
    summary = run_import(DATA / "wp6-menu.xml")
    assert "no WordPress menu" not in summary
    in_footer = StaticPage.objects.filter(in_footer=True).order_by("footer_order")
    assert [page.title for page in in_footer] == ["Contact", "About us"]
    assert StaticPage.objects.get(title="Site search").status == StaticPage.Status.PUBLISHED
    footer = client.get("/").text.split("<footer", 1)[1]
    assert footer.index("Contact") < footer.index("About us")
    assert "Site search" not in footer and "Corrections policy" not in footer


def test_the_theme_unit_test_categories_all_survive_with_their_tree():
    """WordPress's own test data: https namespace, WordPress.com, 68 nested categories."""
    summary = run_import(DATA / "theme-unit-test-categories.xml")
    assert "Warning" not in summary
    assert "Imported from https://wpthemetestdata.wordpress.com (WXR 1.2)" in summary
    assert Section.objects.count() == 68
    grandchild = Section.objects.get(slug="grandchild-category")
    assert [grandchild.parent.slug, grandchild.parent.parent.slug] == [
        "child-category-03",
        "parent-category",
    ]
    assert Section.objects.get(slug="child-2").parent.parent.slug == "parent"
    assert Section.objects.get(slug="sub").parent.slug == "aciform"
    assert Tag.objects.get(slug="content-2").name == "content περιεχόμενο"
    assert set(Author.objects.values_list("name", flat=True)) == {"Theme Buster", "Theme Reviewer"}


# -- every WXR imports -----------------------------------------------------------------------


def test_wxr_1_0_to_1_2_over_http_and_https_all_import(tmp_path):
    for n, (scheme, version) in enumerate(
        [("http", "1.0"), ("http", "1.1"), ("https", "1.1"), ("https", "1.2")], start=1
    ):
        text = wxr(item(n), version=version, base_url=f"https://blog{n}.example")
        text = text.replace("http://wordpress.org/export/", f"{scheme}://wordpress.org/export/")
        summary = run_import(write(tmp_path, text, f"{n}.xml"))
        assert f"(WXR {version})" in summary and "Warning" not in summary
    assert Article.objects.count() == 4


def test_an_unknown_or_missing_version_imports_with_a_warning_naming_it(tmp_path):
    odd = wxr(item(1)).replace(
        "<wp:wxr_version>1.2</wp:wxr_version>", "<wp:wxr_version>1.7</wp:wxr_version>"
    )
    summary = run_import(write(tmp_path, odd, "odd.xml"))
    assert "Warning: the file says it is WXR version '1.7', which Byline does not know" in summary
    missing = wxr(item(2), base_url="https://other.example").replace(
        "<wp:wxr_version>1.2</wp:wxr_version>", ""
    )
    summary = run_import(write(tmp_path, missing, "missing.xml"))
    assert "Warning: the file does not say its WXR version" in summary
    assert Article.objects.count() == 2


def test_two_wordpress_com_blogs_on_one_host_import_as_two(tmp_path):
    """base_site_url is https://wordpress.com for both; the blog's own address tells them apart."""

    def blog(name: str, headline: str) -> str:
        text = wxr(
            item(1, headline, slug=f"{name}-hello"), base_url=f"https://{name}.wordpress.com"
        )
        return text.replace(
            f"<wp:base_site_url>https://{name}.wordpress.com</wp:base_site_url>",
            "<wp:base_site_url>https://wordpress.com/</wp:base_site_url>",
        )

    first = write(tmp_path, blog("alpha", "Alpha says hello"), "alpha.xml")
    second = write(tmp_path, blog("beta", "Beta says hello"), "beta.xml")
    run_import(first)
    summary = run_import(second)
    assert "Imported from https://beta.wordpress.com" in summary
    assert set(Article.objects.values_list("headline", flat=True)) == {
        "Alpha says hello", "Beta says hello",
    }  # fmt: skip
    again = run_import(second)
    assert "1 posts were already imported" in again
    assert Article.objects.count() == 2


def test_cdata_split_around_a_closing_marker_keeps_the_text(tmp_path):
    """``]]>`` in a body is written as two CDATA sections; both halves are read."""
    body = "Arrays end with ]]> in this language."
    run_import(write(tmp_path, wxr(item(1, content=body))))
    assert "Arrays end with ]]&gt; in this language." in Article.objects.get().body_html
    assert cdata(body).count("<![CDATA[") == 2


def test_a_split_export_imports_the_same_in_any_order_and_only_once(tmp_path):
    """Posts in one file, their attachments in another: given together, order does not matter."""
    attachment = item(
        9, "pic", content="", post_type="attachment", status="inherit", slug="pic",
        extra="<wp:attachment_url>https://old.example/pic.jpg</wp:attachment_url>",
    )  # fmt: skip
    attachment = attachment.replace("<wp:post_parent>0<", "<wp:post_parent>1<")
    posts = write(tmp_path, wxr(item(1, content="Pictures:\n\n[gallery]"), item(2)), "part1.xml")
    files = write(tmp_path, wxr(attachment), "part2.xml")
    run_import(files, posts)
    assert "https://old.example/pic.jpg" in Article.objects.get(slug="post-1").body_html
    first = sorted(Article.objects.values_list("slug", "body_html"))
    shutil.copy(posts, tmp_path / "again.xml")
    summary = run_import(posts, files)
    assert "2 posts were already imported" in summary
    assert sorted(Article.objects.values_list("slug", "body_html")) == first


def test_reimporting_applies_what_changed_on_wordpress(tmp_path):
    """A post made private since is hidden again; an edited post gets its new text."""
    run_import(write(tmp_path, wxr(item(1, "Old title", "Old text."), item(2))))
    later = wxr(
        item(1, "New title", "New text.").replace(
            "<wp:post_modified_gmt><![CDATA[2014-06-10 12:00:00]]>",
            "<wp:post_modified_gmt><![CDATA[2015-01-01 00:00:00]]>",
        ),
        item(2, status="private"),
    )
    summary = run_import(write(tmp_path, later, "later.xml"))
    assert "2 of them changed on WordPress since and were updated" in summary
    assert Article.objects.get(slug="post-1").headline == "New title"
    assert "New text." in Article.objects.get(slug="post-1").body_html
    assert Article.objects.get(slug="post-2").status == Article.Status.DRAFT
    assert Article.objects.count() == 2


def test_malformed_xml_still_imports_nothing_and_names_the_line(tmp_path):
    broken = wxr(item(1), item(2)).replace("</item>", "</itm>", 1)
    with pytest.raises(Exception, match=r"line \d+"):
        run_import(write(tmp_path, broken))
    assert not Article.objects.exists() and not Section.objects.exists()


def test_a_big_file_is_read_lean_and_imports_the_same(tmp_path, monkeypatch):
    """Above LEAN_ABOVE the posts' text and comments are read again as they are written,
    so memory does not grow with them; the result is the same as reading it whole."""
    import tracemalloc

    from byline.wordpress.management.commands import import_wxr
    from byline.wordpress.reader import parse
    from tests.wordpress.wxr_factory import comment

    long_text = "\n\n".join(f"Paragraph {n} " + "words " * 400 for n in range(10))
    posts = [
        item(
            n,
            f"Post {n}",
            long_text,
            comments=(comment(n * 10), comment(n * 10 + 1, parent=n * 10)),
        )
        for n in range(1, 201)
    ]
    path = write(tmp_path, wxr(*posts))
    size = path.stat().st_size
    tracemalloc.start()
    with path.open("rb") as stream:
        lean = parse(stream, lean=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(lean.items) == 200 and not lean.items[0].content and not lean.items[0].comments
    assert peak < size / 4, (peak, size)  # whole, the text alone would be the size of the file

    monkeypatch.setattr(import_wxr, "LEAN_ABOVE", 0)
    summary = run_import(path)
    assert "200 articles" in summary and "400 stored" in summary
    lean_bodies = dict(Article.objects.values_list("slug", "body_html"))
    assert len(lean_bodies) == 200 and "Paragraph 9" in lean_bodies["post-7"]
    reply = Comment.objects.get(import_id=71)
    assert reply.parent.import_id == 70
    assert "200 posts were already imported" in run_import(path)
    assert Comment.objects.count() == 400


@needs_java
def test_imported_pages_pass_the_nu_html_checker(newsroom, client, tmp_path):
    """Block-editor and classic bodies, a locked article, a static page: valid HTML."""
    folder = tmp_path / "pages"
    folder.mkdir()
    urls = {
        "blocks": article(101).get_absolute_url(),
        "classic": article(102).get_absolute_url(),
        "locked": article(103).get_absolute_url(),
        "page": "/about/masthead/",
    }
    assert_valid_html(
        {name: client.get(url).content.decode() for name, url in urls.items()}, folder
    )


def test_terms_written_as_wp_term_and_a_second_wxr_namespace_are_understood(tmp_path):
    """<wp:term> categories are kept; the namespace bound to ``wp`` is the one read."""
    term = (
        "<wp:term><wp:term_id>101</wp:term_id><wp:term_taxonomy>category</wp:term_taxonomy>"
        "<wp:term_slug>world</wp:term_slug><wp:term_name><![CDATA[World]]></wp:term_name>"
        "<wp:term_parent><![CDATA[news]]></wp:term_parent></wp:term>"
    )
    text = wxr(item(1), terms=(term,)).replace(
        'xmlns:wp="http://wordpress.org/export/1.2/"',
        'xmlns:wp2="http://wordpress.org/export/1.1/" xmlns:wp="http://wordpress.org/export/1.2/"',
    )
    assert "Imported from" in run_import(write(tmp_path, text))
    assert Section.objects.get(slug="world").parent.slug == "news"
    assert Article.objects.count() == 1
