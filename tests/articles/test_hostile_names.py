"""Section, tag and author names are one line of plain text, whichever way they are
written (the admin, the shell, a WordPress import): control characters, lone
surrogates, the byte-order mark and direction overrides never reach the database,
and every page, feed and sitemap that names them stays valid."""

from __future__ import annotations

import importlib
import json
import re
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.apps import apps as django_apps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byline.articles.models import SLUG, Author, Section, Tag
from tests.corpora import CONTROLLED, NAUGHTY, NEVER_IN_A_NAME, NEVER_IN_TEXT, XSS, xml_addresses
from tests.factory import make_article

pytestmark = pytest.mark.django_db

CORPUS = NAUGHTY + XSS + CONTROLLED
SUBJECTS = [
    (Section, "section", {"description": ""}),
    (Tag, "tag", {}),
    (Author, "author", {"bio": ""}),
]


def _store(model, values: list[str], text_field: str | None = None) -> list:
    """Each value saved as a name, cut to the field's length (and as the longer text,
    where there is one)."""
    longest = model._meta.get_field("name").max_length
    rows = []
    for n, value in enumerate(values):
        fields = {text_field: value} if text_field else {}
        rows.append(model.objects.create(name=value[:longest], slug=f"s-{n}", **fields))
    return rows


@pytest.mark.parametrize(
    ("model", "text_field"), [(Section, "description"), (Tag, None), (Author, "bio")]
)
def test_every_corpus_string_saved_from_code_is_stored_as_clean_text(model, text_field):
    """Saved from the shell or an import: the name keeps its visible text and loses the
    rest; nothing makes the database fail (PostgreSQL refuses NUL, UTF-8 refuses a lone
    surrogate); what is stored is what the object holds."""
    rows = _store(model, CORPUS, text_field)
    for value, row in zip(CORPUS, rows, strict=True):
        stored = model.objects.get(pk=row.pk)
        assert stored.name == row.name
        assert not NEVER_IN_A_NAME.search(stored.name), (value, stored.name)
        assert stored.name == stored.name.strip() and stored.name  # the slug when nothing is left
        if text_field:
            assert not NEVER_IN_TEXT.search(getattr(stored, text_field)), value


def test_a_name_keeps_its_words_around_what_is_dropped():
    section = Section.objects.create(name="\ufeffWorld\u202e news\x00\x1b[0m\r\n today ", slug="w")
    assert section.name == "World news today"  # a terminal's escape sequence goes whole
    tag = Tag.objects.create(name="Vertical\x0btab", slug="v")
    assert tag.name == "Vertical tab"
    author = Author.objects.create(name="Ada\u200f Lovelace", slug="ada", bio="One\x0bTwo\x00")
    assert author.name == "Ada\u200f Lovelace"  # a right-to-left mark sets no direction: kept
    assert author.bio == "One\nTwo"


def test_a_name_with_nothing_left_is_named_by_its_slug_when_saved_from_code():
    assert Tag.objects.create(name="\x00\x01\u202e", slug="empty").name == "empty"


def test_a_slug_an_address_cannot_carry_is_made_again_when_saved_from_code():
    """A listing's address must be buildable, or every page linking it fails."""
    assert Section.objects.create(name="A/B", slug="a/b").slug == "ab"
    assert Tag.objects.create(name="Café news", slug="Café news\x00").slug == "café-news"
    assert Author.objects.create(name="Zoë", slug="\x00\u202e").slug == "zoë"
    assert Tag.objects.create(name="\x00", slug="?#").slug == "tag"


def _admin_post(client, url_name: str, name: str, extra: dict) -> tuple[int, str]:
    data = {"name": name, "slug": "hostile", "position": "0", **extra}
    # Sent as a client's bytes: a lone surrogate goes as the bytes no UTF-8 decoder takes
    # (the test client's own encoder refuses to write them at all).
    body = urlencode({key: value.encode("utf-8", "surrogatepass") for key, value in data.items()})
    response = client.post(
        f"/admin/articles/{url_name}/add/", body, content_type="application/x-www-form-urlencoded"
    )
    return response.status_code, response.text


@pytest.mark.parametrize(("model", "url_name", "extra"), SUBJECTS)
def test_the_admin_stores_names_without_control_characters(editor_client, model, url_name, extra):
    for n, name in enumerate(["\ufeffWorld\u202e news\x1b[0m", "Vertical\x0btab\x85"]):
        data = {**extra, "slug": f"hostile-{n}"}
        response = editor_client.post(
            f"/admin/articles/{url_name}/add/", {"name": name, "position": "0", **data}
        )
        assert response.status_code == 302, response.text[:3000]
        stored = model.objects.get(slug=f"hostile-{n}")
        assert not NEVER_IN_A_NAME.search(stored.name)
    assert model.objects.get(slug="hostile-0").name == "World news"


@pytest.mark.parametrize(("model", "url_name", "extra"), SUBJECTS)
def test_the_admin_refuses_nul_and_a_name_that_shows_nothing_clearly(
    editor_client, model, url_name, extra
):
    """A NUL is a form error (PostgreSQL cannot store it), never a server error; so is a
    name of control characters and invisible marks only."""
    status, html = _admin_post(editor_client, url_name, "Foo\x00Bar", extra)
    assert status == 200 and "Null characters are not allowed." in html
    status, html = _admin_post(editor_client, url_name, "\x01\u200b\u202e\ufeff", extra)
    assert status == 200 and "Give a name readers can see." in html
    assert not model.objects.filter(slug="hostile").exists()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    name=st.one_of(st.sampled_from(CORPUS), st.text(max_size=120)), which=st.sampled_from(SUBJECTS)
)
def test_the_admin_with_any_name_is_never_a_server_error(editor_client, name, which):
    model, url_name, extra = which
    model.objects.filter(slug="hostile").delete()
    status, _ = _admin_post(editor_client, url_name, name, extra)
    assert status in (200, 302)
    for row in model.objects.filter(slug="hostile"):
        assert not NEVER_IN_A_NAME.search(row.name) and row.name


def _filed_article():
    """A published article in a hostile section, under every corpus string as a tag
    and a few as authors."""
    section = Section.objects.create(
        name="\u202eNews\x0b</title><script>alert(1)</script>", slug="news"
    )
    tags = _store(Tag, CORPUS)
    authors = _store(Author, CORPUS[:40] + CONTROLLED, "bio")
    return (
        make_article("Filed", section=section, tags=tags, authors=authors),
        section,
        tags,
        authors,
    )


def test_pages_feeds_and_sitemaps_naming_hostile_subjects_stay_valid(client):
    article, section, tags, authors = _filed_article()
    html = client.get(article.get_absolute_url()).text
    assert "<script>alert(1)</script>" not in html
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert not NEVER_IN_A_NAME.search(title)
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
        data = json.loads(block)
        assert not NEVER_IN_A_NAME.search(json.dumps(data, ensure_ascii=False))
    for subject in [section, tags[0], tags[-1], authors[0], authors[-1]]:
        page = client.get(subject.get_absolute_url())
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text
    for url in xml_addresses(section, tags[-1], authors[-1]):
        response = client.get(url)
        assert response.status_code == 200, url
        ElementTree.fromstring(response.content)  # noqa: S314 (our own output): well-formed
    assert SLUG.fullmatch(section.slug)


def test_the_migration_cleans_names_and_slugs_stored_before_the_cleaning():
    """Rows written before names were cleaned on save (here written straight in) are
    cleaned once by migration 0012; a slug no address can carry is made again, and
    numbered when that slug is taken."""
    clean_names = importlib.import_module(
        "byline.articles.migrations.0012_clean_subject_names"
    ).clean_names
    taken = Tag.objects.create(name="A B", slug="ab")
    tag = Tag.objects.create(name="placeholder", slug="placeholder")
    section = Section.objects.create(name="placeholder", slug="section")
    author = Author.objects.create(name="Ada", slug="ada")
    Tag.objects.filter(pk=tag.pk).update(name="A\x0bB\u202e\ufeff", slug="a/b")
    Section.objects.filter(pk=section.pk).update(name="\x1b\u202e", description="One\x0bTwo\x07")
    clean_names(django_apps, None)
    tag.refresh_from_db(), section.refresh_from_db(), author.refresh_from_db()
    assert (tag.name, tag.slug) == ("A B", "ab-2")
    assert (section.name, section.slug, section.description) == ("section", "section", "One\nTwo")
    assert (author.name, author.slug) == ("Ada", "ada")
    assert Tag.objects.get(pk=taken.pk).slug == "ab"
