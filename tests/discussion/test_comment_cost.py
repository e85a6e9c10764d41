"""A reader's comment costs the same on a long discussion as on a short one.

After a comment, the article's counter (the comments its page shows) and its
``removed_threads`` are counted by the database from its indexes (``threads._figures``):
the discussion is read whole only where a removed or held comment has approved
replies, the one case where the page shows other than every approved comment.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from byline.discussion import threads
from byline.discussion.markup import render_body
from byline.discussion.models import Comment
from byline.discussion.threads import page_of_threads, place_of, refresh_shown
from byline.engagement.models import ArticleStats
from tests.discussion.factory import make_comment, post_comment
from tests.factory import make_article


@pytest.fixture
def published_at_once(settings):
    settings.BYLINE_SPAM_FIRST_COMMENT = "publish"
    settings.BYLINE_COMMENT_MIN_SECONDS = 0
    settings.BYLINE_COMMENT_RATE_LIMIT = 100


def discussion_of(article, size: int) -> None:
    """``size`` approved comments, each a thread of its own, stored at once."""
    now = timezone.now()
    Comment.objects.bulk_create(
        Comment(
            article=article,
            status=Comment.Status.APPROVED,
            body=f"Comment {n}.",
            body_html=render_body(f"Comment {n}."),
            author_name=f"Reader {n}",
            author_email=f"reader{n}@example.org",
            submitted_at=now,
        )
        for n in range(size)
    )
    Comment.objects.filter(article=article, thread_id__isnull=True).update(thread_id=F("pk"))


def reads_the_discussion(sql: str) -> bool:
    """A statement that brings comments' places in their threads back to the app."""
    return sql.startswith("SELECT") and '"discussion_comment"."parent_id"' in sql


def posted(client, article, body: str) -> tuple[Comment, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = post_comment(client, article, json=True, body=body)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "approved"
    return Comment.objects.get(pk=response.json()["id"]), [
        q["sql"] for q in captured.captured_queries
    ]


@pytest.mark.django_db(transaction=True)
def test_a_comment_on_a_long_discussion_costs_what_one_on_a_short_one_costs(
    client, published_at_once
):
    short, long = make_article("A quiet story"), make_article("A story everyone discusses")
    discussion_of(short, 5)
    discussion_of(long, 500)
    for article in (short, long):  # the first makes the article's counters' row
        posted(client, article, "A first thought.")
    _, on_short = posted(client, short, "A first thought on the quiet story.")
    comment, on_long = posted(client, long, "A thought among hundreds.")
    assert len(on_long) == len(on_short)
    assert not [sql for sql in on_long if reads_the_discussion(sql)]
    # ... and what readers see after it is right: the counter, and the comment in its place.
    assert ArticleStats.objects.get(article=long).comments == 502
    page = page_of_threads(long.pk, place_of(comment).removeprefix("?cpage=") or 1)
    assert page.thread_count == 502 and page.find(comment.pk) is not None


@pytest.mark.django_db(transaction=True)
def test_a_reply_on_a_long_discussion_is_counted_and_shown_in_its_thread(client, published_at_once):
    article = make_article("A story everyone discusses")
    discussion_of(article, 500)
    root = Comment.objects.filter(article=article).order_by("pk")[250]
    with CaptureQueriesContext(connection) as captured:
        response = post_comment(client, article, json=True, parent=str(root.pk))
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "approved"
    # Whether a page shows it is asked of its thread alone, not of the article's threads.
    statements = [q["sql"] for q in captured.captured_queries]
    assert not [sql for sql in statements if '"parent_id" IS NULL' in sql]
    reply = Comment.objects.get(pk=response.json()["id"])
    assert ArticleStats.objects.get(article=article).comments == 501
    page = page_of_threads(article.pk, place_of(reply).removeprefix("?cpage=") or 1)
    assert page.find(reply.pk) is not None and page.find(root.pk) is not None


def whole_read(article_ids) -> dict[int, tuple[int, int]]:
    """The figures counted the long way: every comment read (``_shown_figures``)."""
    return threads._shown_figures(article_ids)


@pytest.mark.django_db
def test_the_count_is_exact_whatever_the_discussion_holds():
    """Held and removed comments with replies: the page shows fewer comments than are
    approved, and removed threads: counted as the page shows them."""
    busy, plain = make_article("Moderated"), make_article("Untouched")
    make_comment(busy)
    held = make_comment(busy, status=Comment.Status.PENDING)
    make_comment(busy, parent=held)  # waits with the held comment: not shown
    trashed = make_comment(busy, status=Comment.Status.TRASH)
    under_placeholder = make_comment(busy, parent=trashed)  # shown, under a placeholder
    spam_reply = make_comment(busy, parent=under_placeholder, status=Comment.Status.SPAM)
    make_comment(busy, parent=spam_reply)  # shown, under a placeholder
    make_comment(busy, status=Comment.Status.SPAM)  # no replies: not in the discussion
    root = make_comment(plain)
    make_comment(plain, parent=root)
    make_comment(plain, status=Comment.Status.PENDING)

    assert refresh_shown([busy.pk, plain.pk]) == {busy.pk: 3, plain.pk: 2}
    assert whole_read([busy.pk, plain.pk]) == {busy.pk: (3, 1), plain.pk: (2, 0)}
    busy.refresh_from_db()
    plain.refresh_from_db()
    assert (busy.removed_threads, plain.removed_threads) == (1, 0)


@pytest.mark.django_db(transaction=True)
def test_a_comment_puts_a_stale_removed_threads_back_to_none(client, published_at_once):
    """A number no removed thread accounts for (a racing moderator's refresh wrote it)."""
    article = make_article("A story")
    make_comment(article)
    type(article).objects.filter(pk=article.pk).update(removed_threads=2)
    posted(client, article, "Another thought entirely.")
    article.refresh_from_db()
    assert article.removed_threads == 0
