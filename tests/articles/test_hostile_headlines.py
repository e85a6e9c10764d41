"""A headline is one line of plain text, stored cleaned whichever way it is written (the
admin, the shell, a WordPress import; rows stored before, by migration 0016), so every
place that shows it — the page's <h1> and <title>, its link preview, JSON-LD, teasers on
listings, share links, feeds — shows the same text; legitimate characters (emoji
sequences and their zero-width joiners, right-to-left text and its marks) stay."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from byline.articles.models import Article, name_text, shows_text
from tests.articles.test_admin import NO_NOTES
from tests.articles.test_seo import json_ld, meta
from tests.corpora import CONTROLLED, NAUGHTY, NEVER_IN_A_NAME, XSS
from tests.factory import make_article, make_filed_article, store_as_is

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("byline.articles.migrations.0016_clean_headlines")
# Headlines a newsroom writes that look odd to a cleaner and must stay as they are.
LEGITIMATE = [
    "Family of four 👩\u200d👩\u200d👧\u200d👦 rescued from the quay",  # ZWJ sequence
    "Pride march 🏳️\u200d🌈 fills the square",  # flag: variation selector and ZWJ
    "England 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f win on penalties",
    "שלום עולם\u200f: the mayor's greeting",  # Hebrew with a right-to-left mark
    "مرحبا بالعالم\u061c 2026",  # Arabic with the Arabic letter mark
    "می\u200cخواهم: Tehran's new library",  # Persian's zero-width non-joiner
    "Prix\u202f: la mairie répond\u00a0!",  # French narrow no-break and no-break spaces
]


def shown_headlines(client, article: Article) -> dict[str, str]:
    """Each place a reader (or a reader's app) sees the headline of ``article``."""
    html = client.get(article.get_absolute_url()).text
    share = re.search(r'href="(https://x\.com/intent/post\?[^"]*)"', html)[1]
    front = client.get("/").text
    section = client.get(article.section.get_absolute_url()).text
    teaser = rf'<a href="{re.escape(article.get_absolute_url())}">([^<]*)</a>'
    return {
        "h1": unescape(re.search(r"<h1>(.*?)</h1>", html, re.S)[1]),
        "title": unescape(re.search(r"<title>\s*(.*?) ·", html, re.S)[1]),
        "og:title": unescape(meta(html, "og:title")[0]),
        "JSON-LD": json_ld(html)["headline"],
        "share link": parse_qs(urlsplit(unescape(share)).query)["text"][0],
        "front page teaser": unescape(re.search(teaser, front)[1]),
        "section teaser": unescape(re.search(teaser, section)[1]),
        "feed": feedparser.parse(client.get("/feed/").content).entries[0].title,
    }


def test_every_corpus_string_saved_as_a_headline_is_stored_as_one_clean_line():
    """Saved from the shell or an import: the headline keeps its visible text and loses
    control characters, line ends, tabs and direction overrides; one with nothing
    visible left is "Untitled", never blank; nothing makes the database fail; what is
    stored is what the object holds."""
    for n, value in enumerate(NAUGHTY + XSS + CONTROLLED):
        value = value[:300] or "Empty"
        article = make_article(value, slug=f"corpus-{n}")
        stored = Article.objects.get(pk=article.pk).headline
        assert stored == article.headline, value
        assert not NEVER_IN_A_NAME.search(stored), (value, stored)
        assert stored == stored.strip() and "  " not in stored, (value, stored)
        assert shows_text(stored), (value, stored)
        if not shows_text(name_text(value)):
            assert stored == "Untitled", value


def test_a_headline_with_nothing_visible_saved_from_code_is_untitled(client):
    """The shell, a script or an import saving a headline that shows nothing (the form
    and autosave refuse it): the page's <h1> and every title say "Untitled"."""
    article = make_filed_article(
        "\x1b[31m\u2067\u200b\ufeff \x1b[0m", published_at=timezone.now() - timedelta(hours=1)
    )
    assert Article.objects.get(pk=article.pk).headline == "Untitled"
    shown = shown_headlines(client, article)
    assert shown == dict.fromkeys(shown, "Untitled")


@pytest.mark.parametrize("headline", LEGITIMATE)
def test_legitimate_characters_in_a_headline_are_kept_everywhere_it_is_shown(client, headline):
    article = make_filed_article(headline, published_at=timezone.now() - timedelta(hours=1))
    assert Article.objects.get(pk=article.pk).headline == headline
    assert set(shown_headlines(client, article).values()) == {headline}


def test_an_editor_s_pasted_headline_is_stored_as_every_page_shows_it(editor_client, client):
    """Pasted from a terminal or a word processor into the admin: stored cleaned, and the
    <h1>, teasers and share links show what the titles and feeds show."""
    article = make_filed_article("Storm", published_at=timezone.now() - timedelta(hours=1))
    response = editor_client.post(
        f"/admin/articles/article/{article.pk}/change/",
        {
            "headline": "Storm\x0bwarning \x1b[31m for the\u202e quay\x1b[0m\t",
            "slug": article.slug,
            "standfirst": "",
            "body": article.body,
            "status": "published",
            "published_at_0": timezone.localtime(article.published_at).strftime("%Y-%m-%d"),
            "published_at_1": timezone.localtime(article.published_at).strftime("%H:%M:%S"),
            "section": article.section.pk,
            "authors": [a.pk for a in article.authors.all()],
            "comment_state": "default",
            "loaded_version": article.version,
            **NO_NOTES,
        },
    )
    assert response.status_code == 302, response.text[:3000]
    article.refresh_from_db()
    assert article.headline == "Storm warning for the quay"
    shown = shown_headlines(client, article)
    assert shown == dict.fromkeys(shown, "Storm warning for the quay")


def test_a_headline_with_nothing_visible_is_refused_in_the_admin(editor_client):
    response = editor_client.post(
        "/admin/articles/article/add/",
        {
            "headline": "\x1b[31m\u202e\u200d",
            "slug": "nothing-visible",
            "body": "Words.",
            "status": "draft",
            "comment_state": "default",
            **NO_NOTES,
        },
    )
    assert response.status_code == 200
    assert "Give a headline readers can see." in response.text
    assert not Article.objects.filter(slug="nothing-visible").exists()


def test_the_migration_cleans_headlines_stored_before_the_cleaning(client):
    """Rows written before headlines were cleaned on save (here written straight in) are
    cleaned once by migration 0016: the <h1>, teasers and share links then read as the
    titles and feeds do. One with nothing visible left takes its slug; clean rows and
    legitimate characters are left as they are."""
    hour_ago = timezone.now() - timedelta(hours=1)
    article = make_filed_article("Storm", published_at=hour_ago)
    store_as_is(article, headline="Storm\x0bwarning \x1b[31m for\u202e the quay\x1b[0m ")
    blank = make_article("Blank", slug="blank-story", published_at=hour_ago - timedelta(hours=1))
    store_as_is(blank, headline="\x1b[31m\u2067")
    earlier = hour_ago - timedelta(hours=1)
    kept = [make_article(headline, published_at=earlier) for headline in LEGITIMATE]
    MIGRATION.clean_headlines(django_apps, None)
    shown = shown_headlines(client, article)
    assert shown == dict.fromkeys(shown, "Storm warning for the quay")
    assert Article.objects.get(pk=blank.pk).headline == "blank-story"
    assert [Article.objects.get(pk=a.pk).headline for a in kept] == LEGITIMATE


def test_the_migration_reads_and_writes_in_batches(monkeypatch):
    """A large site's articles are never read at once: each read is one batch of ids
    (LIMIT), only the id, headline and slug; only rows that change are written."""
    monkeypatch.setattr(MIGRATION, "BATCH", 2)
    dirty = [make_article(f"Story {n}") for n in range(5)]
    for article in dirty[:4]:
        store_as_is(article, headline=f"{article.headline}\x1b[1m")
    with CaptureQueriesContext(connection) as queries:
        MIGRATION.clean_headlines(django_apps, None)
    reads = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(reads) == 4  # 2 + 2 + 1 rows, then none
    assert all("LIMIT 2" in sql and "body" not in sql for sql in reads)
    assert len(writes) == 2  # the batches with a changed row; the last had none
    assert [Article.objects.get(pk=a.pk).headline for a in dirty] == [
        f"Story {n}" for n in range(5)
    ]
