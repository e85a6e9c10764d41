"""Byline's PostgreSQL backend (``ENGINE: byline.postgres``): Django's, with a deadline.

A PostgreSQL server that is frozen (SIGSTOP, a stalled virtual machine, a network
that drops packets without a reset) answers nothing, and a server-side
``statement_timeout`` cannot help: the server is not running to apply it.
Without a deadline of its own, a request that reached the database waited
until the server came back, however long that was. So in a process that
serves the site (``serve()``, called by ``byline.wsgi``), every wait for the
server is bounded by ``BYLINE_DATABASE_TIMEOUT`` (``base.py`` says how).

And once the server has let one wait run out, this process leaves it alone
for ``RETRY_SECONDS``: requests that need it fail at once (a 503, or the last
copy of a page) instead of each holding an app-server thread for the whole
deadline, which would leave no thread for the pages served from the cache.
A request does not wait the whole deadline to find the server frozen: its
first round trip, the health check of a kept connection, waits
``PROBE_SECONDS`` (1 s), and a new connection ``connect_timeout`` (2 s).
Then one request tries again, alone, while the others still fail at once;
the first answer the server gives closes the breaker, an error or a refused
connection included (a stopped server refuses at once: it is not silent).

On SQLite the same deadline bounds a request's wait for the write lock (its
busy timeout), so a writer stuck behind another gets its 503 in that time.

Management commands (``migrate``, imports, ``purge_comment_data``) never call
``serve()``: they wait as long as their work needs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.signals import connection_created

T = TypeVar("T")

# Past the server's own statement_timeout, the time its cancellation has to arrive.
GRACE_SECONDS = 1.0
# After the server let a wait run out, how long this process fails at once.
RETRY_SECONDS = 1.0
# How long a request's first round trip waits: the health check (``SELECT 1``) on a
# kept connection, which a live server answers in a millisecond however slow the
# queries it runs. A frozen server is found out after this, not the whole deadline.
PROBE_SECONDS = 1.0

_serving = False
_lock = threading.Lock()
_silent = False  # the server let a wait run out, and has not answered since
_fail_until = 0.0  # time.monotonic() before which a request fails without asking


def serve() -> None:
    """This process answers readers: the database connections it opens from now on
    wait for the server at most ``BYLINE_DATABASE_TIMEOUT`` seconds (on SQLite, for
    the write lock: ``_sqlite_busy_timeout``)."""
    global _serving
    _serving = True
    connection_created.connect(_sqlite_busy_timeout, dispatch_uid="byline.sqlite.busy")
    from byline import sqlitestats

    # An embedded site's planner statistics (nothing else runs ANALYZE there).
    connection_created.connect(sqlitestats.keep_statistics, dispatch_uid="byline.sqlite.stats")


def _sqlite_busy_timeout(sender: object, connection: Any, **kwargs: object) -> None:
    """SQLite has one writer at a time: another waits for the lock up to its busy
    timeout (10 s in ``settings.SQLITE_OPTIONS``, for management commands), then fails
    with "database is locked" (a 503 with Retry-After). A request waits at most
    ``BYLINE_DATABASE_TIMEOUT`` for it, as for PostgreSQL."""
    seconds = deadline()
    if seconds is not None and connection.vendor == "sqlite":
        connection.connection.execute(f"PRAGMA busy_timeout = {round(seconds * 1000)}")


def deadline() -> float | None:
    """Seconds a statement may run in this process (None: as long as it needs)."""
    if not _serving:
        return None
    return float(settings.BYLINE_DATABASE_TIMEOUT)


def probe_deadline() -> float | None:
    """Seconds the health check of a kept connection may wait (None: as long as it needs)."""
    seconds = deadline()
    return None if seconds is None else min(PROBE_SECONDS, seconds + GRACE_SECONDS)


def trust(wrapper: Any) -> None:
    """Skip the health check of ``wrapper``'s kept connection, one that answered a
    moment ago (the vote paths, to spare a round trip a vote), without waiting
    the whole deadline should the server have frozen since: a round trip of that
    connection left unanswered for ``PROBE_SECONDS`` then goes on waiting only if
    the server lets a new connection in within ``PROBE_SECONDS`` (``base.py``)."""
    wrapper.health_check_done = True
    connection = wrapper.connection
    if getattr(connection, "unchecked", None) is False:  # one of ours, not yet marked
        connection.unchecked = True


def again_if_dropped(work: Callable[[], T], alias: str = DEFAULT_DB_ALIAS) -> T:
    """``work()``; run once more on a new connection if the kept connection it ran on
    was dropped by the server under it (a restart: the connection is broken, not
    timed out), outside a transaction. Only for work that is safe to run twice (a
    vote states the reader's choice): a statement the old server committed just
    before it went changes nothing the second time. A server that is down refuses
    the new connection at once, and that error is raised."""
    wrapper = connections[alias]
    try:
        return work()
    except DatabaseError:
        raw = wrapper.connection
        if (
            raw is None
            or wrapper.in_atomic_block
            or not getattr(raw, "broken", False)
            or getattr(raw, "gave_up", False)
        ):
            raise
        wrapper.close()
    return work()


def silent() -> bool:
    """Whether to fail at once, without asking the server: it let a wait run out less
    than ``RETRY_SECONDS`` ago, or another thread is asking it again right now. When
    neither, the caller is the one that asks (the others fail while it waits)."""
    global _fail_until
    if not _silent:
        return False
    now = time.monotonic()
    with _lock:
        if not _silent:
            return False
        if now < _fail_until:
            return True
        _fail_until = now + (deadline() or 0.0) + GRACE_SECONDS  # this caller asks
        return False


def went_silent() -> None:
    """The server let a wait run out: fail at once for ``RETRY_SECONDS``."""
    global _silent, _fail_until
    with _lock:
        _silent = True
        _fail_until = time.monotonic() + RETRY_SECONDS


def answered() -> None:
    """The server answered: every request asks it again."""
    global _silent
    if _silent:
        with _lock:
            _silent = False
