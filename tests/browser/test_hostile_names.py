"""An editor files an article under a section, a tag and an author with hostile names,
all made in the admin, in a real browser; readers' pages, the feeds and the sitemaps
name them as plain text, run nothing, and stay valid."""

from __future__ import annotations

import json
from xml.etree import ElementTree

from byline.articles.models import Article, Author, Section, Tag
from tests.browser.conftest import expect
from tests.corpora import NEVER_IN_A_NAME, xml_addresses

# What an editor pastes: markup, quotes, a direction override, a vertical tab, an
# escape, a byte-order mark (the admin's text inputs drop line ends themselves).
SECTION = "<script>alert('section')</script> \u202eWörld\x0b & \"News\""
TAG = "'\"><img src=x onerror=alert('tag')> Ταγ\x1b[31m"
AUTHOR = "\ufeffZoë O'Brien</title><b>x</b>"
SHOWN = {
    "section": "<script>alert('section')</script> Wörld & \"News\"",
    "tag": "'\"><img src=x onerror=alert('tag')> Ταγ",
    "author": "Zoë O'Brien</title><b>x</b>",
}


def add_in_admin(page, model: str, name: str) -> None:
    page.goto(f"/admin/articles/{model}/add/")
    page.locator("#id_name").fill(name)
    page.locator("#id_name").press("End")  # the admin fills the slug from the name as typed
    page.locator("#id_name").blur()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")


def choose(page, field: str, typed: str) -> None:
    """Pick the first match in the article form's autocomplete box for ``field``."""
    page.locator(f".field-{field} .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(typed)
    option = page.locator(".select2-results__option:not(.loading-results)").first
    expect(option).not_to_have_text("Searching…")
    option.click()


def test_hostile_names_made_in_the_admin_are_plain_text_everywhere_readers_look(
    editor_page, new_page, site
):
    alerts = []
    editor_page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    add_in_admin(editor_page, "section", SECTION)
    add_in_admin(editor_page, "tag", TAG)
    add_in_admin(editor_page, "author", AUTHOR)
    section, tag, author = Section.objects.get(), Tag.objects.get(), Author.objects.get()
    assert (section.name, tag.name, author.name) == (
        SHOWN["section"],
        SHOWN["tag"],
        SHOWN["author"],
    )

    editor_page.goto("/admin/articles/article/add/")
    editor_page.locator("#id_headline").fill("Filed under hostile names")
    editor_page.locator("#id_body").fill("The harbour reopens on Monday.")
    choose(editor_page, "section", "Wörld")
    choose(editor_page, "tags", "Ταγ")
    choose(editor_page, "authors", "Zoë")
    editor_page.locator("#id_status").select_option("published")
    editor_page.get_by_role("button", name="Save", exact=True).click()
    expect(editor_page.locator(".messagelist")).to_contain_text("was added successfully")
    article = Article.objects.get()
    assert article.section == section and list(article.tags.all()) == [tag]

    reader = new_page()
    reader.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    assert reader.goto(article.get_absolute_url()).status == 200
    expect(reader.locator("h1")).to_have_text("Filed under hostile names")
    for name in SHOWN.values():
        expect(reader.get_by_text(name, exact=True).first).to_be_visible()
    assert not NEVER_IN_A_NAME.search(reader.title())
    for block in reader.locator('script[type="application/ld+json"]').all_text_contents():
        data = json.dumps(json.loads(block), ensure_ascii=False)
        assert SHOWN["section"].replace('"', '\\"') in data
    for subject, key in ((section, "section"), (tag, "tag"), (author, "author")):
        assert reader.goto(subject.get_absolute_url()).status == 200
        expect(reader.locator("h1")).to_contain_text(SHOWN[key])
        assert SHOWN[key] in reader.title() and not NEVER_IN_A_NAME.search(reader.title())
        expect(reader.get_by_role("link", name="Filed under hostile names").first).to_be_visible()
    for url in xml_addresses(section, tag, author):
        response = reader.goto(url)
        assert response.status == 200, url
        ElementTree.fromstring(response.body())  # noqa: S314 (our own output): well-formed
    feed = ElementTree.fromstring(reader.goto(f"{section.get_absolute_url()}feed/").body())  # noqa: S314
    assert feed.findtext("channel/title").startswith(SHOWN["section"] + " · ")
    categories = {element.text for element in feed.iterfind("channel/item/category")}
    assert categories == {SHOWN["section"], SHOWN["tag"]}
    assert alerts == []
