"""Readers search without accents, as phone keyboards and habit type them: “cafe” finds
“Café”, “Zurich” finds “Zürich”, on SQLite and PostgreSQL alike; results show the
words as written, accents and all. What each engine folds beyond accents is listed in
docs/publishing.md; the cases below are the ones a test holds each engine to."""

from __future__ import annotations

import pytest
from django.db import connection

from byline.articles import search
from tests.conftest import using_postgres
from tests.factory import make_article

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    not using_postgres(), reason="PostgreSQL's unaccent folds it; SQLite's FTS5 does not"
)


def found(client, typed: str) -> list[str]:
    response = client.get("/search/", {"q": typed})
    assert response.status_code == 200
    return [hit.article.headline for hit in response.context["hits"]]


@pytest.mark.parametrize("typed", ["cafe", "zurich"])
def test_a_search_without_accents_finds_the_accented_words(client, typed):
    make_article("Café owners in Zürich meet the council", body="The café owners met.")
    page = client.get("/search/", {"q": typed}).text
    assert "1 article for" in page


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("Zürich", "ZURICH"),  # any case
        ("ZÜRICH", "zürich"),  # accents typed find capitals too
        ("naïve", "naive"),
        ("São Paulo", "sao"),  # Portuguese tilde
        ("Dvořák", "dvorak"),  # Czech háček
        ("Ångström", "angstrom"),
        ("Việt Nam", "viet"),  # Vietnamese: two marks stacked on one letter
        ("Nguyễn", "nguyen"),
        ("İstanbul", "istanbul"),  # Turkish dotted capital İ
        ("Cafe\u0301 decomposed", "cafe"),  # an accent typed as a combining mark
        ("A plain cafe", "café"),  # and the other way: accents typed, none written
        ("ΟΔΥΣΣΕΥΣ", "οδυσσευς"),  # Greek capitals' Σ, typed with a final ς
        ("Οδυσσευς", "ΟΔΥΣΣΕΥΣ"),  # and the other way
    ],
)
def test_accents_case_and_stacked_marks_are_folded_on_both_engines(client, written, typed):
    make_article(f"{written} report")
    make_article("Unrelated report")
    assert found(client, typed) == [f"{written} report"]


@postgres_only
@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("Diyarbakır", "diyarbakir"),  # Turkish dotless ı
        ("Straße", "strasse"),  # German ß
        ("STRASSE", "straße"),
        ("ﬁnance", "finance"),  # a typographic ligature
        ("Encyclopædia", "encyclopaedia"),
        ("œuvre", "oeuvre"),
        ("Łódź", "lodz"),
        ("Ørsted", "orsted"),
        ("Đà Nẵng", "da nang"),
        ("λόγος", "λογος"),  # Greek tonos
        ("Ὀδυσσεύς", "ΟΔΥΣΣΕΥΣ"),  # polytonic Greek
    ],
)
def test_letters_beyond_accents_are_folded_on_postgres(client, written, typed):
    make_article(f"{written} report")
    assert found(client, typed) == [f"{written} report"]


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("مدينة القدس", "القدس"),  # Arabic: no case, words found
        ("ירושלים העיר", "ירושלים"),  # Hebrew
        ("東京都 知事", "東京都"),  # CJK: only as a whole run between spaces or punctuation
    ],
)
def test_scripts_without_case_are_found_word_for_word(client, written, typed):
    make_article(written)
    assert found(client, typed) == [written]


def test_the_results_show_the_words_as_written_and_mark_them(client):
    make_article(
        "Café owners in Zürich meet the council",
        body="The owners of the oldest café met the mayor of Zürich on Monday.",
    )
    hit = client.get("/search/", {"q": "cafe zurich"}).context["hits"][0]
    assert "<mark>Café</mark>" in hit.headline_html
    assert "<mark>Zürich</mark>" in hit.headline_html
    assert "<mark>café</mark>" in hit.snippet_html


def test_an_accented_word_keeps_its_rank_and_phrases_and_exclusions_work(client):
    make_article("Crème brûlée wins the prize", body="Nothing else.")
    make_article("Dessert news", body="A crème brûlée was served.")
    make_article("Brulee without cream", body="Just sugar.")
    ranked = found(client, "creme OR brulee")
    assert ranked[0] == "Crème brûlée wins the prize"  # both words in the headline
    assert set(ranked[1:]) == {"Dessert news", "Brulee without cream"}
    assert found(client, '"creme brulee"') == ["Crème brûlée wins the prize", "Dessert news"]
    assert found(client, "brulee -crème") == ["Brulee without cream"]


def test_an_index_built_accent_sensitive_by_an_older_byline_is_rebuilt(client):
    """A site upgrading finds "cafe" in its old articles: the migration rebuilds the
    index an older release built, whatever the table holds."""
    make_article("Old café review")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the inserts' deferred checks, done now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if connection.vendor == "sqlite":
            search.drop_index()
            cursor.execute(
                search.SQLITE_SETUP[0].replace("remove_diacritics 2", "remove_diacritics 0")
            )
            for statement in search.SQLITE_SETUP[1:]:
                cursor.execute(statement)
            cursor.execute("INSERT INTO articles_search(articles_search) VALUES ('rebuild')")
        else:
            cursor.execute(f"ALTER TABLE articles_article DROP COLUMN {search.PG_COLUMN}")
            old = search.PG_VECTOR.replace(search.PG_CONFIG, "'english'::regconfig")
            cursor.execute(
                f"ALTER TABLE articles_article ADD COLUMN {search.PG_COLUMN} tsvector "
                f"GENERATED ALWAYS AS {old} STORED"
            )
            cursor.execute(
                f"CREATE INDEX {search.PG_COLUMN_INDEX} ON articles_article "
                f"USING gin ({search.PG_COLUMN})"
            )
    assert found(client, "cafe") == []  # the old index, as a site had it
    search.ensure_index()
    assert found(client, "cafe") == ["Old café review"]
    make_article("New café opens")
    assert set(found(client, "cafe")) == {"New café opens", "Old café review"}


@pytest.mark.skipif(not using_postgres(), reason="PostgreSQL's unaccent extension")
def test_postgres_without_unaccent_still_searches_and_gains_it_on_the_next_migrate(
    client, monkeypatch
):
    """A database user who may not create the extension: the migration still applies
    and search works, accent-sensitive; once a superuser installs unaccent, the next
    ensure_index (run after every migrate) folds accents and reindexes."""
    make_article("Café owners meet")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the inserts' deferred checks
        cursor.execute(f"DROP TEXT SEARCH CONFIGURATION {search.PG_CONFIG_NAME} CASCADE")
        cursor.execute("DROP EXTENSION unaccent")
        cursor.execute("CREATE ROLE byline_test_no_create NOLOGIN")
        cursor.execute(
            "REVOKE CREATE ON DATABASE " + connection.settings_dict["NAME"] + " FROM PUBLIC"
        )
        cursor.execute("SET LOCAL ROLE byline_test_no_create")
        assert search.unaccent_available(connection) is False  # refused, and said so
        cursor.execute("RESET ROLE")
    # The rest of the migration, as that user (who owns the tables) runs it.
    monkeypatch.setattr(search, "unaccent_available", lambda conn: False)
    search.ensure_index()
    assert found(client, "café") == ["Café owners meet"]
    assert found(client, "cafe") == []
    monkeypatch.undo()
    search.ensure_index()  # the next migrate, once a superuser installed unaccent
    assert found(client, "cafe") == ["Café owners meet"]


def test_accents_typed_as_separate_marks_find_the_word(client):
    """Text pasted from a PDF or typed on some keyboards writes “è” as “e” and a combining
    accent (Unicode NFD). A search written that way finds the same articles as one typed
    with the accented letters."""
    import unicodedata

    make_article("Crème brûlée returns to the market", body="The café sells crème brûlée.")
    typed = unicodedata.normalize("NFD", "Crème brûlée")
    assert typed != "Crème brûlée"
    assert found(client, typed) == ["Crème brûlée returns to the market"]
