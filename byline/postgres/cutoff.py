"""A statement's cut-off, by the server's own clock: it does nothing when run too late.

A statement sent into a server that froze since (SIGSTOP, a stalled virtual
machine) is given up by the app after its wait (a 503: "not taken"), and the
server runs it when it thaws, with nobody left to answer: a vote its reader
was told was not taken is taken after all, perhaps over their next one. A
health check (``SELECT 1``) before the statement only narrows that window.

So a statement that writes what its reader is told of can carry cut-offs in
the SERVER's clock, and do nothing (raise ``STATE``: its writes rolled back)
when run past them. ``clock_timestamp()``, not ``now()`` or
``statement_timestamp()``: those are when the server read the statement,
which for a statement that waited in a frozen server's socket is the thaw.

- It must BEGIN by the least time the app waits for its answer
  (``DeadlineConnection.least_wait``: 2 s on a connection whose health check
  was skipped, after which the app gives up if the server does not let a new
  connection in): a statement that waited in a frozen server begins at the
  thaw, too late, and does nothing.
- It must END (after its writes, before its commit) by the most the app
  waits (the connection's deadline, ``BYLINE_DATABASE_TIMEOUT`` + 1 s): one
  held up on a live server (a lock) is still waited for, and cast, as
  before; one frozen in the middle that long is rolled back.

Each less ``ANSWER_SECONDS`` for its commit and its answer's way back. A
statement that began in time and was answered is never given up for a
server slow to let a new connection in: an unchecked connection takes the
answer that came while it asked (``DeadlineConnection._answer_arrived``).

The app does not know the server's clock, only its own: each such statement
returns the server's clock as it ended (``remember``), and the connection
keeps it with the app's ``time.monotonic()`` at the answer. The server's
clock now is taken as that clock plus the time since by the app's clock. The
clock comes back after the commit and the trip, so the estimate is early by
those: the safe side. A connection with nothing remembered (new) has no
cut-offs (``covered`` is False): the vote paths then keep the health check.

Left open (no health check closed it either): a server that freezes after the
statement began and before its commit (its millisecond, or while it waits for
a lock), and thaws after the app gave up (2 s) but before the end cut-off.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import DatabaseError

# The SQLSTATE a statement raises when run past its deadline (class 57, operator
# intervention: psycopg and Django raise an OperationalError, a 503 for the reader).
STATE = "57B01"
# Left to a statement that passed its last check for its commit and the way back
# of its answer, before the app may give up on it.
ANSWER_SECONDS = 0.25


def remember(wrapper: Any, server_micros: int) -> None:
    """The server's ``clock_timestamp()`` (microseconds since the epoch) at the end of a
    statement just answered on ``wrapper``'s connection."""
    raw = wrapper.connection
    if hasattr(raw, "server_clock"):  # a ``base.DeadlineConnection``
        raw.server_clock = (server_micros, time.monotonic())


def forget(wrapper: Any) -> None:
    """Forget the server's clock of ``wrapper``'s connection (its statement ran past its
    cut-off): the next statement is checked first and learns it again, so a server clock
    stepped forward since does not cut off every statement of a connection kept open."""
    raw = wrapper.connection
    if getattr(raw, "server_clock", None) is not None:
        raw.server_clock = None


def deadlines(wrapper: Any) -> tuple[int | None, int | None]:
    """The cut-offs of a statement about to be sent on ``wrapper``'s connection, in the
    server's clock (microseconds since the epoch): by when it must begin (the least the
    connection waits for it) and by when it must end (the most); None, None when there
    are none (no clock remembered, or a connection that waits as long as it takes)."""
    raw = wrapper.connection
    clock: tuple[int, float] | None = getattr(raw, "server_clock", None)
    if clock is None or raw.deadline is None:
        return None, None
    least: float = raw.least_wait()
    server_micros, answered_at = clock
    now = server_micros + int((time.monotonic() - answered_at) * 1_000_000)
    return (
        now + int((least - ANSWER_SECONDS) * 1_000_000),
        now + int((raw.deadline - ANSWER_SECONDS) * 1_000_000),
    )


def covered(wrapper: Any) -> bool:
    """Whether a statement sent on ``wrapper``'s open connection now cannot be run by a
    server that thaws after the app gave up on it, so a health check adds nothing
    against a freeze: a PostgreSQL connection with its server's clock remembered, or
    another database's (SQLite has no server to freeze)."""
    if wrapper.vendor != "postgresql":
        return True
    return getattr(wrapper.connection, "server_clock", None) is not None


def ran_late(error: BaseException) -> bool:
    """Whether ``error`` is a statement's refusal to run past its cut-off."""
    cause = error.__cause__ if isinstance(error, DatabaseError) else error
    return getattr(cause, "sqlstate", None) == STATE
