"""A WordPress post's title becomes the article's headline as every page shows it: entities
decoded, emoji sequences, right-to-left text and its marks kept as WordPress had them; a
C1 control, the byte-order mark, direction overrides and line breaks left out, on the
first import and when a newer export changes the title; a terminal's escape whose ESC is
an entity goes whole, as the raw one does. A page's title is cleaned the same."""

from __future__ import annotations

import re
from html import unescape

import pytest

from byline.articles.models import Article, Author, Section, StaticPage, Tag
from byline.wordpress.report import ImportSummary
from tests.articles.test_hostile_headlines import LEGITIMATE
from tests.corpora import CONTROLLED, NAUGHTY, NEVER_IN_A_NAME
from tests.wordpress.test_import import run_import
from tests.wordpress.test_migration import DATA
from tests.wordpress.wxr_factory import author, category, item, write, wxr

pytestmark = pytest.mark.django_db

# As WordPress exports titles: its editor's entities and curly quotes, as typed.
TITLES = {
    "Caf&eacute; &amp; bar &#8211; &#8220;open late&#8221;": "Café & bar – “open late”",
    "Tom &amp; Jerry&#8217;s 5&nbsp;km run": "Tom & Jerry’s 5\u00a0km run",
    **{title: title for title in LEGITIMATE},
}


def h1(client, article: Article) -> str:
    return unescape(re.search(r"<h1>(.*?)</h1>", client.get(article.get_absolute_url()).text)[1])


def test_real_wordpress_titles_come_through_unchanged(tmp_path, client):
    posts = [item(n, title) for n, title in enumerate(TITLES, start=1)]
    run_import(write(tmp_path, wxr(*posts)))
    for n, expected in enumerate(TITLES.values(), start=1):
        article = Article.objects.get(imported_from__wp_id=n)
        assert article.headline == expected
        assert h1(client, article) == expected


def test_a_hostile_title_is_cleaned_on_import_and_on_a_newer_export(tmp_path, client):
    """C1 controls, the byte-order mark, direction overrides and line breaks leave the
    headline; a title with nothing visible is "Untitled"; a newer export's title is
    cleaned the same when it replaces the headline."""
    hostile = "\ufeffStorm\x85 warning\u202e for\nthe\x9b quay\u2066"
    path = write(tmp_path, wxr(item(1, hostile), item(2, "\u202e\u2067\ufeff")))
    run_import(path)
    article = Article.objects.get(imported_from__wp_id=1)
    assert article.headline == h1(client, article) == "Storm warning for the quay"
    assert Article.objects.get(imported_from__wp_id=2).headline == "Untitled"

    newer = item(1, "Calm\u202d after\tthe\x85 storm", date="2014-06-11 12:00:00")
    run_import(write(tmp_path, wxr(newer), name="newer.xml"))
    article.refresh_from_db()
    assert article.headline == "Calm after the storm"
    assert not NEVER_IN_A_NAME.search(h1(client, article))


def as_references(value: str) -> str:
    """``value`` with each C0 control written as a character reference, decimal and
    hexadecimal in turn: how a title, a name or an excerpt carries one in an export (XML
    1.0 cannot hold the raw character; WordPress keeps what a bot or a paste sent)."""
    out = []
    for n, char in enumerate(value):
        code = ord(char)
        control = 0 < code < 0x20 or code == 0x7F
        out.append((f"&#{code};" if n % 2 else f"&#x{code:X};") if control else char)
    return "".join(out)


# The hostile strings with a C0 control that an export can carry by reference: the
# terminal's colours and cursor moves of the naughty strings, the controls around words.
BY_REFERENCE = [
    value
    for value in NAUGHTY + CONTROLLED
    if re.search("[\x01-\x1f\x7f]", value) and not re.search("[\x00\ud800-\udfff<&]", value)
]


def test_a_control_given_by_reference_in_a_title_goes_as_the_raw_character_does(tmp_path):
    """A terminal's escape sequence whose ESC is an entity ("&#27;[31m") leaves the
    headline whole, as it does when the raw ESC is saved: no "[31m" is left behind. Each
    string comes the same through the import, CDATA or escaped, as saved from code."""
    posts = [
        item(n, as_references(value), plain=bool(n % 2))
        for n, value in enumerate(BY_REFERENCE, start=1)
    ]
    run_import(write(tmp_path, wxr(*posts)))
    for n, value in enumerate(BY_REFERENCE, start=1):
        saved = Article(headline=value)
        saved.tidy()
        assert Article.objects.get(imported_from__wp_id=n).headline == saved.headline, value
    headlines = set(Article.objects.values_list("headline", flat=True))
    assert "Roses are red, violets are blue. Hope you enjoy terminal hue" in headlines
    assert not any(re.search(r"\[[0-9;]*m", headline) for headline in headlines)


def test_names_and_page_titles_given_controls_by_reference_lose_the_whole_sequence(
    tmp_path, client
):
    """Categories, tags, authors' names, excerpts and pages' titles read their entities
    as headlines do; a post without a slug takes one from its headline as shown."""
    red, reset = "&#27;[31m", "&#x1b;[0m"
    post = item(
        1,
        "Filed",
        categories=(("alerts", f"{red}Alerts{reset}"),),
        tags=(("storm", f"Storm{red} watch{reset}"),),
        excerpt=f"{red}Gale{reset} warning.",
    )
    export = wxr(
        post,
        item(2, f"{red}About{reset} us", post_type="page"),
        item(3, f"{red}Red alert{reset}", slug=""),
        authors=(author("admin", f"{red}Ada{reset} Admin"),),
        terms=(category("alerts", f"{red}Alerts{reset}", f"All {red}alerts{reset}."),),
    )
    run_import(write(tmp_path, export))
    assert Section.objects.get(slug="alerts").name == "Alerts"
    assert Section.objects.get(slug="alerts").description == "All alerts."
    assert Tag.objects.get(slug="storm").name == "Storm watch"
    assert Author.objects.get().name == "Ada Admin"
    assert Article.objects.get(imported_from__wp_id=1).standfirst == "Gale warning."
    assert Article.objects.get(imported_from__wp_id=3).slug == "red-alert"
    page = StaticPage.objects.get()
    assert page.title == "About us"
    assert "<h1>About us</h1>" in client.get(page.path).text


def test_a_wordpress_site_s_page_titles_are_cleaned_as_headlines(tmp_path, client):
    """WordPress 6's export of a site with a menu, its pages' titles made hostile: the
    menu and each page show one clean line; a title with nothing visible is "Untitled"."""
    text = (DATA / "wp6-menu.xml").read_text(encoding="utf-8")
    text = text.replace(
        "<![CDATA[About us]]>", "<![CDATA[\ufeffAbout\u202e &#27;[1mus\u2066\x85]]>"
    )
    text = text.replace("<![CDATA[Contact]]>", "<![CDATA[&#27;[1m\u2067\u200d &#27;[0m]]>")
    run_import(write(tmp_path, text))
    in_footer = StaticPage.objects.filter(in_footer=True).order_by("footer_order")
    assert [page.title for page in in_footer] == ["Untitled", "About us"]
    footer = client.get("/").text.split("<footer", 1)[1]
    assert footer.index(">Untitled</a>") < footer.index(">About us</a>")
    for page in in_footer:
        assert f"<h1>{page.title}</h1>" in client.get(page.path).text


# A title that, printed raw, sets the operator's clipboard (OSC 52), clears the screen
# and turns the terminal red: an export carries the ESC and BEL by reference.
TERMINAL_ATTACK = "&#27;]52;c;Y20K&#7;&#27;[2J&#27;[31mOWNED"


def test_the_import_report_never_prints_a_terminal_escape(tmp_path):
    """What the report prints (the command's output) and writes (``--report FILE``) of an
    export's text has no escape sequence, control character or line end left in it: a
    draft's hostile title is listed as the text it shows."""
    report = tmp_path / "report.txt"
    broken = f"Line\r{TERMINAL_ATTACK}\n\u202eover"
    drafts = [item(1, TERMINAL_ATTACK, status="draft"), item(2, broken, status="draft", plain=True)]
    out = run_import(write(tmp_path, wxr(*drafts)), "--report", str(report))
    for text in (out, report.read_text()):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", text), text
        assert "“OWNED”: draft" in text and "“Line OWNED over”: draft" in text
    assert Article.objects.get(imported_from__wp_id=1).headline == "OWNED"


def test_every_line_of_the_import_report_is_cleaned_whatever_field_it_comes_from():
    summary = ImportSummary(source="\x1b]0;title\x07site.xml", version="1.2")
    summary.warnings.append("bad\rdate \x1b[2Jin post 3")
    summary.notes.append("a\tnote\x9b\u2066")
    summary.skipped["\x1b[31mred\x1b[0m items"] = 2
    assert summary.lines() == [
        "Warning: bad date in post 3",
        "Imported from site.xml (WXR 1.2):",
        "  0 articles, 0 static pages, 0 new authors, 0 new sections, 0 new tags, 0 old "
        "addresses redirected",
        "Not imported:",
        "  2 red items",
        "Notes:",
        "  a note",
    ]
