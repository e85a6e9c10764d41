"""E-mail leaves in the background: a slow or broken mail server never delays or
fails a reader, and nothing is sent for a change that was rolled back.

A real SMTP conversation with a small server on 127.0.0.1 that can hold its
clients at the greeting, as a busy mail server does.
"""

from __future__ import annotations

import logging
import socket
import threading

import pytest
from django.core import mail
from django.db import transaction

from byline.discussion import notifications
from byline.discussion.models import Comment
from tests.discussion.factory import make_comment, post_comment

pytestmark = pytest.mark.django_db(transaction=True)  # commits, as in production


class HeldMailServer:
    """Speaks just enough SMTP to take messages; greets nobody until ``release``."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.messages: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(client,), daemon=True).start()

    def _talk(self, client: socket.socket) -> None:
        self.release.wait(timeout=20)
        with client, client.makefile("rb") as lines:
            client.sendall(b"220 held.example ESMTP\r\n")
            for line in lines:
                verb = line[:4].upper()
                if verb == b"DATA":
                    client.sendall(b"354 go ahead\r\n")
                    body = []
                    for data in lines:
                        if data == b".\r\n":
                            break
                        body.append(data.decode())
                    self.messages.append("".join(body))
                    client.sendall(b"250 queued\r\n")
                elif verb == b"QUIT":
                    client.sendall(b"221 bye\r\n")
                    return
                else:
                    client.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.release.set()
        self._listener.close()


@pytest.fixture
def smtp(settings):
    server = HeldMailServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 10
    settings.BYLINE_EMAIL_IN_BACKGROUND = True
    yield server
    server.close()
    notifications.wait_for_queued_mail()


@pytest.fixture
def desk(editor):
    editor.email = "desk@news.example"
    editor.save()
    return editor


def test_a_reader_is_answered_while_the_mail_server_is_still_busy(client, article, desk, smtp):
    body = "The bridge in the third paragraph was rebuilt in 2009."
    response = post_comment(client, article, body=body)
    assert response.status_code == 302
    assert Comment.objects.get().status == Comment.Status.PENDING
    assert smtp.messages == []  # the mail server has not even greeted anyone yet
    smtp.release.set()
    notifications.wait_for_queued_mail()
    (message,) = smtp.messages
    assert "To: desk@news.example" in message
    assert body in message


def test_a_mail_server_that_is_down_loses_no_comment(client, article, desk, settings, caplog):
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.BYLINE_EMAIL_IN_BACKGROUND = True
    with caplog.at_level(logging.ERROR, logger="byline.discussion.notifications"):
        response = post_comment(client, article, body="Still here after the mail failed.")
        notifications.wait_for_queued_mail()
    assert response.status_code == 302
    assert Comment.objects.get().body == "Still here after the mail failed."
    assert "Could not send the e-mail" in caplog.text


def test_nothing_is_sent_for_a_change_that_was_rolled_back(article, desk, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.BYLINE_EMAIL_IN_BACKGROUND = True
    mail.outbox = []
    comment = make_comment(article, status=Comment.Status.PENDING)
    with pytest.raises(RuntimeError), transaction.atomic():
        notifications.notify_moderators(comment)
        raise RuntimeError("the moderation step failed")
    notifications.notify_moderators(comment)  # outside a transaction: goes at once
    notifications.wait_for_queued_mail()
    assert [m.to for m in mail.outbox] == [["desk@news.example"]]
