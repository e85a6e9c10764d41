"""Comment reactions are exact under concurrency, and "Most reacted" is read from an index.

PostgreSQL only: SQLite takes one writer at a time, so it cannot show the races
these tests exist to rule out (and has no EXPLAIN of PostgreSQL's kind).
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from byline.discussion import reactions, sorting
from byline.discussion.models import Comment, CommentReaction
from tests.conftest import postgres_only, run_together
from tests.discussion.factory import make_comment

CLIENTS = 32

pytestmark = postgres_only("SQLite runs one writer at a time, so reactions cannot race there")


def rows(comment: Comment) -> int:
    return CommentReaction.objects.filter(comment=comment).count()


@pytest.mark.django_db(transaction=True)
def test_concurrent_reactions_and_withdrawals_keep_the_count_exact(article):
    """32 readers react to one comment at once, each twice (a double click), then half take
    it back twice at once while the others react again: the count equals the rows."""
    comment = make_comment(article)
    keys = [reactions.reader_key(f"{n:032x}") for n in range(CLIENTS)]

    def react_twice(n: int) -> None:
        for _ in range(2):
            reactions.set_reaction(comment.pk, keys[n], True)

    run_together(react_twice, CLIENTS)
    comment.refresh_from_db()
    assert comment.reactions == CLIENTS == rows(comment)

    def half_withdraw(n: int) -> None:
        for _ in range(2):
            reactions.set_reaction(comment.pk, keys[n], n % 2 == 0)

    run_together(half_withdraw, CLIENTS)
    comment.refresh_from_db()
    assert comment.reactions == CLIENTS // 2 == rows(comment)


@pytest.mark.django_db(transaction=True)
def test_one_reader_racing_itself_counts_once(article):
    """The same reader's reaction sent by 32 connections at once: one row, a count of one."""
    comment = make_comment(article)
    key = reactions.reader_key("f" * 32)
    changed = []
    run_together(
        lambda n: changed.append(reactions.set_reaction(comment.pk, key, True)[0]), CLIENTS
    )
    comment.refresh_from_db()
    assert comment.reactions == 1 == rows(comment)
    assert changed.count(True) == 1


@pytest.mark.django_db
def test_most_reacted_roots_are_read_from_their_index(article):
    """The query "Most reacted" runs can be answered by ``comment_roots_reacted`` in its
    order: no scan of the comments, and no sort. (On a table this small the planner may
    rather sort five rows; with sorting priced out, the index that gives the order is
    the one it takes.)"""
    for n in range(5):
        root = make_comment(article, reactions=n)
        make_comment(article, parent=root)
    query = (
        Comment.objects.thread_roots(article.pk)
        .order_by("-reactions", "submitted_at", "pk")
        .values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE discussion_comment")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        plan = query.explain()
    assert "comment_roots_reacted" in plan, plan
    assert "Seq Scan on discussion_comment" not in plan and "Sort" not in plan, plan
    assert list(query) == sorting.root_ids(article.pk, sorting.REACTED)
