"""An article page's tags, authors and notes: the ORM's own rows, read fresh for every
page, with their SQL built once a process (``byline/articles/compiled_lists.py``)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from byline.articles import compiled_lists
from byline.articles.compiled_lists import article_list
from byline.articles.views import article_context
from tests.factory import make_article, make_author, make_tag

pytestmark = pytest.mark.django_db

LISTS = {
    "tags": lambda a: a.tags.all(),
    "authors": lambda a: a.authors.all(),
    "notes": lambda a: a.notes.all(),
}


@pytest.fixture(autouse=True)
def built_anew(monkeypatch):
    """Each test builds the lists' SQL itself (another test's database kind may differ)."""
    monkeypatch.setattr(compiled_lists, "_compiled", {})


def an_article_with_lists():
    article = make_article()
    article.tags.add(make_tag("Zoning"), make_tag("Budget"), make_tag("Ice"))
    article.authors.add(make_author("Wren Adler"), make_author("Ana Bell"))
    now = timezone.now()
    article.notes.create(text="Updated with the vote.", kind="update", noted_at=now)
    article.notes.create(text="The sum was wrong.", noted_at=now - timedelta(hours=2))
    make_article().tags.add(make_tag("Other"))  # rows of another article, never shown
    return article


def fields_of(rows) -> list[dict]:
    return [{k: v for k, v in vars(row).items() if k != "_state"} for row in rows]


@pytest.mark.parametrize("name", LISTS)
def test_each_list_is_the_orms_own_rows_in_its_order(name):
    article = an_article_with_lists()
    expected = list(LISTS[name](article))
    for _ in range(2):  # built, then filled in
        listed = article_list(name, LISTS[name], article)
        assert listed == expected
        assert fields_of(listed) == fields_of(expected)  # times as aware datetimes too
    assert [str(row) for row in article_list(name, LISTS[name], article)] == [
        str(row) for row in expected
    ]


def test_the_sql_is_built_once_and_the_rows_read_for_every_page():
    article = an_article_with_lists()
    article_context(article)
    compiled = 0
    original = SQLCompiler.as_sql

    def counting(compiler, *args, **kwargs):
        nonlocal compiled
        if compiler.query.model._meta.model_name in ("tag", "author", "articlenote"):
            compiled += 1
        return original(compiler, *args, **kwargs)

    SQLCompiler.as_sql = counting  # type: ignore[method-assign]
    try:
        article.tags.add(make_tag("Harbour"))
        article.notes.create(text="One more update.", kind="update")
        context = article_context(article)
    finally:
        SQLCompiler.as_sql = original  # type: ignore[method-assign]
    assert compiled == 0
    assert [tag.name for tag in context["tags"]] == ["Budget", "Harbour", "Ice", "Zoning"]
    assert [note.text for note in context["notes"]][-1] == "One more update."
    assert [author.name for author in context["authors"]] == ["Ana Bell", "Wren Adler"]


def test_an_article_without_lists_gets_empty_ones():
    article = make_article()
    assert all(article_list(name, build, article) == [] for name, build in LISTS.items())


def test_a_query_with_another_parameter_is_left_to_the_orm(caplog):
    article = an_article_with_lists()
    only_i = lambda a: a.tags.filter(name__startswith="I")  # noqa: E731
    with caplog.at_level(logging.WARNING, logger="byline.articles"):
        assert [tag.name for tag in article_list("i-tags", only_i, article)] == ["Ice"]
        assert [tag.name for tag in article_list("i-tags", only_i, article)] == ["Ice"]
    assert len([r for r in caplog.records if "i-tags" in r.getMessage()]) == 1  # logged once
