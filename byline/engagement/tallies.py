"""The SQL of a vote: lock the reader's row, change it, move the running totals.

A vote is the hottest write on the site, so it skips the ORM. On PostgreSQL
it is one call of a function (``engagement_react_figures`` /
``engagement_rate_figures``, written in ``votesql.py``) that votes and returns
the figures after the vote: one statement, one round trip, one implicit
transaction. On
other databases the same steps run from Python in plain SQL both speak
(``ON CONFLICT`` upserts), inside one transaction, in this order:
``lock_vote``, ``set_vote``, then the totals (their own keys sorted, all in
the one shard the vote picked), so concurrent votes never deadlock. Totals
are sharded (see ``models.TALLY_SHARDS``): the lock a vote holds on a total
until its commit is flushed is on one of sixteen rows, not on the article's
only one. Both paths are tested against the same
behaviour; the concurrency tests run the PostgreSQL one.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from byline.engagement import batches
from byline.engagement.models import (
    TALLY_SHARDS,
    Rating,
    Reaction,
    ReactionTally,
    StarTally,
)
from byline.engagement.stats import Figures, ensure_stats_row, figures_from_rows

VoteModel = type[Reaction] | type[Rating]
TallyModel = type[ReactionTally] | type[StarTally]


def _column(model: VoteModel) -> str:
    return "reaction" if model is Reaction else "stars"


def _now() -> Any:
    return connection.ops.adapt_datetimefield_value(datetime.now(UTC))


def lock_vote(model: VoteModel, article_id: int, reader: str) -> tuple[int, object]:
    """The reader's vote row (id, value), locked; created empty if they never voted.

    Rows are never deleted, only emptied, so once the insert has happened (ours
    or a concurrent one's: ``ON CONFLICT DO NOTHING`` waits for it) the second
    select always finds the row.
    """
    table, column = model._meta.db_table, _column(model)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = f"SELECT id, {column} FROM {table} WHERE article_id = %s AND reader = %s{lock}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(select, [article_id, reader])
        row = cursor.fetchone()
        if row is None:
            now = _now()
            cursor.execute(
                f"INSERT INTO {table} (article_id, reader, {column}, created_at, updated_at) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (article_id, reader) DO NOTHING",
                [article_id, reader, "" if model is Reaction else None, now, now],
            )
            cursor.execute(select, [article_id, reader])
            row = cursor.fetchone()
    return row[0], row[1]


def set_vote(model: VoteModel, vote_id: int, value: str | int | None) -> None:
    """Store the reader's new choice on their locked row."""
    table, column = model._meta.db_table, _column(model)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s, updated_at = %s WHERE id = %s",  # noqa: S608
            [value, _now(), vote_id],
        )


def pick_shard() -> int:
    """The shard a vote moves: any will do, since readers sum them; random spreads the locks."""
    return random.randrange(TALLY_SHARDS)  # noqa: S311  (spreading load, not a secret)


def move_tallies(model: TallyModel, article_id: int, changes: dict[Any, int], shard: int) -> None:
    """Add each delta to its choice's count in ``shard``, choices in sorted order.

    A shard row missing for this (article, choice) is created, with the
    article's totals row first (the page reads the tallies through it).
    """
    table = model._meta.db_table
    column = "reaction" if model is ReactionTally else "stars"
    with connection.cursor() as cursor:
        for key in sorted(changes):
            delta = changes[key]
            cursor.execute(
                f"UPDATE {table} SET count = count + %s "  # noqa: S608
                f"WHERE article_id = %s AND {column} = %s AND shard = %s",
                [delta, article_id, key, shard],
            )
            if cursor.rowcount == 0:
                ensure_stats_row(article_id)
                cursor.execute(
                    f"INSERT INTO {table} (article_id, {column}, shard, count) "  # noqa: S608
                    f"VALUES (%s, %s, %s, %s) ON CONFLICT (article_id, {column}, shard) "
                    f"DO UPDATE SET count = {table}.count + excluded.count",
                    [article_id, key, shard, delta],
                )


def in_one_call() -> bool:
    """Whether this database casts a vote with one function call (PostgreSQL)."""
    return connection.vendor == "postgresql"


def react_in_one_call(
    article_id: int, reader: str, reaction: str | None, shard: int
) -> tuple[str | None, Figures]:
    """``engagement_react_figures()``: set the reaction, or (None) withdraw it.

    Returns the reader's reaction afterwards and the article's figures with it.
    """
    if batches.in_use():
        return batches.cast("reaction", article_id, reader, reaction or "")
    value, figures = _vote_and_figures(
        "SELECT * FROM engagement_react_figures(%s, %s, %s, %s)",
        [article_id, reader, reaction or "", shard],
    )
    return value or None, figures


def rate_in_one_call(
    article_id: int, reader: str, stars: int | None, shard: int
) -> tuple[int | None, Figures]:
    """``engagement_rate_figures()``: set, change or (None) withdraw; the rating after, and
    the figures."""
    if batches.in_use():
        value, figures = batches.cast(
            "rating", article_id, reader, str(stars) if stars is not None else None
        )
    else:
        value, figures = _vote_and_figures(
            "SELECT * FROM engagement_rate_figures(%s, %s, %s, %s)",
            [article_id, reader, stars, shard],
        )
    return (int(value) if value is not None else None), figures


def _vote_and_figures(sql: str, params: list[Any]) -> tuple[Any, Figures]:
    """Cast a vote and read the figures after it: one statement (``votesql.FIGURES``).

    Its first row is the reader's vote afterwards, the others the figures;
    the statement is its own transaction, committed before the answer is sent.
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return rows[0][1], figures_from_rows(rows[1:])
