"""``ViewMark`` rows, read and written as the folds use them (a key and its count):
``counts`` reads those of some keys, ``store`` writes some (an upsert). The view log's
limits and marks without Redis (``viewlog``) and the vote log's limits (``votelog``)
both go through them, in the caller's transaction.

Plain SQL, not the ORM's filter and ``bulk_create``: for a fold with votes (~12 votes,
2 s of them at a few hundred page views a second) those cost ~2.3 ms of CPU, ~60% of
the fold; these statements ~0.3. On PostgreSQL the keys and counts go as one array
parameter each (see ``stats.array_literal``); elsewhere as ``CHUNK`` rows a statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection

from byline.engagement.models import ViewMark
from byline.engagement.stats import array_literal, text_array_literal

CHUNK = 300  # rows a statement where each value is a parameter (SQLite)


def counts(keys: Sequence[str]) -> dict[str, int]:
    """The counts the rows named ``keys`` hold (a key without a row: none)."""
    table, qn = ViewMark._meta.db_table, connection.ops.quote_name
    select = f"SELECT {qn('key')}, {qn('count')} FROM {table} WHERE {qn('key')}"  # noqa: S608
    found: dict[str, int] = {}
    if not keys:
        return found
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{select} = ANY(%s::text[])", [text_array_literal(keys)])
            found.update(cursor.fetchall())
            return found
        for first in range(0, len(keys), CHUNK):
            chunk = keys[first : first + CHUNK]
            cursor.execute(f"{select} IN ({', '.join(['%s'] * len(chunk))})", list(chunk))
            found.update(cursor.fetchall())
    return found


def store(rows: Sequence[tuple[str, int]], until: datetime) -> None:
    """Write the rows (key, count), living until ``until``: a key's row is made, or its
    count and end replaced."""
    if not rows:
        return
    table, qn = ViewMark._meta.db_table, connection.ops.quote_name
    key, count, expires = qn("key"), qn("count"), qn("expires_at")
    conflict = (
        f" ON CONFLICT ({key}) DO UPDATE SET {count} = excluded.{count},"
        f" {expires} = excluded.{expires}"
    )
    at = connection.ops.adapt_datetimefield_value(until)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            keys, numbers = zip(*rows, strict=True)
            cursor.execute(
                f"INSERT INTO {table} ({key}, {count}, {expires})"  # noqa: S608
                " SELECT k, n, %s FROM unnest(%s::text[], %s::bigint[]) AS t (k, n)" + conflict,
                [at, text_array_literal(keys), array_literal(numbers)],
            )
            return
        for first in range(0, len(rows), CHUNK):
            chunk = rows[first : first + CHUNK]
            cursor.execute(
                f"INSERT INTO {table} ({key}, {count}, {expires}) VALUES "  # noqa: S608
                + ", ".join(["(%s, %s, %s)"] * len(chunk))
                + conflict,
                [value for pair in chunk for value in (*pair, at)],
            )
