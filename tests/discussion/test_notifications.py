"""E-mail: editors hear of comments waiting; opted-in commenters hear of replies."""

import re

import pytest

from byline.discussion.models import Comment
from tests.discussion.factory import make_comment, post_comment

pytestmark = pytest.mark.django_db


def test_editors_are_told_when_a_comment_waits(client, article, editor, mailoutbox):
    """A pending comment e-mails every staff user who may moderate, with the reasons."""
    editor.email = "desk@news.example"
    editor.save()
    post_comment(client, article, body="Please moderate me")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["desk@news.example"]
    assert "awaiting moderation" in message.subject
    assert "Please moderate me" in message.body
    assert "First comment under this e-mail" in message.body
    assert "/admin/discussion/comment/" in message.body


def test_moderator_addresses_can_be_configured(client, article, settings, mailoutbox):
    """BYLINE_COMMENT_MODERATOR_EMAILS overrides the staff list."""
    settings.BYLINE_COMMENT_MODERATOR_EMAILS = ["mods@news.example"]
    post_comment(client, article)
    assert mailoutbox[0].to == ["mods@news.example"]


def test_an_opted_in_commenter_hears_of_a_reply_and_can_unsubscribe(client, article, mailoutbox):
    """The reply e-mail carries a one-click unsubscribe link that works without a login."""
    original = make_comment(article, author_email="first@example.org", notify_replies=True)
    make_comment(article, author_email="ada@example.org")  # Ada is known: approved at once
    post_comment(client, article, parent=original.pk, body="I disagree, politely.")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["first@example.org"]
    assert "I disagree, politely." in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"http://testserver(/comments/unsubscribe/[^/\s]+/)", message.body).group(1)
    from django.test import Client

    response = Client().get(link)
    assert response.status_code == 200
    assert "unsubscribed" in response.content.decode()
    original.refresh_from_db()
    assert original.notify_replies is False
    one_click = Client(enforce_csrf_checks=True).post(link, {"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200  # RFC 8058: mail programs POST, with no token
    assert Client().get("/comments/unsubscribe/forged-token/").status_code == 400


def test_no_reply_e_mail_without_opt_in_or_before_approval(
    client, article, mailoutbox, editor_client
):
    """Nobody is e-mailed about a pending reply; the e-mail goes when a moderator approves it."""
    quiet = make_comment(article, author_email="quiet@example.org")
    loud = make_comment(article, author_email="loud@example.org", notify_replies=True)
    post_comment(client, article, parent=quiet.pk, body="to quiet", email="new1@example.org")
    post_comment(client, article, parent=loud.pk, body="to loud", email="new2@example.org")
    assert all(m.to != ["loud@example.org"] for m in mailoutbox)
    reply = Comment.objects.get(body="to loud")
    editor_client.post(
        "/admin/discussion/comment/",
        {"action": "approve", "_selected_action": [reply.pk], "post": "yes"},
    )
    assert [m.to for m in mailoutbox if "replied" in m.subject] == [["loud@example.org"]]
