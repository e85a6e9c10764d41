"""Readers see approved comments under the article, threaded, oldest first, paginated."""

import re

import pytest

from byline.discussion.models import Comment
from tests.discussion.factory import make_comment

pytestmark = pytest.mark.django_db


def comment_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li id="comment-(\d+)"', html)]


def test_approved_comments_are_shown_oldest_first_with_replies_nested(client, article):
    """Top-level comments oldest first; each reply sits inside its parent's list."""
    first = make_comment(article, body="First!")
    second = make_comment(article, body="Second.")
    reply = make_comment(article, parent=first, body="A reply to the first.")
    html = client.get(article.get_absolute_url()).content.decode()
    assert comment_ids(html) == [first.pk, reply.pk, second.pk]
    first_item = html[
        html.index(f'id="comment-{first.pk}"') : html.index(f'id="comment-{second.pk}"')
    ]
    assert '<ol class="children">' in first_item
    assert f'id="comment-{reply.pk}"' in first_item


def test_pending_spam_and_trash_comments_are_not_shown(client, article):
    """Only approved comments appear; nobody sees the others on the article page."""
    shown = make_comment(article, body="Visible words")
    for status in (Comment.Status.PENDING, Comment.Status.SPAM, Comment.Status.TRASH):
        make_comment(article, status=status, body=f"Hidden {status} words")
    html = client.get(article.get_absolute_url()).content.decode()
    assert comment_ids(html) == [shown.pk]
    assert "Hidden" not in html
    assert "awaiting moderation" not in html


def test_each_comment_shows_linked_name_time_and_body_but_never_the_email(client, article):
    """The name links to the website with rel=nofollow ugc noopener; the e-mail is never shown."""
    make_comment(
        article,
        author_name="Grace",
        author_url="https://grace.example/",
        author_email="grace.secret@example.org",
        body="Hello *world*",
    )
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<a href="https://grace.example/" rel="nofollow ugc noopener">Grace</a>' in html
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+">', html)
    assert "Hello *world*" in html
    assert "grace.secret" not in html


def test_replies_nest_to_the_configured_depth_and_a_reply_to_the_deepest_joins_it(
    client, article, settings
):
    """With a depth of 3, a reply to a third-level comment becomes its sibling."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 3
    from tests.discussion.factory import post_comment

    settings.BYLINE_SPAM_FIRST_COMMENT = "publish"
    settings.BYLINE_SPAM_BACKEND = "byline.antispam.backends.DummyBackend"
    top = make_comment(article)
    second = make_comment(article, parent=top)
    third = make_comment(article, parent=second)
    post_comment(client, article, parent=third.pk, body="Deeper still")
    deeper = Comment.objects.get(body="Deeper still")
    assert deeper.parent_id == second.pk
    assert deeper.depth == third.depth == 2
    html = client.get(article.get_absolute_url()).content.decode()
    assert html.count('<ol class="children">') == 2


def test_long_discussions_are_paginated_by_top_level_thread(client, article, settings):
    """Threads stay whole on one page; the next page holds the later threads."""
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 2
    roots = [make_comment(article) for _ in range(3)]
    reply = make_comment(article, parent=roots[1])
    first_page = client.get(article.get_absolute_url()).content.decode()
    assert comment_ids(first_page) == [roots[0].pk, roots[1].pk, reply.pk]
    assert "Page 1 of 2" in first_page
    assert 'href="?cpage=2#comments" rel="next"' in first_page
    second_page = client.get(article.get_absolute_url() + "?cpage=2").content.decode()
    assert comment_ids(second_page) == [roots[2].pk]
    assert client.get(article.get_absolute_url() + "?cpage=banana").status_code == 200


def test_the_first_page_has_one_address(client, article, settings):
    """``?cpage=1`` is the first page asked for by a second address: a permanent redirect
    to the page without it (other parameters kept), so the page cache stores page 1 once;
    page 2's "Previous page" link is that one address."""
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 1
    make_comment(article)
    make_comment(article)
    url = article.get_absolute_url()
    for query, target in [
        ("?cpage=1", url),
        ("?cpage=01", url),
        ("?cpage=1&sort=newest", f"{url}?sort=newest"),
        ("?sort=top&cpage=1", f"{url}?sort=top"),
    ]:
        response = client.get(url + query)
        assert response.status_code == 301, query
        assert response["Location"] == target
    assert client.get(url + "?cpage=2").status_code == 200
    for other in ("banana", "1.0", "-1", "9" * 5000):  # answered, never stored
        assert client.get(url, {"cpage": other}).status_code == 200, other[:10]
    second = client.get(url + "?cpage=2").content.decode()
    assert f'href="{url}#comments" rel="prev"' in second
    assert "cpage=1" not in second


def test_a_comment_permalink_leads_to_its_page_and_anchor(client, article, settings):
    """/comments/<id>/ redirects to the article page that shows the comment."""
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 1
    make_comment(article)
    later = make_comment(article)
    response = client.get(later.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}?cpage=2#comment-{later.pk}"


def test_every_comment_has_a_reply_link_that_works_without_javascript(client, article):
    """?replyto=ID#respond renders the form as a reply to that comment, with Cancel reply."""
    comment = make_comment(article, author_name="Linus")
    url = article.get_absolute_url()
    html = client.get(url).content.decode()
    assert f'href="?replyto={comment.pk}#respond"' in html
    assert "Leave a Reply" in html
    assert re.search(r'id="cancel-reply"[^>]*hidden', html)
    reply_html = client.get(f"{url}?replyto={comment.pk}").content.decode()
    assert f'name="parent" value="{comment.pk}"' in reply_html
    assert "Replying to Linus" in reply_html
    assert not re.search(r'id="cancel-reply"[^>]*hidden', reply_html)
    assert f'href="{url}#respond"' in reply_html


def test_the_comment_counter_counts_approved_comments(client, article, dummy_spam, settings):
    """The counter under the headline follows approvals, not submissions."""
    from tests.discussion.factory import post_comment

    settings.BYLINE_SPAM_FIRST_COMMENT = "publish"
    make_comment(article, status=Comment.Status.PENDING)
    post_comment(client, article, body="one")
    post_comment(client, article, body="two", email="b@example.org")
    html = client.get(article.get_absolute_url()).content.decode()
    assert re.search(r'data-counter="comments"><span class="count">2</span>', html)


def test_a_pages_comments_are_loaded_as_stored_and_read_the_rest_when_asked(article):
    """A page's comments are made from their shown fields alone (``threads._load``): the
    same values a full load gives, and any other field is read when asked for, as a
    comment loaded with ``only()`` would."""
    from byline.discussion.threads import page_of_threads

    root = make_comment(article, author_url="https://example.org/ada", reactions=3)
    make_comment(article, parent=root)
    nodes = page_of_threads(article.pk).nodes
    for node in nodes:
        stored = Comment.objects.get(pk=node.comment.pk)
        assert node.comment == stored and not node.comment._state.adding
        for name in ("author_name", "author_url", "body_html", "submitted_at", "reactions"):
            assert getattr(node.comment, name) == getattr(stored, name)
        assert "author_email" in node.comment.get_deferred_fields()
        assert node.comment.author_email == stored.author_email  # read when asked for
    assert [n.comment.parent_id for n in nodes] == [None, root.pk]


def test_a_pages_comments_hold_every_shown_field_as_an_only_load_does(article):
    """Every shown field (``DISPLAY_FIELDS``) as ``.only()`` loads it: the same values,
    aware datetimes on every database, the database they were read from, and a comment
    that survives a cache's pickling equal to the one stored."""
    import pickle

    from django.utils import timezone

    from byline.discussion.models import DISPLAY_FIELDS
    from byline.discussion.threads import page_of_threads

    root = make_comment(article, edited_at=timezone.now(), reactions=2)
    make_comment(article, parent=root)
    for node in page_of_threads(article.pk).nodes:
        loaded = Comment.objects.only(*DISPLAY_FIELDS).get(pk=node.comment.pk)
        for name in ("id", *DISPLAY_FIELDS):
            assert getattr(node.comment, name) == getattr(loaded, name), name
        assert node.comment.get_deferred_fields() == loaded.get_deferred_fields()
        assert node.comment._state.db == loaded._state.db
        assert timezone.is_aware(node.comment.submitted_at)
        again = pickle.loads(pickle.dumps(node.comment))  # noqa: S301 (our own bytes)
        assert again == loaded and again.body_html == loaded.body_html
        again.refresh_from_db()
        assert again.body == loaded.body


def test_nothing_runs_when_a_comment_is_made():
    """``threads._shown_comment`` makes a page's comments without ``Model.__init__`` (nor
    ``Model.from_db``, which calls it): a ``pre_init``/``post_init`` receiver of Comment,
    or an ``__init__``/``from_db`` of its own, would be skipped for them. Whoever adds
    one makes ``_load`` load its comments with ``.only(*DISPLAY_FIELDS)`` again."""
    from django.db.models import Model
    from django.db.models.signals import post_init, pre_init

    assert not pre_init.has_listeners(Comment) and not post_init.has_listeners(Comment)
    assert Comment.__init__ is Model.__init__
    assert Comment.from_db.__func__ is Model.from_db.__func__
