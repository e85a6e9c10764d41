"""E-mail goes through Django's e-mail backend once the change that caused it is
committed: nothing is sent for a change that was rolled back, a broken mail
server never fails or changes a reader's answer, and with the background backend
(the default) a slow one never delays it.

Django's locmem backend shows what is sent and when; a real SMTP server
(aiosmtpd on 127.0.0.1) that can hold a message before accepting it, as a busy
mail server does, shows the conversation.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import transaction

from byline.discussion import mailbackend, notifications
from byline.discussion.models import Comment
from tests.discussion.factory import make_comment, post_comment

pytestmark = pytest.mark.django_db(transaction=True)  # commits, as in production

BACKGROUND = "byline.discussion.mailbackend.BackgroundBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


class HeldMailbox:
    """An aiosmtpd handler that takes each message only once ``release`` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 20)
        self.messages.append(envelope.content.decode())
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    mailbox = HeldMailbox()
    server = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    server.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 10
    settings.EMAIL_DELIVERY_BACKEND = SMTP
    yield mailbox
    mailbox.release.set()
    mailbackend.wait_for_queued_mail()
    server.stop()


@pytest.fixture
def no_mail_server(settings):
    """Django's SMTP backend pointed at a port nobody listens on."""
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    settings.EMAIL_DELIVERY_BACKEND = SMTP


@pytest.fixture
def desk(editor):
    editor.email = "desk@news.example"
    editor.save()
    return editor


def test_a_reader_is_answered_while_the_mail_server_is_still_busy(
    client, article, desk, smtp, settings
):
    """With the background backend (the default) the answer does not wait for the
    mail server; the e-mail arrives once the server takes it."""
    settings.EMAIL_BACKEND = BACKGROUND
    body = "The bridge in the third paragraph was rebuilt in 2009."
    response = post_comment(client, article, body=body)
    assert response.status_code == 302
    assert Comment.objects.get().status == Comment.Status.PENDING
    assert smtp.messages == []  # the mail server has not taken it yet
    smtp.release.set()
    mailbackend.wait_for_queued_mail()
    (message,) = smtp.messages
    assert "To: desk@news.example" in message
    assert body in message


def test_without_the_background_the_mail_goes_in_the_request(client, article, desk, smtp, settings):
    """BYLINE_EMAIL_IN_BACKGROUND=0: Django's SMTP backend itself, after the commit."""
    settings.EMAIL_BACKEND = SMTP
    smtp.release.set()
    response = post_comment(client, article, body="Sent before the answer.")
    assert response.status_code == 302
    (message,) = smtp.messages
    assert "Sent before the answer." in message


@pytest.mark.parametrize("backend", [BACKGROUND, SMTP])
def test_a_mail_server_that_is_down_changes_no_answer(
    client, article, desk, no_mail_server, settings, caplog, backend
):
    """Whether the e-mail goes in the background or in the request, a refused
    connection is logged; the comment is stored and the reader's answer is the same."""
    settings.EMAIL_BACKEND = backend
    with caplog.at_level(logging.ERROR, logger="byline.discussion"):
        response = post_comment(client, article, body="Still here after the mail failed.")
        mailbackend.wait_for_queued_mail()
    assert response.status_code == 302
    assert response["Location"] == Comment.objects.get().get_absolute_url()
    assert Comment.objects.get().body == "Still here after the mail failed."
    assert "Could not send the e-mail" in caplog.text


def test_nothing_is_sent_for_a_change_that_was_rolled_back(article, desk, settings):
    settings.EMAIL_BACKEND = LOCMEM
    mail.outbox = []
    comment = make_comment(article, status=Comment.Status.PENDING)
    with pytest.raises(RuntimeError), transaction.atomic():
        notifications.notify_moderators(comment)
        raise RuntimeError("the moderation step failed")
    assert mail.outbox == []
    notifications.notify_moderators(comment)  # outside a transaction: goes at once
    assert [m.to for m in mail.outbox] == [["desk@news.example"]]


def test_mail_waits_for_the_commit(article, desk, settings):
    """Inside a transaction the e-mail is handed to the backend when it commits."""
    settings.EMAIL_BACKEND = LOCMEM
    mail.outbox = []
    comment = make_comment(article, status=Comment.Status.PENDING)
    with transaction.atomic():
        notifications.notify_moderators(comment)
        assert mail.outbox == []
    assert len(mail.outbox) == 1
