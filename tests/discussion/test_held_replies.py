"""A reply under a comment held for moderation waits with it: no page shows it yet.
Its permalink never sends anyone to an anchor the page lacks: its author sees their
reply on its own page, with why it is not in the discussion yet; anyone else gets a
404 that says the comment is not shown yet and links the article's discussion; once
the held comment is approved, the permalink leads to the reply's place. A moderator
who follows it ("View on site", the reply notification) sees the reply, why readers
do not, and where to moderate it: never the 404, never a stored page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from byline.discussion import actions
from byline.discussion.models import Comment, ModerationRecord
from tests.discussion.factory import make_comment, post_comment
from tests.discussion.test_reactions import BROWSER

pytestmark = pytest.mark.django_db
NOT_SHOWN = "This comment is not shown yet"
YOURS_WAITS = "Your reply is published, but the comment it answers is awaiting moderation"


@pytest.fixture
def held_thread(client, article):
    """An approved comment the reader (``client``) replied to; a moderator then took the
    comment back into the queue (unapproved), so the reply waits with it."""
    parent = make_comment(article, body="The first word.")
    make_comment(article, author_email="ada@example.org")  # Ada is known: published at once
    post_comment(client, article, body="Ada's reply, approved.", parent=parent.pk)
    reply = Comment.objects.get(body="Ada's reply, approved.")
    assert reply.status == Comment.Status.APPROVED
    parent.status = Comment.Status.PENDING
    parent.save(update_fields=["status"])
    return parent, reply


def test_a_reader_following_the_permalink_learns_the_reply_is_not_shown_yet(article, held_thread):
    parent, reply = held_thread
    response = Client().get(reply.get_absolute_url())
    assert response.status_code == 404
    html = response.content.decode()
    assert NOT_SHOWN in html and "awaiting moderation" in html
    assert f'href="{article.get_absolute_url()}#comments"' in html
    assert "reply, approved." not in html  # nothing of the reply itself
    assert '<meta name="robots" content="noindex">' in html
    assert "private" in response["Cache-Control"]
    page = Client().get(article.get_absolute_url()).content.decode()
    assert f'id="comment-{reply.pk}"' not in page  # the anchor it would have led to


def test_the_reply_s_author_sees_it_with_why_it_is_not_in_the_discussion(
    client, article, held_thread, settings
):
    parent, reply = held_thread
    for minutes in (0, 15):  # without edits, and while the reply may still be edited
        settings.BYLINE_COMMENT_EDIT_MINUTES = minutes
        response = client.get(reply.get_absolute_url())
        assert response.status_code == 200
        html = response.content.decode()
        assert YOURS_WAITS in html and "reply, approved." in html
        assert "See it in the discussion" not in html
        assert f"#comment-{reply.pk}" not in html.replace(f'id="comment-{reply.pk}"', "")


def test_once_the_held_comment_is_approved_the_permalink_leads_to_the_reply(
    client, article, held_thread, editor
):
    parent, reply = held_thread
    actions.moderate([parent], ModerationRecord.Decision.APPROVE, editor)
    response = Client().get(reply.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#comment-{reply.pk}"
    page = Client().get(article.get_absolute_url()).content.decode()
    assert f'id="comment-{reply.pk}"' in page


def test_a_reply_waiting_two_levels_down_is_not_shown_either(article):
    """A comment held further up the thread holds every reply below it."""
    top = make_comment(article, status=Comment.Status.PENDING)
    middle = make_comment(article, parent=top)
    reply = make_comment(article, parent=middle)
    for comment in (middle, reply):
        response = Client().get(comment.get_absolute_url())
        assert response.status_code == 404 and NOT_SHOWN in response.content.decode()


def test_a_reply_under_a_removed_comment_still_leads_to_its_place(article):
    """A removed comment's approved replies stay in the thread (under "This comment was
    removed."): their permalinks lead there, unchanged."""
    removed = make_comment(article, status=Comment.Status.TRASH)
    reply = make_comment(article, parent=removed)
    response = Client().get(reply.get_absolute_url())
    assert response["Location"] == f"{article.get_absolute_url()}#comment-{reply.pk}"


def test_a_reaction_to_a_waiting_reply_comes_back_to_its_own_page(client, article, held_thread):
    """Its author's page shows its reaction button; pressing it (without JavaScript)
    lands back on that page, never on an anchor the article page lacks."""
    parent, reply = held_thread
    response = client.post(f"/comments/{reply.pk}/react/", {"reacted": "1"}, **BROWSER)
    assert response.status_code == 303
    assert response["Location"] == reply.get_absolute_url()
    assert YOURS_WAITS in client.get(response["Location"]).content.decode()


def test_a_moderator_following_the_permalink_sees_the_reply_and_where_to_moderate_it(
    editor_client, article, held_thread
):
    parent, reply = held_thread
    response = editor_client.get(reply.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert NOT_SHOWN not in html
    assert "reply, approved." in html and "is awaiting moderation" in html
    assert f'href="/admin/discussion/comment/{parent.pk}/change/"' in html
    assert f'href="/admin/discussion/comment/{reply.pk}/change/"' in html
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert Client().get(reply.get_absolute_url()).status_code == 404  # readers: unchanged


@pytest.mark.parametrize("status", ["pending", "spam", "trash"])
def test_a_moderator_sees_any_comment_no_page_shows(editor_client, article, status):
    """A held, spam or binned comment's "View on site" opens it for staff, with its state."""
    comment = make_comment(article, body="Words a reader cannot see.", status=status)
    response = editor_client.get(comment.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Words a reader cannot see." in html and "readers do not see it" in html
    assert f'href="/admin/discussion/comment/{comment.pk}/change/"' in html
    assert Client().get(comment.get_absolute_url()).status_code == 404


def test_staff_who_may_not_moderate_get_what_readers_get(article, held_thread):
    from django.contrib.auth import get_user_model

    parent, reply = held_thread
    writer = get_user_model().objects.create_user("writer", is_staff=True)
    client = Client()
    client.force_login(writer)
    response = client.get(reply.get_absolute_url())
    assert response.status_code == 404 and "reply, approved." not in response.text


def test_a_script_s_reply_that_waits_with_a_held_comment_is_answered_as_held(article):
    """The reader's page still showed the thread when a comment above the one answered
    was taken back: the answer says so, names the held comment (the page drops it) and
    where the reply is seen, instead of "published" under a parent no page shows."""
    top = make_comment(article)
    answered = make_comment(article, parent=top)
    make_comment(article, author_email="ada@example.org")  # Ada is known: published at once
    Comment.objects.filter(pk=top.pk).update(status=Comment.Status.PENDING)
    response = post_comment(Client(), article, json=True, parent=answered.pk, body="Late.")
    assert response.status_code == 201
    data = response.json()
    reply = Comment.objects.get(body="Late.")
    assert reply.status == Comment.Status.APPROVED
    assert data["status"] == "held" and data["held"] == top.pk
    assert data["url"] == reply.get_absolute_url()
    assert "taken back for moderation" in data["message"]


def test_replies_are_answered_by_the_thread_as_it_is_at_each_post(article, editor, settings):
    """Each reply's answer and the page follow the thread's state at that moment, with
    the shapes kept between the posts: published, then held once a moderator took a
    comment above back, then published again once it is approved; another thread's
    replies stay published throughout."""
    settings.BYLINE_COMMENT_RATE_LIMIT = 100
    top = make_comment(article)
    answered = make_comment(article, parent=top)
    elsewhere = make_comment(article)
    make_comment(article, author_email="ada@example.org")  # Ada is known: published at once
    reader, page = Client(), article.get_absolute_url()

    def reply(parent: Comment, body: str) -> str:
        response = post_comment(Client(), article, json=True, parent=parent.pk, body=body)
        assert response.status_code == 201
        assert Comment.objects.get(body=body).status == Comment.Status.APPROVED
        reader.get(page)  # the page drawn again, its shapes kept
        return response.json()["status"]

    def shown() -> set[int]:
        return {int(pk) for pk in re.findall(r'id="comment-(\d+)"', reader.get(page).text)}

    reader.get(page)
    assert reply(answered, "First.") == "approved"
    first = Comment.objects.get(body="First.").pk
    assert first in shown()
    actions.moderate([top], ModerationRecord.Decision.UNAPPROVE, editor)
    assert reply(answered, "Second.") == "held"
    assert reply(elsewhere, "Beside.") == "approved"
    assert {first, Comment.objects.get(body="Second.").pk}.isdisjoint(shown())
    assert Comment.objects.get(body="Beside.").pk in shown()
    actions.moderate([Comment.objects.get(pk=top.pk)], ModerationRecord.Decision.APPROVE, editor)
    assert reply(answered, "Third.") == "approved"
    assert {
        first,
        *Comment.objects.filter(body__in=["Second.", "Third."]).values_list("pk", flat=True),
    } <= shown()


def test_a_script_s_reply_in_a_shown_thread_is_answered_as_published(article):
    answered = make_comment(article)
    make_comment(article, author_email="ada@example.org")
    response = post_comment(Client(), article, json=True, parent=answered.pk, body="On time.")
    assert response.json()["status"] == "approved"


# A comment taken back, and what pages show in its place: nothing while it is held (its
# replies wait with it), the placeholder's words when a moderator removed it.
TAKEN_BACK = [
    (Comment.Status.PENDING, ""),
    (Comment.Status.TRASH, "This comment was removed."),
    (Comment.Status.SPAM, "This comment was removed."),
]


@pytest.mark.parametrize(("status", "placeholder"), TAKEN_BACK)
def test_a_script_s_reply_to_a_comment_taken_back_names_it_for_the_page(
    client, article, status, placeholder
):
    """Refused, the answer names the comment gone (``gone``) and the placeholder's words
    pages show in its place when a moderator removed it (``placeholder``; none when it
    is held: its replies wait with it), so the reader's stale page can show the same."""
    parent = make_comment(article)
    make_comment(article, parent=parent)
    Comment.objects.filter(pk=parent.pk).update(status=status)
    response = post_comment(client, article, json=True, parent=str(parent.pk))
    assert response.status_code == 400
    answer = response.json()
    assert answer["errors"]["parent"] and answer["gone"] == parent.pk
    assert answer["placeholder"] == placeholder


@pytest.mark.parametrize(("status", "placeholder"), TAKEN_BACK)
def test_a_reply_without_a_script_to_a_comment_taken_back_shows_what_pages_show(
    client, article, status, placeholder
):
    """Without a script the refused reply comes back on the form's own page, as the
    script's page has it: the reason, the words kept for a new thread, and the comment
    it answered as every page now shows it: "This comment was removed." where it was
    quoted when a moderator removed it, nothing of it when it is held (its replies wait
    with it); never its author or words."""
    parent = make_comment(article, author_name="Orla Finch", body="Words taken back")
    make_comment(article, parent=parent)
    Comment.objects.filter(pk=parent.pk).update(status=status)
    response = post_comment(client, article, parent=str(parent.pk), body="My late reply")
    assert response.status_code == 400
    html = response.content.decode()
    assert "not available any more" in html and "My late reply" in html
    assert f'name="parent" value="{parent.pk}"' not in html
    assert "Orla Finch" not in html and "Words taken back" not in html
    quoted = re.findall(r'<blockquote class="replying-to-quote">(.*?)</blockquote>', html, re.S)
    if placeholder:
        assert [re.sub(r"<[^>]+>", "", q).strip() for q in quoted] == [placeholder]
    else:
        assert quoted == []


def test_a_moderator_s_page_reads_the_thread_up_to_the_nearest_held_comment_only(
    editor_client, article, settings
):
    """It names the held comment nearest the reply: the comments above that one are not
    read (one statement a level, however deep the thread)."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 6
    chain = [make_comment(article)]
    for _ in range(3):
        chain.append(make_comment(article, parent=chain[-1]))
    *above, held = chain
    reply = make_comment(article, parent=held)
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(reply.get_absolute_url())
    assert f'href="/admin/discussion/comment/{held.pk}/change/"' in response.content.decode()
    read = [q["sql"] for q in queries if re.search(r'"discussion_comment"\."id" = \d+', q["sql"])]
    for comment in above:
        assert not [sql for sql in read if re.search(rf'"id" = {comment.pk}\b', sql)]
