"""At the deepest level a reply is attached to the comment one level up, but it answers
the comment the reader replied to: that comment is stored with it (``Comment.answers``)
and its author, not the author of the comment it is attached to, is the one e-mailed
("someone replied to your comment"), whichever way the reply came in (a reader's form,
a held reply approved later, an editor's reply from the queue).

The comment answered may go before anyone is told: deleted by a moderator or erased at
its author's request, the reply keeps its place and nobody is e-mailed about it (never
the author of the comment it is attached to instead). An editor's reply at the deepest
level is attached the way a reader's is, and refused the same way when the comment it
would join is held or gone.
"""

from __future__ import annotations

import pytest

from byline.discussion import actions, commenterdata
from byline.discussion.models import Comment, ModerationRecord
from tests.discussion.factory import make_comment, post_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(article, settings):
    """Two levels: Tom's comment, and Dee's reply to it at the deepest level; both asked
    to hear of replies. Ada (the reader replying) is known: published at once."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 2
    top = make_comment(article, author_email="tom@example.org", notify_replies=True)
    deepest = make_comment(article, parent=top, author_email="dee@example.org", notify_replies=True)
    make_comment(article, author_email="ada@example.org")
    return top, deepest


def told(mailoutbox) -> list[list[str]]:
    return [message.to for message in mailoutbox if "replied to your comment" in message.subject]


def test_a_reply_at_the_deepest_level_e_mails_the_author_of_the_comment_answered(
    client, article, thread, mailoutbox
):
    top, deepest = thread
    response = post_comment(client, article, json=True, parent=str(deepest.pk), body="Dee, no.")
    assert response.status_code == 201
    reply = Comment.objects.get(body="Dee, no.")
    assert (reply.parent_id, reply.answers_id, reply.depth) == (top.pk, deepest.pk, 1)
    assert told(mailoutbox) == [["dee@example.org"]]


def test_a_reply_attached_where_it_was_sent_stores_no_other_comment(
    client, article, thread, mailoutbox
):
    top, _ = thread
    post_comment(client, article, json=True, parent=str(top.pk), body="Tom, yes.")
    reply = Comment.objects.get(body="Tom, yes.")
    assert (reply.parent_id, reply.answers_id) == (top.pk, None)
    assert told(mailoutbox) == [["tom@example.org"]]


def test_a_held_reply_at_the_deepest_level_approved_later_e_mails_the_author_answered(
    client, article, thread, mailoutbox, editor
):
    _, deepest = thread
    post_comment(client, article, parent=str(deepest.pk), body="Wait for me.", email="n@e.org")
    reply = Comment.objects.get(body="Wait for me.")
    assert reply.status == Comment.Status.PENDING and not told(mailoutbox)
    actions.moderate([reply], ModerationRecord.Decision.APPROVE, editor)
    assert told(mailoutbox) == [["dee@example.org"]]


def test_a_reply_whose_comment_answered_is_deleted_before_approval_e_mails_nobody(
    client, article, thread, mailoutbox, editor
):
    top, deepest = thread
    post_comment(client, article, parent=str(deepest.pk), body="Late.", email="n@e.org")
    actions.delete_comments([deepest])
    reply = Comment.objects.get(body="Late.")
    assert (reply.parent_id, reply.answers_id) == (top.pk, None)  # keeps its place
    actions.moderate([reply], ModerationRecord.Decision.APPROVE, editor)
    assert reply.status == Comment.Status.APPROVED and not told(mailoutbox)


def test_a_reply_approved_as_read_before_its_comment_answered_was_deleted_e_mails_nobody(
    client, article, thread, mailoutbox, editor, caplog
):
    """The moderator's queue read the reply; another moderator deleted the comment it
    answers; then the first approves it: nobody is e-mailed, and nothing fails."""
    _, deepest = thread
    post_comment(client, article, parent=str(deepest.pk), body="Queued.", email="n@e.org")
    read_by_the_queue = Comment.objects.get(body="Queued.")
    actions.delete_comments([deepest])
    actions.moderate([read_by_the_queue], ModerationRecord.Decision.APPROVE, editor)
    assert Comment.objects.get(body="Queued.").status == Comment.Status.APPROVED
    assert not told(mailoutbox)
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text


def test_a_reply_whose_comment_answered_is_erased_keeps_its_place_and_e_mails_nobody(
    client, article, thread, mailoutbox, editor
):
    top, _ = thread
    post_comment(client, article, parent=str(thread[1].pk), body="Erased?", email="n@e.org")
    assert commenterdata.erase_comments("dee@example.org") == 1
    reply = Comment.objects.get(body="Erased?")
    assert (reply.parent_id, reply.answers_id) == (top.pk, None)
    actions.moderate([reply], ModerationRecord.Decision.APPROVE, editor)
    assert not told(mailoutbox)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Erased?" in page and "dee@example.org" not in page


def test_the_reader_s_data_export_says_which_comment_they_answered(
    client, article, thread, mailoutbox
):
    _, deepest = thread
    post_comment(client, article, parent=str(deepest.pk), body="Dee, no.")
    (mine,) = [
        c for c in commenterdata.export_comments("ada@example.org") if c["body"] == "Dee, no."
    ]
    assert mine["in_reply_to"] == deepest.pk


# An editor's reply from the queue: the same path ---------------------------------


def test_an_editor_s_reply_at_the_deepest_level_is_attached_as_a_reader_s_and_tells_the_author(
    article, thread, editor, mailoutbox
):
    top, deepest = thread
    reply = actions.reply_as_editor(deepest, "Thanks, Dee.", editor)
    assert (reply.parent_id, reply.answers_id, reply.depth, reply.thread_id) == (
        top.pk,
        deepest.pk,
        1,
        top.pk,
    )
    assert told(mailoutbox) == [["dee@example.org"]]


def test_an_editor_s_reply_at_the_deepest_level_under_a_held_comment_is_refused_with_their_words(
    article, thread, editor_client
):
    """The comment it would join was taken back for moderation after the queue's page
    was read: no reply waits, unseen, under it; the editor is told and keeps their words."""
    top, deepest = thread
    Comment.objects.filter(pk=top.pk).update(status=Comment.Status.PENDING)
    url = f"/admin/discussion/comment/{deepest.pk}/reply/"
    response = editor_client.post(url, {"body": "Thanks, Dee."})
    assert response.status_code == 200
    html = response.content.decode()
    assert "taken back for moderation" in html and "Thanks, Dee." in html
    assert not Comment.objects.filter(body="Thanks, Dee.").exists()


def test_an_editor_s_reply_to_a_comment_taken_back_since_the_page_was_read_is_refused(
    article, thread, editor
):
    _, deepest = thread
    page_read = Comment.objects.get(pk=deepest.pk)  # approved, as the reply page read it
    Comment.objects.filter(pk=deepest.pk).update(status=Comment.Status.SPAM)
    with pytest.raises(actions.CommentRejected):
        actions.reply_as_editor(page_read, "Thanks, Dee.", editor)
    assert not Comment.objects.filter(body="Thanks, Dee.").exists()


def test_a_thread_deleted_whole_takes_the_reply_and_the_comment_it_answered_together(
    client, article, thread
):
    """The delete updates the reply that answered a comment it deletes, and deletes it
    too: one delete, whichever is read first (and the article's, which takes them all)."""
    top, deepest = thread
    post_comment(client, article, json=True, parent=str(deepest.pk), body="Dee, no.")
    other = make_comment(article)
    make_comment(article, parent=other)
    post_comment(client, article, json=True, parent=str(deepest.pk), body="Again.")
    assert Comment.objects.exclude(answers=None).count() == 2
    assert actions.delete_comments([top]) == 1
    assert not Comment.objects.filter(thread_id=top.pk).exists()
    article.delete()
    assert not Comment.objects.exists()


def test_with_threads_off_an_editor_s_reply_follows_the_comment_it_answers(
    client, article, editor, settings, mailoutbox
):
    """One level (``BYLINE_COMMENT_MAX_DEPTH=1``): the editor answers a reader from the
    queue, and the page shows the answer right after the reader's comment, "In reply to"
    them (as a reply deeper than the site's depth is shown), not as a comment of its
    own at the end of the discussion; the reader is told."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 1
    tom = make_comment(article, author_name="Tom", author_email="t@e.org", notify_replies=True)
    make_comment(article, author_name="Uma", body="A later comment.")
    reply = actions.reply_as_editor(tom, "Thanks, Tom.", editor)
    assert (reply.parent_id, reply.answers_id, reply.thread_id) == (tom.pk, None, tom.pk)
    page = client.get(article.get_absolute_url()).content.decode()
    assert page.index("Thanks, Tom.") < page.index("A later comment.")
    assert f'In reply to <a href="#comment-{tom.pk}">Tom</a>' in page
    assert told(mailoutbox) == [["t@e.org"]]


def test_the_page_says_which_comment_a_reply_at_the_deepest_level_answers(
    client, article, settings
):
    """Replying to Dee at the deepest level attaches the reply under Tom, beside Dee:
    "In reply to Dee" above it tells readers whom it answers (the page said nothing, so
    it read as an answer to Tom). A reply whose comment went stays without the line."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 2
    tom = make_comment(article, author_name="Tom")
    dee = make_comment(article, parent=tom, author_name="Dee")
    make_comment(article, author_email="ada@example.org")  # Ada is known: published
    post_comment(client, article, json=True, parent=str(dee.pk), body="Dee, no.")
    reply = Comment.objects.get(body="Dee, no.")
    assert (reply.parent_id, reply.answers_id, reply.status) == (tom.pk, dee.pk, "approved")
    page = client.get(article.get_absolute_url()).content.decode()
    mine = page[page.index(f'id="comment-{reply.pk}"') :]
    mine = mine[: mine.index("</article>")]
    assert f'In reply to <a href="#comment-{dee.pk}">Dee</a>' in mine
    Comment.objects.filter(pk=dee.pk).delete()
    page = client.get(article.get_absolute_url()).content.decode()
    mine = page[page.index(f'id="comment-{reply.pk}"') :]
    assert "In reply to" not in mine[: mine.index("</article>")]


def test_with_threads_off_a_reply_says_which_comment_it_answers(client, article, settings):
    """One level: a reader's reply starts a comment of its own and says whom it answers."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 1
    tom = make_comment(article, author_name="Tom")
    make_comment(article, author_email="ada@example.org")
    post_comment(client, article, json=True, parent=str(tom.pk), body="Tom, yes.")
    reply = Comment.objects.get(body="Tom, yes.")
    assert (reply.parent_id, reply.answers_id) == (None, tom.pk)
    page = client.get(article.get_absolute_url()).content.decode()
    mine = page[page.index(f'id="comment-{reply.pk}"') :]
    assert f'In reply to <a href="#comment-{tom.pk}">Tom</a>' in mine[: mine.index("</article>")]


def test_the_published_reply_the_page_s_script_inserts_says_which_comment_it_answers(
    client, article, settings
):
    """The JSON answer's HTML, which the script puts on the page at once, carries the same
    "In reply to" line the page shows after a reload."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 2
    tom = make_comment(article, author_name="Tom")
    dee = make_comment(article, parent=tom, author_name="Dee")
    make_comment(article, author_email="ada@example.org")
    answer = post_comment(client, article, json=True, parent=str(dee.pk), body="Dee, no.").json()
    assert answer["status"] == "approved"
    assert f'In reply to <a href="#comment-{dee.pk}">Dee</a>' in answer["html"]
    answer = post_comment(client, article, json=True, parent=str(tom.pk), body="Tom, yes.").json()
    assert "In reply to" not in answer["html"]  # attached under Tom: the thread shows it
