"""The article page runs the same number of SQL queries whatever the number of comments.

With reactions and ratings on the article too, as on the benchmark's page.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from byline.discussion import shapes
from byline.discussion.actions import moderate
from byline.discussion.demo import add_demo_comments
from byline.discussion.models import Comment, ModerationRecord
from byline.engagement.demo import add_demo_votes
from tests.discussion.factory import make_comment

pytestmark = pytest.mark.django_db


def add_threaded_comments(article, count: int) -> None:
    """``count`` approved comments: threads of a root and replies nested up to depth 4."""
    made = 0
    while made < count:
        parent = make_comment(article)
        made += 1
        for _ in range(min(4, count - made)):
            parent = make_comment(article, parent=parent)
            made += 1


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def cold_and_warm(client, article, url: str) -> tuple[int, int]:
    """The queries of a render after the article's comments changed (its thread shapes
    forgotten, ``shapes``), then of the next one (the shapes kept)."""
    shapes.forget(Comment, article_id=article.pk)
    return queries_for(client, url), queries_for(client, url)


def test_article_page_queries_do_not_grow_with_comments(client, article, settings):
    """0, 10 and 300 comments: the same number of queries (all 300 on one page), right
    after a change of the comments and on the next render; with no thread there is no
    shape to read, so the first is one query fewer."""
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 100
    url = article.get_absolute_url()
    client.get(url)  # warm what the site caches for every page (its navigation)
    cold, warm = {}, {}
    cold[0], warm[0] = cold_and_warm(client, article, url)
    add_threaded_comments(article, 10)
    cold[10], warm[10] = cold_and_warm(client, article, url)
    add_threaded_comments(article, 290)
    html = client.get(url).content.decode()
    assert html.count('class="comment depth-') == 300
    cold[300], warm[300] = cold_and_warm(client, article, url)
    assert cold[10] == cold[300] == cold[0] + 1, cold
    assert warm[0] == warm[10] == warm[300] == cold[0], warm


def test_article_page_queries_with_votes_do_not_grow_with_comments(client, article, settings):
    """With reactions and ratings: 0, 10 and 200 threaded comments, the same queries.

    And no more than the same page without any votes: the engagement block
    reads its totals, never the vote rows.
    """
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 200
    settings.BYLINE_COMMENT_THREAD_FOLD = 200  # every comment on the page
    url = article.get_absolute_url()
    client.get(url)  # warm what the site caches for every page (its navigation)
    without_votes = queries_for(client, url)
    added = add_demo_votes(article, readers=200)
    client.get(url)
    counts = {}
    for count in (0, 10, 200):
        add_demo_comments(article, count=count)
        html = client.get(url).content.decode()
        assert html.count('class="comment depth-') == count
        assert f'data-field="rating-count">{added["ratings"]}</span>' in html
        counts[count] = queries_for(client, url)
    assert counts[0] == counts[10] == counts[200] == without_votes, (without_votes, counts)


def roots_read(captured) -> list[str]:
    """The queries that read the article's top-level comments."""
    return [q["sql"] for q in captured.captured_queries if '"parent_id" IS NULL' in q["sql"]]


def test_only_an_article_with_a_removed_thread_looks_for_one(
    client, article, django_capture_on_commit_callbacks
):
    """The removed comments that head a thread (each shown as a placeholder over its
    approved replies) are read with the approved top-level comments, in the same query
    (which then asks, for each removed one, whether an approved reply is under it).
    Almost no article has one: the article keeps how many it has, so the others' pages
    read the approved ones alone; the number of queries is the same."""
    url = article.get_absolute_url()

    def settled() -> int:
        """The page's queries of the comments (what else it reads, its navigation, is
        cached or not depending on what a decision cleared), its threads' shape read."""
        shapes.forget(Comment, article_id=article.pk)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return sum('FROM "discussion_comment"' in q["sql"] for q in captured.captured_queries)

    root = make_comment(article)
    make_comment(article, parent=root)
    without = settled()
    with django_capture_on_commit_callbacks(execute=True):
        moderate([root], ModerationRecord.Decision.TRASH, None)
    article.refresh_from_db()
    assert article.removed_threads == 1
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).content.decode()
    assert "This comment was removed." in html
    assert any("EXISTS" in q for q in roots_read(captured))
    assert settled() == without
    with django_capture_on_commit_callbacks(execute=True):
        moderate([root], ModerationRecord.Decision.APPROVE, None)
    article.refresh_from_db()
    assert article.removed_threads == 0
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    assert roots_read(captured) and not any("EXISTS" in q for q in roots_read(captured))
    assert settled() == without
