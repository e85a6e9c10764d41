"""The e-mail backend that keeps a reader from waiting on the mail server.

Comment e-mails (moderation notices, reply notifications, data links) are sent
through Django's e-mail framework once the transaction that caused them commits
(``notifications.send``, with ``transaction.on_commit``). With
``BYLINE_EMAIL_IN_BACKGROUND`` (the default) ``EMAIL_BACKEND`` is this one: it
hands the messages to one thread per process, which sends them through the
configured backend (``EMAIL_DELIVERY_BACKEND``: SMTP, or the console).

Why a queue at all: on_commit callbacks run in the request, before the answer
goes. A mail server that is slow or frozen holds an SMTP client for up to
``BYLINE_SMTP_TIMEOUT`` seconds at every step, and the reader who posted a comment
would wait that long (``tests/discussion/test_mail_delivery.py`` holds a real
SMTP server at the greeting to show it does not). Why this queue: a durable one
(django-mailer's database queue, Celery) needs another process to run on every
tier, and the embedded tier runs none. What it costs: an e-mail still in the
queue when a worker is killed is lost; each is logged when queued, and Python
waits for the thread at a normal exit. A site that wants more sets
``BYLINE_EMAIL_IN_BACKGROUND=0`` and a local mail relay (which queues durably).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend

log = logging.getLogger(__name__)
_lock = threading.Lock()
_queue: list[ThreadPoolExecutor] = []  # this process's one mail thread, made when needed


def _forget_queue() -> None:
    _queue.clear()  # a forked worker makes its own (threads do not survive a fork)


os.register_at_fork(after_in_child=_forget_queue)


def _mail_thread() -> ThreadPoolExecutor:
    with _lock:
        if not _queue:
            _queue.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="byline-mail"))
        return _queue[0]


def _deliver(messages: Sequence[EmailMessage]) -> int:
    try:
        return get_connection(settings.EMAIL_DELIVERY_BACKEND).send_messages(messages) or 0
    except Exception:  # a mail server that is down must never lose what caused the e-mail
        log.exception("Could not send the e-mail %r", [m.subject for m in messages])
        return 0


class BackgroundBackend(BaseEmailBackend):
    """Queue the messages for this process's mail thread; never raises, never waits."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        messages = list(email_messages)
        if messages:
            log.info("%d e-mail(s) queued: %r", len(messages), [m.subject for m in messages])
            _mail_thread().submit(_deliver, messages)
        return len(messages)


def wait_for_queued_mail(timeout: float = 30) -> None:
    """Return once the e-mails queued so far in this process have been handed to the
    mail server (tests; a clean shutdown)."""
    done: Future = _mail_thread().submit(lambda: None)
    done.result(timeout=timeout)
