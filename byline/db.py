"""Read replicas: the database router and the switch that pins reads to the primary.

With ``DATABASE_REPLICA_URLS`` set, reads go to a replica chosen at random and
writes to the primary (``default``). Reads stay on the primary when
replication lag would show a reader something older than they just wrote or
than the cache already knows:

- inside a transaction on the primary (a write and its reads see one state);
- for the rest of a request once it has written (read your own writes);
- inside ``reading_from_primary()``, which the page cache uses while rendering
  a page it will store, so a lagging replica cannot put an old copy of a page
  under a new cache generation.

And ``after_commit``: a side effect (an e-mail, a counter, the page cache, the spam
filter's learning) that runs once the current transaction commits; ``Statement``: a
hot path's read whose SQL the ORM writes once, not at every request.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.signals import request_started
from django.db import connections, router, transaction
from django.db.models import F, Lookup, Model, QuerySet
from django.db.models.query import FlatValuesListIterable, ModelIterable, ValuesListIterable
from django.utils import timezone

PRIMARY = "default"
log = logging.getLogger(__name__)

_forced: ContextVar[bool] = ContextVar("byline_db_forced", default=False)
_wrote: ContextVar[bool] = ContextVar("byline_db_wrote", default=False)


@contextmanager
def reading_from_primary() -> Iterator[None]:
    """Every read inside the block goes to the primary."""
    token = _forced.set(True)
    try:
        yield
    finally:
        _forced.reset(token)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def unpin() -> None:
    """A new request: its reads may go to a replica until it writes."""
    _wrote.set(False)


def _unpin(**kwargs) -> None:
    unpin()


request_started.connect(_unpin, dispatch_uid="byline.db.unpin")


class ReplicaRouter:
    """Send reads to a replica unless the primary is required (see the module docstring)."""

    def db_for_read(self, model, **hints) -> str:
        replicas = replica_aliases()
        if not replicas or _forced.get() or _wrote.get() or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return random.choice(replicas)

    def db_for_write(self, model, **hints) -> str:
        _wrote.set(True)  # this request reads its own writes from now on
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # replicas hold the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        return db == PRIMARY


def after_commit(function: Callable[..., object], *args: object) -> None:
    """Run a side effect (notifications, counters, the page cache, learning) once the
    current transaction commits, or now outside one. It may fail (it is logged), but
    never undoes or changes what was committed, nor the answer the reader gets."""

    def run() -> None:
        try:
            function(*args)
        except Exception:
            log.exception("After the commit, %s failed.", getattr(function, "__name__", function))

    if in_transaction():
        transaction.on_commit(run)
    else:
        run()


def in_transaction() -> bool:
    """Whether a transaction is open. A test case's own wrapping transaction counts as
    committed, as it does for Django's durable blocks: what the test sees is what a
    reader would."""
    connection = transaction.get_connection()
    return connection.in_atomic_block and any(
        not block._from_testcase for block in connection.atomic_blocks
    )


def are_ids(value: object) -> bool:
    """Whether ``value`` is a collection of ints (not a string, nor bools): ids as
    ``AnyOf`` writes them in one parameter, where an element such as ``"1,2"`` would read
    as two ids, and ``True`` as none."""
    return (
        isinstance(value, Collection)
        and not isinstance(value, str | bytes)
        and set(map(type, value)) <= {int}  # 1.5 µs for 70 ids; all(...) took 2.6
    )


def prepared_cursor(connection: Any) -> Any:
    """A cursor of ``connection`` for a hot read whose SQL is the same at every run, and so
    are its parameters' types (a ``Statement``'s, a fixed statement's): on PostgreSQL
    (``byline.postgres``) psycopg prepares it on the server once the connection has run
    it ``?prepare_threshold=`` times (off by default); elsewhere ``cursor()``."""
    return getattr(connection, "prepared_cursor", connection.cursor)()


class _IdsKind(type):
    def __instancecheck__(cls, value: object) -> bool:
        return are_ids(value)


class Ids(metaclass=_IdsKind):
    """A kind of a ``Statement``'s values: integer ids, any number of them (a list, a set,
    a dict's keys; each an ``int``, so a run given anything else raises ``TypeError``),
    which its build gives to ``AnyOf``."""


def ids_parameter(vendor: str, ids: Collection[int]) -> str:
    """``ids`` as ``AnyOf``'s one parameter: PostgreSQL's text of an array (``{1,2}``,
    for ``%s::bigint[]``: psycopg's own adaptation of a list costs 70-115 µs for 70
    ids, this 15-30), elsewhere a JSON array (``[1,2]``, read by ``json_each``)."""
    text = ",".join(map(str, ids))
    return "{" + text + "}" if vendor == "postgresql" else "[" + text + "]"


class AnyOf(Lookup):
    """``field`` is one of ``ids``, in one parameter whatever their number:
    ``Comment.objects.filter(AnyOf("article_id", ids))``. On PostgreSQL ``= ANY(%s::
    bigint[])``: ``IN (SELECT unnest(array))`` was planned as a join of every row with
    the array (without fresh statistics a nested loop: 3 ms of the server's CPU for 100
    ids among 800 articles, this 0.1-0.5), and a query of many parameters is parsed
    again by psycopg at every call. Elsewhere (SQLite) ``IN (SELECT value FROM
    json_each(%s))``. Either way the SQL is the same for any number of ids, so a
    ``Statement`` (kind ``Ids``) writes it once."""

    lookup_name = "any_of"
    prepare_rhs = False

    def __init__(self, field: str, ids: Collection[int]) -> None:
        if not are_ids(ids):
            raise TypeError(f"AnyOf takes a collection of int ids, not {ids!r:.200}")
        super().__init__(F(field), ids)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        values = [*params, ids_parameter(connection.vendor, self.rhs)]
        return f"{lhs} {any_of_sql(connection.vendor)}", values


def any_of_sql(vendor: str) -> str:
    """What follows the column in ``AnyOf``'s SQL, its one parameter ``ids_parameter``'s:
    for SQL written by hand that filters by a list of ids (``stats.figures_of_many``)."""
    if vendor == "postgresql":
        return "= ANY(%s::bigint[])"
    return "IN (SELECT value FROM json_each(%s))"


class Statement:
    """A read on a hot path (a comment's POST, a commenter's session, the view folder's
    look at some articles) whose SQL the ORM writes once, then runs again with other
    values, answering as the queryset does.

    The ORM builds and compiles a queryset anew at every run: ~0.3-0.7 ms of Python for
    a one-row read, several times the read itself. Here ``build`` makes the queryset
    once per database connection, with a *marker* for each value that changes between
    runs (one of ``kinds``: ``int``, ``str`` or ``datetime``, each reaching the
    statement as one parameter of its own, as a lookup such as ``pk=`` or
    ``submitted_at__gte=`` takes it; or ``Ids``, given to ``AnyOf``); each run puts its
    values in the markers' places, reads the rows and makes them what the queryset
    yields (model instances: its columns, deferred fields; or ``values_list``'s tuples
    or flat values), with the database's converters. A time the queryset compares with
    is one of the values (``Article.objects.reachable(now)``: the caller passes
    ``timezone.now()``). A build that reads the clock itself (its SQL or parameters
    differ between two builds with the same values), or whose markers do not reach its
    parameters as given, fails at its first run: it could never answer as the queryset
    would.

    Only querysets of one model's rows (no ``select_related``, annotations or
    prefetches), or a ``values_list`` of columns (its annotations included). Compiled
    per connection object (each thread has its own) and kept on it, so nothing is shared
    between threads, and a run always uses the connection the queryset would (its
    transaction).
    """

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *kinds: type,
        using: str | None = None,
    ) -> None:
        self.build = build
        self.kinds = kinds
        self.using = using  # else the router's choice, as the queryset's own
        self.model: type[Model] | None = None

    def rows(self, *values: Any) -> list[Any]:
        """What the queryset built with ``values`` yields (instances, or ``values_list``'s
        rows), in its order."""
        return self._compiled(values).run(values)

    def rows_and_db(self, *values: Any) -> tuple[list[Any], str]:
        """``rows``, and the alias of the database they were read from (the router's
        choice, or ``using``): for a caller that makes its own objects of ``values_list``
        rows, read from that database as the queryset's instances would be."""
        compiled = self._compiled(values)
        return compiled.run(values), compiled.alias

    def query(self, *values: Any) -> tuple[str, list[Any]]:
        """The SQL and parameters of the queryset built with ``values``, for a caller that
        sends it inside a statement of its own (on the connection ``rows`` would use)."""
        return self._compiled(values).query(values)

    def _compiled(self, values: tuple[Any, ...]) -> _Compiled:
        if len(values) != len(self.kinds) or not all(map(isinstance, values, self.kinds)):
            raise TypeError(f"A statement takes values of {self.kinds}, not {values!r:.200}")
        if settings.USE_TZ and any(
            isinstance(value, datetime) and timezone.is_naive(value) for value in values
        ):  # the queryset would read it in TIME_ZONE; sent as it is, it would be UTC
            raise TypeError("A statement takes aware times (USE_TZ)")
        alias = self.using
        if alias is None:
            if self.model is None:
                self.model = self.build(*_markers(self.kinds)).model
            alias = router.db_for_read(self.model)
        connection = connections[alias]
        # Kept on the connection object (the thread's own), and gone with it.
        kept = vars(connection).setdefault("byline_statements", {})
        compiled = kept.get(self)
        if compiled is None:
            compiled = kept[self] = _Compiled(self, alias, connection)
        return compiled

    def first(self, *values: Any) -> Any:
        """The first of ``rows`` (build a queryset sliced ``[:1]``, as ``first()`` is)."""
        found = self.rows(*values)
        return found[0] if found else None


def _markers(kinds: tuple[type, ...]) -> list[Any]:
    """A value of each kind that no query of the site takes as a value of its own."""
    found: list[Any] = []
    for number, kind in enumerate(kinds):
        if kind is Ids:
            found.append((-7_340_058_000_000_000 - number,))
        elif kind is int:
            found.append(-7_340_059_000_000_000 - number)
        elif kind is str:
            found.append(f"\x1fbyline statement marker {number}\x1f")
        elif kind is datetime:
            found.append(datetime(1901, 2, 3, 4, 5, 6, 700_000 + number, tzinfo=UTC))
        else:
            raise TypeError(f"A statement's value is an int, a str, a datetime or Ids, not {kind}")
    return found


class _Compiled:
    """One ``Statement`` as one connection runs it: its SQL, its parameters with the
    places of the markers, and what makes a row an instance (or ``values_list``'s)."""

    def __init__(self, statement: Statement, alias: str, connection: Any) -> None:
        markers = _markers(statement.kinds)
        adapt = connection.ops.adapt_datetimefield_value
        queryset = statement.build(*markers).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        # Built again once the clock has moved (microseconds; a clock a test froze stays
        # put): a build that reads the clock (``now()``, ``now() - window``) writes
        # other parameters, and is refused: it takes the time as one of its values.
        after = timezone.now()
        waited = time.perf_counter() + 0.01
        while timezone.now() <= after and time.perf_counter() < waited:
            pass
        again = statement.build(*markers).using(alias).query.get_compiler(using=alias).as_sql()
        if again != (sql, params):
            raise ValueError(
                "A statement's build must write the same SQL and parameters at every run: "
                "a time it compares with is one of its values, not read from the clock"
            )
        klass_info = compiler.klass_info
        iterable = queryset._iterable_class
        if queryset._prefetch_related_lookups or (
            iterable is ModelIterable
            and (compiler.annotation_col_map or klass_info.get("related_klass_infos"))
        ):
            raise ValueError("A statement reads one model's rows, nothing joined or added")
        if iterable not in (ModelIterable, ValuesListIterable, FlatValuesListIterable):
            raise ValueError("A statement yields instances or values_list's rows")
        self.connection = connection
        self.alias = alias
        self.compiler = compiler
        self.sql = sql
        self.params = list(params)
        self.places: list[tuple[int, int]] = []  # (parameter, value)
        # parameter -> the type an integer field's value takes on its way to the SQL
        # (PostgreSQL's backend wraps it: psycopg's ``Int8`` for a ``BigIntegerField``)
        self.wrapped: dict[int, type] = {}
        vendor = connection.vendor
        self.converts: list[Callable[[Any], Any] | None] = [
            adapt
            if kind is datetime
            else (lambda ids: ids_parameter(vendor, ids))
            if kind is Ids
            else None
            for kind in statement.kinds
        ]
        prepared = [
            m if convert is None else convert(m)
            for m, convert in zip(markers, self.converts, strict=True)
        ]
        for position, param in enumerate(self.params):
            if param not in prepared:
                continue
            index = prepared.index(param)
            marker = prepared[index]
            if type(param) is type(marker):
                self.places.append((position, index))
            elif type(marker) is int and isinstance(param, int) and statement.kinds[index] is int:
                self.places.append((position, index))  # an integer field's value, wrapped
                self.wrapped[position] = type(param)
        missing = set(range(len(markers))) - {value for _, value in self.places}
        if missing:
            raise ValueError(f"A statement's values {sorted(missing)} are not its parameters")
        select = compiler.select
        columns = [column[0] for column in select[: compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ValueError("A statement reads no composite field")
        self.converters = compiler.get_converters(columns)
        self.shape = iterable
        if iterable is not ModelIterable:  # the columns in values_list's order
            return
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.model = klass_info["model"]
        self.start, self.end = start, end
        self.names = [column[0].target.attname for column in select[start:end]]

    def query(self, values: tuple[Any, ...]) -> tuple[str, list[Any]]:
        params = list(self.params)
        converts, wrapped = self.converts, self.wrapped
        for position, value in self.places:
            given, convert = values[value], converts[value]
            params[position] = given if convert is None else convert(given)
        for position, wrap in wrapped.items():
            params[position] = wrap(params[position])
        return self.sql, params

    def run(self, values: tuple[Any, ...]) -> list[Any]:
        with prepared_cursor(self.connection) as cursor:
            cursor.execute(*self.query(values))
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        if self.shape is FlatValuesListIterable:
            return [row[0] for row in rows]
        if self.shape is ValuesListIterable:
            return list(map(tuple, rows))
        model, alias, start, end, names = self.model, self.alias, self.start, self.end, self.names
        return [model.from_db(alias, names, row[start:end]) for row in rows]
