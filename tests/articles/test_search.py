"""Site search: ranked, highlighted, paged, following edits; alike on SQLite and PostgreSQL."""

import pytest
from django.test import override_settings

from byline.articles.models import Article
from byline.articles.search import fts5_expression, parse_query
from tests.conftest import using_postgres
from tests.factory import make_article
from tests.htmlcheck import assert_valid_html, needs_java

pytestmark = pytest.mark.django_db

HOSTILE = [
    '"',
    '"unterminated phrase',
    "a AND",
    "NEAR(a b)",
    "*",
    "OR",
    "-",
    "headline:x",
    "^x",
    "x)",
    "((",
    "\x00",
    "'; DROP TABLE articles_article; --",
    "<script>alert(1)</script>",
    "a" * 5000,
    "🙂 ∞ ≠",
    "NOT NOT",
    "-only -negative",
]


def titles(client, query: str, **params) -> list[str]:
    response = client.get("/search/", {"q": query, **params})
    assert response.status_code == 200
    return [hit.article.headline for hit in response.context["hits"]]


def test_search_finds_words_in_headline_standfirst_and_body(client):
    make_article("Flood warning for the valley", body="Nothing else.")
    make_article("Council meeting", standfirst="Budget talks and a flood of complaints.")
    make_article("Weather", body="Rivers rose and the flood reached the bridge.")
    make_article("Unrelated", body="Nothing here.")
    assert set(titles(client, "flood")) == {
        "Flood warning for the valley",
        "Council meeting",
        "Weather",
    }


def test_a_headline_match_ranks_above_a_body_match(client):
    make_article("A quiet day", body="Much later the harbour froze over.")
    make_article("Harbour frozen solid", body="Ice everywhere.")
    assert titles(client, "harbour") == ["Harbour frozen solid", "A quiet day"]


def test_words_are_stemmed(client):
    make_article("Elections tomorrow")
    assert titles(client, "election") == ["Elections tomorrow"]


def test_matched_words_are_marked_and_everything_else_escaped(client):
    make_article("Tariffs & <trade> wars", body="Economists said tariffs <em>hurt</em> exports.")
    html = client.get("/search/", {"q": "tariffs"}).text
    assert "<mark>Tariffs</mark> &amp; &lt;trade&gt; wars" in html
    assert "said <mark>tariffs</mark> hurt exports" in html


def test_phrases_exclusions_and_or(client):
    make_article("Red apples", body="fresh red apples")
    make_article("Green apples", body="apples that are red later")
    make_article("Pears", body="ripe pears")
    assert titles(client, '"red apples"') == ["Red apples"]
    assert titles(client, "apples -green") == ["Red apples"]
    assert set(titles(client, "pears OR green")) == {"Green apples", "Pears"}


def test_unicode_and_right_to_left_text_is_found(client):
    make_article("انتخابات في العراق", body="صوت الناخبون في بغداد")
    make_article("Café culture", body="Über alles")
    assert titles(client, "بغداد") == ["انتخابات في العراق"]
    assert titles(client, "CAFÉ") == ["Café culture"]
    assert titles(client, "über") == ["Café culture"]


def test_drafts_and_scheduled_articles_are_not_found(client):
    make_article("Secret plans", status=Article.Status.DRAFT)
    from datetime import timedelta

    from django.utils import timezone

    make_article("Secret embargo", published_at=timezone.now() + timedelta(hours=2))
    make_article("Secret revealed")
    assert titles(client, "secret") == ["Secret revealed"]


def test_the_index_follows_edits_and_deletes(client):
    article = make_article("Bridge closed", body="The old bridge is closed.")
    assert titles(client, "bridge") == ["Bridge closed"]
    article.headline = "Tunnel opened"
    article.body = "The new tunnel opened today."
    article.save()
    assert titles(client, "bridge") == []
    assert titles(client, "tunnel") == ["Tunnel opened"]
    Article.objects.filter(pk=article.pk).update(standfirst="Ferries resume.")
    assert titles(client, "ferries") == ["Tunnel opened"]
    article.delete()
    assert titles(client, "tunnel") == []


def test_results_are_paginated_and_pages_keep_the_query(client):
    for n in range(5):
        make_article(f"Storm report {n}")
    with override_settings(BYLINE_SEARCH_PER_PAGE=2):
        first = client.get("/search/", {"q": "storm"})
        third = client.get("/search/", {"q": "storm", "page": 3})
    assert len(first.context["hits"]) == 2
    assert len(third.context["hits"]) == 1
    assert "5 articles for “storm”, page 1 of 3." in first.text
    assert 'href="?q=storm&amp;page=2"' in first.text


def test_no_match_says_so_and_an_empty_query_shows_the_form(client):
    make_article("Something")
    assert "No articles match “zebra”" in client.get("/search/", {"q": "zebra"}).text
    empty = client.get("/search/")
    assert empty.status_code == 200
    assert 'type="search"' in empty.text
    assert "hits" not in empty.context


@pytest.mark.skipif(
    using_postgres(), reason="SQLite only: PostgreSQL's generated column has no triggers to lose"
)
def test_the_index_is_restored_when_a_migration_rebuilt_the_article_table(client):
    """On SQLite a table rebuild drops the triggers; the post-migrate check puts them back."""
    from byline.articles.apps import _ensure_search_index
    from byline.articles.search import drop_index

    make_article("Lighthouse keeper")
    drop_index()
    _ensure_search_index(using="default")
    assert titles(client, "lighthouse") == ["Lighthouse keeper"]
    make_article("Lighthouse closed")
    assert len(titles(client, "lighthouse")) == 2


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_fail(client, query):
    """Whatever a reader types, the page answers 200 and shows no engine error (a NUL
    character, which no search can mean, is the site's own 400 page)."""
    make_article("A headline", body="Some body text.")
    response = client.get("/search/", {"q": query, "page": "x"})
    assert response.status_code == (400 if "\x00" in query else 200)
    assert "<script>alert" not in response.text


def test_queries_reach_fts5_only_as_quoted_words():
    """Operators a reader types become words inside quotes; only Byline writes syntax."""
    assert fts5_expression(parse_query('tax "big cuts" -oil')) == (
        '("tax") AND ("big cuts") NOT "oil"'
    )
    assert fts5_expression(parse_query('a" OR "b NEAR(c) col:d')) == '("a" OR "b NEAR c col d")'
    assert fts5_expression(parse_query("-only -negative")) == ""


@needs_java
def test_the_search_pages_are_valid_html(client, tmp_path):
    for n in range(3):
        make_article(f"Storm <report> {n}", body="Wind & rain all day.")
    with override_settings(BYLINE_SEARCH_PER_PAGE=2):
        pages = {
            "empty": client.get("/search/").text,
            "results": client.get("/search/", {"q": "storm"}).text,
            "none": client.get("/search/", {"q": "zebra"}).text,
        }
    assert_valid_html(pages, tmp_path)


def test_a_word_in_every_article_ranks_the_latest_matches_and_says_there_are_more(
    client, monkeypatch
):
    """A word found everywhere costs what a rare one does: only the latest MAX_RANKED
    matches are ranked, and the page says there are more than that."""
    from byline.articles import search

    monkeypatch.setattr(search, "MAX_RANKED", 3)
    for n in range(5):
        make_article(f"Council story {n}", body="The council met.")
    response = client.get("/search/", {"q": "council"})
    assert len(response.context["hits"]) == 3
    assert "More than 3 articles" in response.content.decode()
    assert {h.article.headline for h in response.context["hits"]} == {
        "Council story 0",
        "Council story 1",
        "Council story 2",
    }


def test_every_page_of_results_runs_the_same_queries_and_no_offset(client):
    """The latest matches are read once with their scores and ordered in Python; a page is a
    slice of that order, and only its rows get snippets: the last page runs the queries
    the first does, none with an OFFSET, and together the pages list every match once."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(7):
        make_article(f"Harbour story {n}", body="The harbour froze overnight." * (n + 1))
    seen, counts = [], []
    with override_settings(BYLINE_SEARCH_PER_PAGE=3):
        for page in (1, 2, 3):
            cache.clear()  # the site's navigation boxes are read on each page alike
            with CaptureQueriesContext(connection) as captured:
                seen += titles(client, "harbour", page=page)
            searched = [
                q["sql"] for q in captured.captured_queries if "articles_article" in q["sql"]
            ]
            assert not any(" OFFSET " in sql.upper() for sql in searched)
            counts.append(len(captured.captured_queries))
    assert sorted(seen) == sorted(f"Harbour story {n}" for n in range(7))
    assert counts[0] == counts[1] == counts[2]


@pytest.mark.parametrize("written", ["in order", "the latest first"])
def test_a_common_word_ranks_the_latest_matches_however_the_articles_were_written(
    client, monkeypatch, written
):
    """On SQLite a word in many articles is read from the newest ids the search index
    holds, then by date; an article written before others but published after them (a
    scheduled one, an import) is still among the latest. The same on PostgreSQL."""
    from datetime import timedelta

    from django.utils import timezone

    from byline.articles import search

    monkeypatch.setattr(search, "MAX_RANKED", 3)
    now = timezone.now()
    for n in range(12):
        minutes = 12 - n if written == "in order" else n + 1
        make_article(
            f"Council story {minutes}",
            body="The council met.",
            published_at=now - timedelta(minutes=minutes),
        )
    make_article("Council draft", body="The council met.", status="draft")
    response = client.get("/search/", {"q": "council"})
    assert "More than 3 articles" in response.content.decode()
    assert {h.article.headline for h in response.context["hits"]} == {
        "Council story 1",
        "Council story 2",
        "Council story 3",
    }
