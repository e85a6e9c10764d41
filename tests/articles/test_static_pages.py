"""Static pages (About, Contact): served at their own path, in the footer menu and the sitemap."""

import importlib
import re
from html import unescape

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from byline.articles.models import StaticPage, shows_text, title_text
from tests.articles.test_hostile_headlines import LEGITIMATE
from tests.corpora import CONTROLLED, NAUGHTY, NEVER_IN_A_NAME, XSS

pytestmark = pytest.mark.django_db

PAGE_MIGRATION = importlib.import_module("byline.articles.migrations.0017_clean_page_titles")


def test_a_published_page_is_served_at_its_path_rendered_like_an_article(client):
    StaticPage.objects.create(
        title="About us", path="about", body="We **report** the city.", status="published"
    )
    page = client.get("/about/")
    assert page.status_code == 200
    assert "<h1>About us</h1>" in page.text
    assert "We <strong>report</strong> the city." in page.text


def test_a_draft_page_is_not_served_listed_or_mapped(client):
    StaticPage.objects.create(title="Plans", path="/plans/", body="Secret plans.", in_footer=True)
    assert client.get("/plans/").status_code == 404
    assert "Plans" not in client.get("/").text
    assert "/plans/" not in client.get("/sitemap.xml").text


def test_pages_marked_for_the_footer_are_listed_there_in_their_order(client):
    StaticPage.objects.create(title="Contact", path="/contact/", status="published",
                              in_footer=True, footer_order=2)  # fmt: skip
    StaticPage.objects.create(title="About", path="/about/", status="published",
                              in_footer=True, footer_order=1)  # fmt: skip
    StaticPage.objects.create(title="Imprint", path="/imprint/", status="published")
    footer = client.get("/").text.split('<footer class="site-footer">')[1]
    assert footer.index('href="/about/"') < footer.index('href="/contact/"')
    assert "/imprint/" not in footer


def test_published_pages_are_in_the_sitemap(client):
    StaticPage.objects.create(title="About", path="/about/", status="published")
    assert "http://testserver/sitemap-pages.xml" in client.get("/sitemap.xml").text
    assert "http://testserver/about/" in client.get("/sitemap-pages.xml").text


def test_a_page_s_body_is_sanitized(client):
    StaticPage.objects.create(title="X", path="/x/", status="published",
                              body='<script>alert(1)</script><p onclick="x()">Hi</p>')  # fmt: skip
    page = client.get("/x/").text
    assert "<script>alert" not in page and "onclick" not in page


def page_form(path: str) -> dict:
    return {"title": "Contact us", "path": path, "body": "Write to us.", "status": "published",
            "in_footer": "on", "footer_order": "0"}  # fmt: skip


@pytest.mark.parametrize(
    "path",
    [
        "/feed/",  # the site's feed answers there
        "/search/",
        "/section/city/",  # a section's address, whether or not it exists yet
        "/admin/contact/",
        "https://paper.example/contact",  # another site's address pasted whole
        "/contact?lang=en",  # a browser sends "?lang=en" as the query, never the path
        "/contact#form",
        "/../contact/",
    ],
)
def test_a_page_is_refused_at_a_path_where_it_could_never_be_read(admin_client, path):
    """A page at one of the site's own addresses, or at a path no link can reach, would be
    listed in the menus and never shown: the form says why and saves nothing."""
    response = admin_client.post("/admin/articles/staticpage/add/", page_form(path))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["path"], path
    assert not StaticPage.objects.exists()


def test_a_page_at_a_free_path_is_saved_with_its_slashes(admin_client):
    response = admin_client.post("/admin/articles/staticpage/add/", page_form("company/contact"))
    assert response.status_code == 302
    assert StaticPage.objects.get().path == "/company/contact/"
    assert "Write to us." in admin_client.get("/company/contact/").text


def test_the_path_s_help_shows_it_as_the_form_fills_it_in(admin_client):
    """The path is filled in from the title without slashes ("about-us"): its help says so
    and where such a path is served; what it says is what saving does."""
    html = admin_client.get("/admin/articles/staticpage/add/").text
    help_text = re.search(
        r'<div class="help" id="id_path_helptext">\s*<div>(.*?)</div>', html, re.S
    )
    assert help_text, "the path has a help text"
    said = help_text.group(1)
    assert "about-us is served at /about-us/" in said and "company/about" in said
    assert (
        admin_client.post("/admin/articles/staticpage/add/", page_form("about-us")).status_code
        == 302
    )
    assert StaticPage.objects.get().path == "/about-us/"
    assert "Write to us." in admin_client.get("/about-us/").text


def test_control_characters_pasted_into_a_page_are_left_out(admin_client):
    """As in articles: Word's Shift+Enter (a vertical tab) is a line break in the body and
    a space in the title, never a box drawn on the page."""
    form = {**page_form("/contact/"), "title": "Contact\x0bus", "body": "Call us\x0bany day\x07."}
    assert admin_client.post("/admin/articles/staticpage/add/", form).status_code == 302
    page = StaticPage.objects.get()
    assert (page.title, page.body) == ("Contact us", "Call us\nany day.")


def test_a_page_saved_from_code_loses_control_characters_too():
    """The shell, an import or a script saving a page goes through the same cleaning."""
    page = StaticPage.objects.create(
        path="/rules/", title="House\x0brules\ufeff", body="One\x0btwo\x1b."
    )
    page.refresh_from_db()
    assert (page.title, page.body) == ("House rules", "One\ntwo.")


def shown_titles(client, page: StaticPage) -> dict[str, str]:
    """Each place a reader sees a static page's title: its <h1> and <title>, the menus."""
    html = client.get(page.path).text
    link = rf'<a href="{re.escape(page.path)}">([^<]*)</a>'
    header, footer = client.get("/").text.split('<footer class="site-footer">')
    return {
        "h1": unescape(re.search(r"<h1>(.*?)</h1>", html, re.S)[1]),
        "title": unescape(re.search(r"<title>\s*(.*?) ·", html, re.S)[1]),
        "navigation": unescape(re.search(link, header)[1]),
        "footer": unescape(re.search(link, footer)[1]),
    }


def test_every_corpus_string_saved_as_a_page_title_is_stored_as_a_headline_is():
    """Saved from the shell, a script or the WordPress import: one clean line, as an
    article's headline (no control characters, line ends, tabs, direction overrides or
    isolates, one space between words); "Untitled" when nothing visible is left."""
    for n, value in enumerate(NAUGHTY + XSS + CONTROLLED):
        page = StaticPage.objects.create(title=value[:300], path=f"/corpus-{n}/")
        stored = StaticPage.objects.get(pk=page.pk).title
        assert stored == page.title == title_text(value[:300]), value
        assert not NEVER_IN_A_NAME.search(stored), (value, stored)
        assert stored == stored.strip() and "  " not in stored, (value, stored)
        assert shows_text(stored), (value, stored)


def test_a_page_title_is_shown_as_stored_everywhere_and_legitimate_characters_stay(client):
    pasted = StaticPage.objects.create(
        title=" About\u202e us\x1b[31m\u2067\t", path="/about/", status="published",
        in_footer=True, in_header=True,
    )  # fmt: skip
    assert set(shown_titles(client, pasted).values()) == {"About us"}
    for n, title in enumerate(LEGITIMATE):
        page = StaticPage.objects.create(title=title, path=f"/kept-{n}/", status="published",
                                         in_footer=True, in_header=True)  # fmt: skip
        assert set(shown_titles(client, page).values()) == {title}


def test_a_page_title_with_nothing_visible_is_refused_in_the_admin(admin_client):
    form = {**page_form("/contact/"), "title": "\x1b[31m\u2067\u200b "}
    response = admin_client.post("/admin/articles/staticpage/add/", form)
    assert response.status_code == 200
    assert "Give a title readers can see." in response.text
    assert not StaticPage.objects.exists()


def test_the_migration_cleans_page_titles_stored_before_the_cleaning(client, monkeypatch):
    """Titles written before they were cleaned as headlines (here written straight in)
    are cleaned once by migration 0017, in batches of ids reading only the id and title;
    one with nothing visible is "Untitled"; clean rows are not written."""
    monkeypatch.setattr(PAGE_MIGRATION, "BATCH", 2)
    about = StaticPage.objects.create(title="About", path="/about/", status="published",
                                      in_footer=True, in_header=True)  # fmt: skip
    blank = StaticPage.objects.create(title="Blank", path="/blank/", status="published")
    kept = [StaticPage.objects.create(title=title, path=f"/kept-{n}/")
            for n, title in enumerate(LEGITIMATE)]  # fmt: skip
    StaticPage.objects.filter(pk=about.pk).update(title="\ufeff About\u202e  us\u2066 ")
    StaticPage.objects.filter(pk=blank.pk).update(title="\u2067\u200d")
    with CaptureQueriesContext(connection) as queries:
        PAGE_MIGRATION.clean_titles(django_apps, None)
    reads = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    titles = [sql for sql in reads if '"title"' in sql]  # not whether the site has content
    assert titles and all("LIMIT 2" in sql and "body" not in sql for sql in titles)
    assert len(writes) == 1  # the first batch: the second and the others were clean
    shown = shown_titles(client, StaticPage.objects.get(pk=about.pk))
    assert shown == dict.fromkeys(shown, "About us")
    assert StaticPage.objects.get(pk=blank.pk).title == "Untitled"
    assert [StaticPage.objects.get(pk=page.pk).title for page in kept] == LEGITIMATE
