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
    body = "I grew up near Tikrit, and the bridge in the third paragraph was rebuilt in 2009."
    post_comment(client, article, body=body)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["desk@news.example"]
    assert "awaiting moderation" in message.subject
    assert body in message.body
    assert "first comment" in message.body.lower()
    assert "/admin/discussion/comment/" in message.body


def test_moderator_addresses_can_be_configured(client, article, settings, mailoutbox):
    """BYLINE_COMMENT_MODERATOR_EMAILS overrides the staff list."""
    settings.BYLINE_COMMENT_MODERATOR_EMAILS = ["mods@news.example"]
    post_comment(client, article)
    assert mailoutbox[0].to == ["mods@news.example"]


def test_the_moderators_e_mailed_are_those_who_may_moderate_on_the_site(client, article):
    """One rule says who may moderate (``models.may_moderate``): active staff allowed to
    change comments, by their own permission, a group's or as superusers. Those are the
    people e-mailed about a held comment, and the ones who see a held comment's page."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    from byline.discussion import notifications
    from byline.discussion.models import may_moderate

    users = get_user_model().objects
    change = Permission.objects.get(codename="change_comment")
    desk = Group.objects.create(name="Desk")
    desk.permissions.add(change)
    kinds = {
        "chief": users.create_user("chief", "chief@x.example", is_staff=True, is_superuser=True),
        "own": users.create_user("own", "own@x.example", is_staff=True),
        "group": users.create_user("group", "group@x.example", is_staff=True),
        "left": users.create_user("left", "left@x.example", is_staff=True, is_active=False),
        "writer": users.create_user("writer", "writer@x.example", is_staff=True),
        "reader": users.create_user("reader", "reader@x.example"),
    }
    for name in ("own", "left", "reader"):
        kinds[name].user_permissions.add(change)
    kinds["group"].groups.add(desk)
    kinds["left"].groups.add(desk)
    allowed = sorted(u.email for u in users.all() if may_moderate(u))
    assert allowed == ["chief@x.example", "group@x.example", "own@x.example"]
    assert notifications.moderator_addresses() == allowed
    held = make_comment(article, status=Comment.Status.PENDING)
    for name, user in kinds.items():
        client.force_login(user)
        shown = client.get(held.get_absolute_url()).status_code == 200
        assert shown == (user.email in allowed), name


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
