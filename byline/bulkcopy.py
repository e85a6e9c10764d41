"""Writing many rows at once on PostgreSQL: ids reserved first, rows streamed by ``COPY``.

A newsroom's archive is hundreds of thousands of rows. ``COPY`` is
PostgreSQL's bulk path: no statement per row, nothing returned, rows parsed as
they arrive while the caller prepares the next ones. Because ``COPY`` returns
no ids, :func:`reserve_ids` takes them from the table's sequence first, so a
caller knows every row's id (and can point rows at each other: a reply at its
parent) before anything is written. Both run inside the caller's transaction.

Only PostgreSQL has ``COPY``: callers check :func:`available` and use
``bulk_create`` elsewhere (:func:`write_rows` does either).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from itertools import chain, islice

from django.db import connection, models
from django.utils import timezone

# Field types whose Python values psycopg writes as they are; others are prepared
# by the field (JSONField: JSON text; FileField: the file's name).
PLAIN_FIELDS = {
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField",
    "DateTimeField", "EmailField", "FloatField", "ForeignKey", "IntegerField",
    "OneToOneField", "PositiveIntegerField", "PositiveSmallIntegerField", "SlugField",
    "SmallIntegerField", "TextField", "URLField",
}  # fmt: skip


def available() -> bool:
    return connection.vendor == "postgresql"


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new ids of ``model``'s table, ascending, from its own sequence."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(nextval(pg_get_serial_sequence(%s, %s)) ORDER BY n) "
            "FROM generate_series(1, %s) AS n",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return list(cursor.fetchone()[0])


def _prepare(field: models.Field, value: object) -> object:
    if field.get_internal_type() == "JSONField":
        return json.dumps(value)
    return field.get_db_prep_save(value, connection)


def _default(field: models.Field) -> object:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()


def copy_rows(model: type[models.Model], rows: Iterable[Mapping[str, object]]) -> int:
    """Write ``rows`` (attribute name → Python value) into ``model``'s table; how many.

    Every row has the same keys. A column no row names takes the field's
    default (``auto_now`` dates: now; the id: its sequence's next value, unless
    rows carry ``id`` from :func:`reserve_ids`). Nothing is validated: the
    caller's values are final.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    named = set(first)
    fields = [f for f in model._meta.concrete_fields if f.attname in named or not f.primary_key]
    plan = [
        (
            f.attname,
            f.attname in named,
            f if f.get_internal_type() not in PLAIN_FIELDS else None,
            None if f.attname in named else _prepare(f, _default(f)),
        )
        for f in fields
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    written = 0
    with connection.cursor() as cursor:
        sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in chain([first], rows):
                copy.write_row(
                    [
                        (row[name] if field is None else _prepare(field, row[name]))
                        if present
                        else default
                        for name, present, field, default in plan
                    ]
                )
                written += 1
    return written


def write_rows(
    model: type[models.Model], rows: Iterable[Mapping[str, object]], batch: int = 500
) -> None:
    """Rows whose ids nobody needs back: one ``COPY`` on PostgreSQL, else ``bulk_create``
    a batch at a time (``rows`` may be a generator: it is read once, as it is written)."""
    if available():
        copy_rows(model, rows)
        return
    rows = iter(rows)
    while chunk := [model(**row) for row in islice(rows, batch)]:
        model.objects.bulk_create(chunk)
