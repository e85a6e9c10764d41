"""Byline's PostgreSQL backend (``ENGINE: byline.postgres``): Django's, with a deadline.

A PostgreSQL server that is frozen (SIGSTOP, a stalled virtual machine, a network
that drops packets without a reset) answers nothing, and a server-side
``statement_timeout`` cannot help: the server is not running to apply it.
Without a deadline of its own, a request that reached the database waited
until the server came back, however long that was. So in a process that
serves the site (``serve()``, called by ``byline.wsgi``), every wait for the
server is bounded by ``BYLINE_DATABASE_TIMEOUT`` (``base.py`` says how).

Management commands (``migrate``, imports, ``purge_comment_data``) never call
``serve()``: they wait as long as their work needs.
"""

from __future__ import annotations

from django.conf import settings

# Past the server's own statement_timeout, the time its cancellation has to arrive.
GRACE_SECONDS = 1.0

_serving = False


def serve() -> None:
    """This process answers readers: the database connections it opens from now on
    wait for the server at most ``BYLINE_DATABASE_TIMEOUT`` seconds."""
    global _serving
    _serving = True


def deadline() -> float | None:
    """Seconds a statement may run in this process (None: as long as it needs)."""
    if not _serving:
        return None
    return float(settings.BYLINE_DATABASE_TIMEOUT)
