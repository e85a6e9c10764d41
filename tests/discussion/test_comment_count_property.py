"""The counter a comment writes, counted from the indexes (``threads._figures``), is what
reading the whole discussion gives (``threads._shown_figures``): for every discussion.

Random discussions on two articles: threads of any depth (imported ones deeper than the
site allows), each comment approved, held, spam or trash, rows without a thread or in
another thread (written around the site's write paths), articles counted a few at a
statement. Whatever the shape, the counts and removed threads are
the whole read's, and an article counted from the indexes alone (not flagged for the
whole read) is one whose page shows every approved comment and no removed thread.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byline.articles.models import Article
from byline.db import PRIMARY
from byline.discussion import threads
from byline.discussion.models import Comment
from tests.factory import make_article

pytestmark = pytest.mark.django_db

STATUSES = st.sampled_from(
    [Comment.Status.APPROVED] * 3
    + [Comment.Status.PENDING, Comment.Status.SPAM, Comment.Status.TRASH]
)


@st.composite
def discussions(draw) -> list[tuple[int | None, int, str, int | None]]:
    """(parent's index or None, article 0 or 1 for a top-level one, status, thread) for
    each comment, parents before their replies. The thread: -1 its parent's (as the site
    writes it), None none, else the index of a comment whose thread id it takes."""
    size = draw(st.integers(min_value=0, max_value=24))
    comments: list[tuple[int | None, int, str, int | None]] = []
    for n in range(size):
        # Mostly replies to a recent comment: deep chains, as long threads grow.
        recent = st.integers(min_value=max(0, n - 4), max_value=n - 1)
        parent = draw(st.none() | recent) if n else None
        article, status = draw(st.integers(0, 1)), draw(STATUSES)
        thread: int | None = -1
        if parent is not None and draw(st.integers(0, 9)) == 0:
            thread = draw(st.none() | st.integers(min_value=0, max_value=n - 1))
        comments.append((parent, article, status, thread))
    return comments


def store(articles: list[Article], shape) -> None:
    now = timezone.now()
    rows: list[Comment] = []
    for n, (parent, which, status, thread) in enumerate(shape):
        above = rows[parent] if parent is not None else None
        thread_id = above.thread_id if above and thread == -1 else None
        if thread is not None and thread >= 0 and rows[thread].article == above.article:
            thread_id = rows[thread].thread_id  # another thread of its article's
        comment = Comment.objects.create(
            article=above.article if above else articles[which],
            parent=above,
            depth=above.depth + 1 if above else 0,
            thread_id=thread_id,
            status=status,
            body=f"Comment {n}.",
            author_name=f"Reader {n}",
            author_email=f"reader{n}@example.org",
            submitted_at=now - timedelta(minutes=100 - n),
        )
        if above is None:
            comment.thread_id = comment.pk
            Comment.objects.filter(pk=comment.pk).update(thread_id=comment.pk)
        rows.append(comment)


@pytest.fixture
def two_articles(monkeypatch) -> list[Article]:
    monkeypatch.setattr(threads, "FIGURES_AT_ONCE", 1)  # one article a statement
    return [make_article("A busy story"), make_article("A quiet story")]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shape=discussions())
def test_the_counter_is_the_whole_reads_for_every_discussion(two_articles, shape):
    ids = [article.pk for article in two_articles]
    with transaction.atomic():
        store(two_articles, shape)
        whole = threads._shown_figures(ids)
        assert threads._figures(ids) == whole
        # An article the database alone counts is one whose page shows every approved
        # comment, under no removed thread.
        flagged = {row[0] for row in threads._execute(threads.FIGURES_SQL, ids) if row[2]}
        approved = {
            pk: Comment.objects.filter(article_id=pk, status=Comment.Status.APPROVED).count()
            for pk in ids
        }
        for pk in set(ids) - flagged:
            assert whole[pk] == (approved[pk], 0)
        # What a comment's write path stores: the counters and removed_threads.
        assert threads.refresh_shown(ids) == {pk: figures[0] for pk, figures in whole.items()}
        stored = dict(Article.objects.filter(pk__in=ids).values_list("pk", "removed_threads"))
        assert stored == {pk: figures[1] for pk, figures in whole.items()}
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_counters_read_is_one_sql_for_any_number_of_articles():
    """The ids go in one parameter each time the SQL names them (``db.AnyOf``'s way), so
    the statement is the same text for one article or hundreds: compiled once by SQLite,
    planned once on PostgreSQL when prepared."""
    sent = []

    def spy(execute, sql, params, many, context):
        sent.append((sql, len(params)))
        return execute(sql, params, many, context)

    with connections[PRIMARY].execute_wrapper(spy):
        threads._figures([1])
        threads._figures(range(1, 300))
    assert len(sent) == 2
    assert sent[0] == sent[1]
    assert sent[0][1] == threads.FIGURES_SQL.count("{among}") == 2
