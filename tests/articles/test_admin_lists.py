"""The admin's article list at newsroom scale: a comment count a row, never a count of comments.

The list shows each article's approved comments from the engagement app's
running total (one row an article, joined to the page's query), so neither
a query per row nor a count over a million comments; and no second count of
every article beside the filtered one.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from byline.engagement.models import ArticleStats
from tests.factory import make_article

pytestmark = pytest.mark.django_db


def queries_of(editor_client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = editor_client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_the_article_list_shows_comment_counts_in_queries_that_do_not_grow(editor_client):
    talked_about = make_article("Talked about")
    make_article("Quiet")
    ArticleStats.objects.create(article=talked_about, comments=1234)
    html = editor_client.get("/admin/articles/article/").text
    row = html[html.index("Talked about") :]
    assert re.search(r'class="field-comment_count">1234<', row[: row.index("</tr>")])
    few = queries_of(editor_client, "/admin/articles/article/")
    for n in range(8):
        make_article(f"More {n}")
    many = queries_of(editor_client, "/admin/articles/article/?status__exact=published")
    assert len(many) == len(few)
    assert not any("discussion_comment" in sql for sql in many)
    # One count, of the filtered list: not another of every article beside it.
    assert sum("COUNT(" in sql.upper() for sql in many) == 1


def test_the_article_list_sorts_by_comments(editor_client):
    quiet, talked_about = make_article("Quiet"), make_article("Talked about")
    ArticleStats.objects.create(article=talked_about, comments=3)
    ArticleStats.objects.create(article=quiet, comments=1)
    column = 4  # comment_count in list_display, after the checkbox column (0)
    html = editor_client.get(f"/admin/articles/article/?o=-{column}").text
    assert html.index("Talked about") < html.index("Quiet")
    html = editor_client.get(f"/admin/articles/article/?o={column}").text
    assert html.index("Quiet") < html.index("Talked about")


def test_long_lists_are_counted_no_further_than_the_cap(editor_client, monkeypatch):
    """Counting a million comments reads them all on every page of the list: the articles
    and comments lists count up to ``COUNT_CAP`` and say "More than" past it."""
    from byline import adminpaging
    from tests.discussion.factory import make_comment

    monkeypatch.setattr(adminpaging, "COUNT_CAP", 2)
    article = make_article("Busy")
    for _ in range(2):
        make_article()
    for _ in range(3):
        make_comment(article)
    for url, label in (
        ("/admin/articles/article/", "More than 2 articles"),
        ("/admin/discussion/comment/", "More than 2 comments"),
    ):
        html = editor_client.get(url).text
        assert label in html, url
        for sql in queries_of(editor_client, url):
            counted = "discussion_comment" in sql or "articles_article" in sql
            if counted and "COUNT(" in sql.upper():
                assert "LIMIT" in sql.upper(), sql  # never a count of every row
    # Under the cap the count is exact.
    monkeypatch.setattr(adminpaging, "COUNT_CAP", 100)
    assert "3 articles" in editor_client.get("/admin/articles/article/").text


def test_the_article_list_shows_what_an_editor_scans_for(editor_client, settings):
    """Each row: the headline with its section and byline under it, where it stands
    (featured or not), when readers see it in the newsroom's time (the zone named, as
    every time in the admin), and the comments."""
    from datetime import UTC, datetime

    from tests.factory import make_author, make_section

    settings.TIME_ZONE = "Europe/Berlin"
    make_article(
        "Lantern moths counted",
        section=make_section("Science"),
        authors=[make_author("Idris Vane"), make_author("Nell Harrow")],
        featured=True,
        published_at=datetime(2026, 12, 4, 20, 45, tzinfo=UTC),
    )
    html = editor_client.get("/admin/articles/article/").text
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', html)
    assert headers == ["article", "shown_status", "published", "comment_count"]
    assert '<span class="filed">Science · Idris Vane, Nell Harrow</span>' in html
    assert 'Published<span class="filed">Featured</span>' in html
    assert "2026-12-04 21:45 CET" in html
