"""The SQL of a vote: lock the reader's row, change it, move the running totals.

A vote is the hottest write on the site, so it skips the ORM. On PostgreSQL
it is one call of a function (``engagement_react`` / ``engagement_rate``,
created by migration 0003): one round trip and one implicit transaction. On
other databases the same steps run from Python in plain SQL both speak
(``ON CONFLICT`` upserts), inside one transaction, in this order:
``lock_vote``, ``set_vote``, then the totals (their own keys sorted), so
concurrent votes never deadlock. Both paths are tested against the same
behaviour; the concurrency tests run the PostgreSQL one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection

from byline.engagement.models import ArticleStats, Rating, Reaction, ReactionTally
from byline.engagement.stats import ensure_stats_row

VoteModel = type[Reaction] | type[Rating]


def _column(model: VoteModel) -> str:
    return "reaction" if model is Reaction else "stars"


def _now():
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


def set_vote(model: VoteModel, vote_id: int, value: object) -> None:
    """Store the reader's new choice on their locked row."""
    table, column = model._meta.db_table, _column(model)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s, updated_at = %s WHERE id = %s",  # noqa: S608
            [value, _now(), vote_id],
        )


def move_reaction_tallies(article_id: int, changes: dict[str, int]) -> None:
    """Add each delta to its reaction's count, keys in sorted order."""
    table = ReactionTally._meta.db_table
    with connection.cursor() as cursor:
        for key in sorted(changes):
            delta = changes[key]
            cursor.execute(
                f"UPDATE {table} SET count = count + %s WHERE article_id = %s AND reaction = %s",  # noqa: S608
                [delta, article_id, key],
            )
            if cursor.rowcount == 0 and delta > 0:  # the article's first reaction of this kind
                ensure_stats_row(article_id)  # the page reads tallies through the totals row
                cursor.execute(
                    f"INSERT INTO {table} (article_id, reaction, count) VALUES (%s, %s, %s) "  # noqa: S608
                    f"ON CONFLICT (article_id, reaction) DO UPDATE "
                    f"SET count = {table}.count + excluded.count",
                    [article_id, key, delta],
                )


def move_star_counts(article_id: int, changes: dict[int, int]) -> None:
    """Add each delta to the article's count of that many stars, in one statement."""
    table = ArticleStats._meta.db_table
    assignments = ", ".join(
        f"stars_{int(stars)} = stars_{int(stars)} + %s" for stars in sorted(changes)
    )
    params = [changes[stars] for stars in sorted(changes)] + [article_id]
    sql = f"UPDATE {table} SET {assignments} WHERE article_id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount == 0:
            ensure_stats_row(article_id)
            cursor.execute(sql, params)


def in_one_call() -> bool:
    """Whether this database casts a vote with one function call (PostgreSQL)."""
    return connection.vendor == "postgresql"


def react_in_one_call(article_id: int, reader: str, reaction: str | None) -> str | None:
    """``engagement_react()``: add, move, toggle off or (None) withdraw; the reaction after."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT engagement_react(%s, %s, %s)", [article_id, reader, reaction or ""])
        return cursor.fetchone()[0] or None


def rate_in_one_call(article_id: int, reader: str, stars: int | None) -> int | None:
    """``engagement_rate()``: set, change or (None) withdraw; the rating after."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT engagement_rate(%s, %s, %s)", [article_id, reader, stars])
        return cursor.fetchone()[0]
