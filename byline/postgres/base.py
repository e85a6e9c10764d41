"""Django's PostgreSQL backend whose connections never wait on a silent server.

In a process that serves the site (``byline.postgres.serve()``), with
``BYLINE_DATABASE_TIMEOUT`` = T seconds:

- the server cancels a statement that runs longer than T (``statement_timeout``,
  sent with the connection's start-up, so no extra round trip): a slow query, or
  one stuck behind a lock, ends with an error and its connection stays good;
- the connection waits at most T + ``GRACE_SECONDS`` for any answer of the server
  (a query, its rows, a commit). A server silent that long is frozen or cut off:
  the connection is closed, since its state is unknown, and ``DeadlineExceeded``
  raised;
- a new connection gives up after ``connect_timeout`` (``byline/settings.py``:
  2 s, libpq's least: a live server lets a client in within milliseconds);
- the health check Django runs on a kept connection at a request's first query
  (``SELECT 1``) waits at most ``PROBE_SECONDS`` (1 s), not T: a live server
  answers it at once however long its queries take, so a frozen one is found
  out by the first request that meets it within a second;
- once a wait has run out, this process fails at once for a second, then lets
  one request ask again (``byline.postgres``, the breaker);
- the health check Django runs on a kept connection at a request's first query
  is the request's wait: when it times out, the request fails there instead of
  waiting once more for a new connection to the same silent server.

Each is an ``OperationalError`` (Django's, wrapping psycopg's), which
``byline.outages`` answers with a 503 and Retry-After (JSON for JSON clients)
and the page cache with the last copy of a page. The next request opens a new
connection, so the site recovers by itself once the server answers again.

A closed connection and the writes in flight: a statement the server received
before it froze may still run when it thaws, with nobody left to answer (a
transaction not yet committed is rolled back). Every write is safe to retry, so
a reader who sends it again after the 503 ends where they wanted.
"""

from __future__ import annotations

import selectors
import time
import types
from typing import Any

import psycopg
from django.db import OperationalError
from django.db.backends.postgresql import base, operations
from psycopg import pq, waiting
from psycopg._enums import Wait
from psycopg.connection import _WAIT_INTERVAL
from psycopg.conninfo import make_conninfo
from psycopg.errors import _WaitTimeout

from byline import postgres


class DeadlineExceeded(psycopg.OperationalError):
    """The server did not answer within the deadline; the connection is closed."""


class DeadlineConnection(psycopg.Connection):
    """A psycopg connection that waits for its server at most ``deadline`` seconds a
    round trip (None: as long as it takes), and not at all while the server is taken
    as silent (``byline.postgres.silent``)."""

    deadline: float | None = None
    gave_up = False
    # Set by ``byline.postgres.trust``: this kept connection's health check was
    # skipped, so a round trip left unanswered for ``PROBE_SECONDS`` asks whether
    # the server is alive (``_wait``). ``conninfo`` is where it connected.
    unchecked = False
    conninfo = ""
    # The server's clock at the end of this connection's last statement that returned
    # it, and time.monotonic() at its answer (``byline.postgres.cutoff``).
    server_clock: tuple[int, float] | None = None

    def wait(self, gen: Any, interval: float = _WAIT_INTERVAL, timeout: float | None = None) -> Any:
        if timeout is not None or self.deadline is None:  # notifies() brings its own
            return super().wait(gen, interval, timeout)
        if postgres.silent():
            gen.close()  # never started: nothing was sent
            self._give_up()
            raise DeadlineExceeded(SILENT)
        started = time.monotonic()
        try:
            answer = self._wait(gen, interval, self.deadline)
        except _WaitTimeout:
            postgres.went_silent()
            self._give_up()
            waited = time.monotonic() - started
            raise DeadlineExceeded(
                f"PostgreSQL did not answer within {waited:.1f} s; the connection was closed"
            ) from None
        except psycopg.Error:  # an answer, if an unhappy one (an error, a reset): not silent
            postgres.answered()
            raise
        postgres.answered()
        return answer

    def least_wait(self) -> float | None:
        """The least time this connection waits for a round trip's answer before it gives
        up (None: as long as it takes): on an unchecked connection ``2 * PROBE_SECONDS``
        (its round trip, then a new connection, each unanswered for ``PROBE_SECONDS``:
        ``_wait``), else its deadline. ``byline.postgres.cutoff`` cuts a statement off at
        this (the statement's start), by the server's clock."""
        probe = postgres.PROBE_SECONDS
        if self.deadline is None or not self.unchecked or self.deadline <= 2 * probe:
            return self.deadline
        return 2 * probe

    def _wait(self, gen: Any, interval: float, deadline: float) -> Any:
        """Wait up to ``deadline``; on an unchecked connection, a round trip unanswered
        after ``PROBE_SECONDS`` goes on only if the server lets a new connection in
        within ``PROBE_SECONDS`` or has answered meanwhile (a frozen one does neither:
        ``_WaitTimeout`` after about 2 s, as when the health check finds it); a slow
        statement on a live server keeps the whole deadline. Only the slow round trip
        pays for the question."""
        probe = postgres.PROBE_SECONDS
        if not self.unchecked or deadline <= 2 * probe:
            return super().wait(gen, interval, deadline)
        started = time.monotonic()
        try:
            return super().wait(gen, interval, probe)
        except _WaitTimeout:  # the generator waits where it was: wait on it again
            if not self._server_lets_in(probe) and not self._answer_arrived():
                raise
        left = deadline - (time.monotonic() - started)
        return super().wait(gen, interval, max(left, 0.001))

    def _server_lets_in(self, seconds: float) -> bool:
        """Whether the server answers a new connection within ``seconds`` (refusing it
        is an answer too); the connection is closed at once."""
        if not self.conninfo:
            return True  # nowhere to ask: wait as before
        started: list[pq.abc.PGconn] = []
        try:
            waiting.wait_conn(_connecting(self.conninfo, started), timeout=seconds)
        except _WaitTimeout:
            return False
        except psycopg.Error:
            return True
        finally:
            for pgconn in started:  # a probe left waiting is closed too, not left to the GC
                pgconn.finish()
        return True

    def _answer_arrived(self) -> bool:
        """Whether the server sent this connection something while the app asked for a
        new one (a frozen server sends nothing): the answer of a statement that began
        before its start cut-off (``byline.postgres.cutoff``) and committed, while the
        server was slow to let a new connection in. Given up then, it would be a write
        done after the app said it was not."""
        try:
            with selectors.DefaultSelector() as selector:  # (any descriptor number)
                selector.register(self.pgconn.socket, selectors.EVENT_READ)
                return bool(selector.select(timeout=0))
        except (OSError, ValueError, psycopg.Error):
            return False

    def _give_up(self) -> None:
        self.gave_up = True
        self.pgconn.finish()  # what psycopg does with a query it cannot cancel


def _connecting(conninfo: str, started: list[pq.abc.PGconn]) -> Any:
    """A new connection's start-up without blocking, as ``psycopg.generators.connect``
    (a generator for ``waiting.wait_conn``), with the connection it starts put in
    ``started`` so that the caller can close it whatever happens."""
    pgconn = pq.PGconn.connect_start(conninfo.encode())
    started.append(pgconn)
    while pgconn.status != pq.ConnStatus.BAD:
        status = pgconn.connect_poll()
        if status == pq.PollingStatus.OK:
            return pgconn
        if status == pq.PollingStatus.FAILED:
            break
        wait = Wait.R if status == pq.PollingStatus.READING else Wait.W
        while not (yield pgconn.socket, wait):
            pass
    raise psycopg.OperationalError("the server refused a new connection")


# ``psycopg.connect``'s own keyword arguments; the others are connection parameters.
_NOT_CONNINFO = frozenset(
    {"autocommit", "prepare_threshold", "context", "row_factory", "cursor_factory"}
)


def _conninfo(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The connection string ``connect(*args, **kwargs)`` connected with ("" if unknown:
    a slow round trip of an unchecked connection then waits as any other)."""
    params = {k: v for k, v in kwargs.items() if k not in _NOT_CONNINFO}
    try:
        return make_conninfo(*args[:1], **params)
    except psycopg.Error:
        return ""


SILENT = "PostgreSQL let a request's wait run out a moment ago; it is asked again shortly"


class _Psycopg(types.ModuleType):
    """psycopg as Django's backend uses it (``DatabaseWrapper.Database``: the
    exceptions, ``Binary``, ``connect``), except that ``connect`` opens a
    ``DeadlineConnection``, and in a serving process does not even try while the
    server is taken as silent."""

    def __getattr__(self, name: str) -> Any:
        return getattr(psycopg, name)

    @staticmethod
    def connect(*args: Any, **kwargs: Any) -> DeadlineConnection:
        if postgres.deadline() is None:
            return DeadlineConnection.connect(*args, **kwargs)
        if postgres.silent():
            raise DeadlineExceeded(SILENT)
        try:
            connection = DeadlineConnection.connect(*args, **kwargs)
            connection.conninfo = _conninfo(args, kwargs)
        except psycopg.errors.ConnectionTimeout:
            postgres.went_silent()
            raise
        except psycopg.Error:  # refused at once (a stopped server): not silent
            postgres.answered()
            raise
        postgres.answered()
        return connection


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> Any:
        """The SQL with its values, as logged for a client-binding cursor, for a
        ``prepared_cursor``'s too (Django reads it from a client-side cursor's own text,
        which a server-binding one has not): what tests and DEBUG see of a statement is
        the same whether it was prepared or not."""
        if isinstance(cursor, psycopg.ClientCursor) or getattr(
            self.connection.features, "uses_server_side_binding", False
        ):
            return super().last_executed_query(cursor, sql, params)
        try:
            return self.compose_sql(sql, params)
        except psycopg.errors.DataError:
            return None


class DatabaseWrapper(base.DatabaseWrapper):
    Database = _Psycopg("psycopg")
    ops_class = DatabaseOperations

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        seconds = postgres.deadline()
        if seconds is not None:
            statement_timeout = f"-c statement_timeout={max(1, round(seconds * 1000))}"
            params["options"] = f"{params.get('options') or ''} {statement_timeout}".strip()
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        seconds = postgres.deadline()
        if seconds is not None and isinstance(connection, DeadlineConnection):
            connection.deadline = seconds + postgres.GRACE_SECONDS
        return connection

    def prepared_cursor(self) -> Any:
        """A cursor as ``cursor()`` gives, but binding its parameters on the server, so that
        psycopg prepares a statement once this connection has run it ``prepare_threshold``
        times (the URL's ``?prepare_threshold=``; unset, as Django leaves it: never):
        PostgreSQL then plans it once, not at every run (planning a hot read cost it 2-5
        times running it). ``db.Statement`` runs its reads on it: SQL written once, with
        parameters of the same types at every run. Without a threshold (``off``: a pooler
        that cannot keep prepared statements), the client binds them, as ``cursor()``."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        connection = self.connection
        if connection.prepare_threshold is None:
            return self.cursor()
        with self.wrap_database_errors:
            made = connection.cursor_factory
            # ``create_cursor``'s own (its time zone), wrapped as ``cursor()`` wraps one;
            # neither is in django-stubs (psycopg 3's class, a private method).
            connection.cursor_factory = base.ServerBindingCursor  # type: ignore[attr-defined]
            try:
                return self._prepare_cursor(self.create_cursor())  # type: ignore[attr-defined]
            finally:
                connection.cursor_factory = made

    def close_if_health_check_failed(self) -> None:
        checked = self.connection
        had_given_up = getattr(checked, "gave_up", False)
        deadline, probe = getattr(checked, "deadline", None), postgres.probe_deadline()
        if deadline is not None and probe is not None:
            checked.deadline = probe  # a live server answers SELECT 1 at once
        try:
            super().close_if_health_check_failed()
        finally:
            if deadline is not None and checked is not None:
                checked.deadline = deadline
        if checked is not None and not had_given_up and getattr(checked, "gave_up", False):
            raise OperationalError(
                f"PostgreSQL did not answer the connection's health check within {probe:g} s"
            )
