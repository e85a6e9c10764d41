"""Demo discussions: realistic threads of approved comments, written in bulk."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from byline.discussion.demo import DEMO_DOMAIN, add_demo_comments
from byline.discussion.models import Comment
from byline.engagement.stats import figures_for
from byline.signals import article_changed
from tests.discussion.factory import make_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def announcements():
    """The article ids ``article_changed`` was sent for, in order."""
    sent = []

    def receiver(sender, article_id=None, **kwargs):
        sent.append(article_id)

    article_changed.connect(receiver, dispatch_uid="test-demo-announcements")
    yield sent
    article_changed.disconnect(dispatch_uid="test-demo-announcements")


def test_demo_comments_are_approved_threads_down_to_the_depth_limit(article, settings):
    """200 approved comments: threads and nested replies, to the deepest level and no deeper."""
    comments = add_demo_comments(article, count=200)
    stored = list(Comment.objects.on_article(article.pk))
    assert len(comments) == len(stored) == 200
    assert {c.status for c in stored} == {Comment.Status.APPROVED}
    depths = {c.depth for c in stored}
    assert depths == set(range(settings.BYLINE_COMMENT_MAX_DEPTH))
    roots = [c for c in stored if c.parent_id is None]
    assert 30 <= len(roots) <= 120, len(roots)  # a mix, neither all threads nor one
    by_id = {c.pk: c for c in stored}
    for comment in stored:
        if comment.parent_id is None:
            assert comment.thread_id == comment.pk and comment.depth == 0
        else:
            parent = by_id[comment.parent_id]
            assert comment.depth == parent.depth + 1
            assert comment.thread_id == parent.thread_id
            assert comment.submitted_at > parent.submitted_at
    assert len({c.body for c in stored}) > 100  # varied text, not one sentence repeated
    assert all(c.author_email.endswith(f"@{DEMO_DOMAIN}") for c in stored)


def test_demo_comments_count_and_announce_once(article, announcements):
    """The approved-comment count is right and ``article_changed`` is sent once."""
    add_demo_comments(article, count=50)
    assert figures_for(article.pk).comments == 50
    assert announcements == [article.pk]


def test_demo_comments_are_written_in_bulk(article):
    """Ten times the comments costs no more queries: one INSERT per nesting level."""
    with CaptureQueriesContext(connection) as few:
        add_demo_comments(article, count=20)
    with CaptureQueriesContext(connection) as many:
        add_demo_comments(article, count=200)
    inserts = [q for q in many.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) < 20
    assert len(many.captured_queries) <= len(few.captured_queries) + 10


def test_running_the_demo_again_replaces_its_comments_and_keeps_readers(article):
    """A second run leaves ``count`` demo comments; a reader's own comment stays."""
    own = make_comment(article, body="A reader's own comment.")
    add_demo_comments(article, count=30)
    add_demo_comments(article, count=40)
    assert Comment.objects.on_article(article.pk).count() == 41
    assert Comment.objects.filter(pk=own.pk).exists()
    assert figures_for(article.pk).comments == 41


def test_demo_comments_show_on_the_article_page(client, article, settings):
    """Every demo comment is on the page, nested, with its text escaped or sanitized."""
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 200
    settings.BYLINE_COMMENT_THREAD_FOLD = 200  # no thread folded: all of them on the page
    comments = add_demo_comments(article, count=120)
    html = client.get(article.get_absolute_url()).content.decode()
    assert html.count('class="comment depth-') == 120
    assert f'class="comment depth-{settings.BYLINE_COMMENT_MAX_DEPTH - 1}' in html
    assert comments[-1].body_html in html
    assert "<script" not in comments[-1].body_html
