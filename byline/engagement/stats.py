"""An article's figures: its running totals, the views not yet in them, and the
write of votes that moves them.

Other apps go through these functions, never through the engagement tables.
Everything the article page shows comes from ``figures_for()`` in one query;
what the API shows (``counts_json()``) adds the views still buffered, read by
``figures_and_pending()`` (the counts of every answer, a vote's included, are
computed here and nowhere else).

``cast_votes()`` is the one write of votes (every vote, from every path,
reaches it through ``actions.vote`` or the vote caster of ``batches.py``): it
sets each reader's row and moves the totals in the same transaction, so the
totals always equal a recount of the rows, and returns the figures after
it. On PostgreSQL that is one statement (``votesql.py``); on other databases
the same steps run from Python in plain SQL both speak (``ON CONFLICT``
upserts), inside one transaction, in the same order: lock (or create empty)
the reader's row, change it unless it already holds the choice, then move
the totals (their keys sorted, all in the one shard the call picked), so
concurrent votes never deadlock. Totals are sharded (``models.TALLY_SHARDS``):
the lock a vote holds on a total until its commit is flushed is on one of
sixteen rows, not on the article's only one. A withdrawn vote keeps its
(emptied) row, so a reader's row is inserted at most once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import redis
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from byline import redisconn
from byline.db import PRIMARY, AnyOf, Ids, Statement, any_of_sql, are_ids, ids_parameter
from byline.engagement import votesql
from byline.engagement.models import (
    STARS,
    TALLY_SHARDS,
    ArticleStats,
    PendingView,
    Rating,
    Reaction,
    ReactionTally,
    StarTally,
    ViewBatch,
)
from byline.postgres import cutoff
from byline.redisconn import redis_client, script

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from redis import Redis

    from byline.articles.models import Article


def shares(counts: list[int]) -> list[int]:
    """Whole-number percentages of ``counts`` that add up to exactly 100.

    Largest remainder: each share is rounded down, then the points still
    missing go to the largest remainders (earlier items first on a tie). All
    zero when there is nothing to share.
    """
    total = sum(counts)
    if total == 0:
        return [0] * len(counts)
    floors = [count * 100 // total for count in counts]
    remainders = [count * 100 % total for count in counts]
    missing = 100 - sum(floors)
    order = sorted(range(len(counts)), key=lambda i: (-remainders[i], i))
    for i in order[:missing]:
        floors[i] += 1
    return floors


@dataclass(frozen=True)
class ReactionFigure:
    """One reaction's emoji, label, count and share of all reactions on the article."""

    key: str
    emoji: str
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class StarFigure:
    """How many readers gave this many stars, and their share of all ratings."""

    stars: int
    count: int
    percent: int


@dataclass(frozen=True)
class Figures:
    """An article's running totals, read in one query."""

    views: int = 0
    comments: int = 0
    reactions: tuple[ReactionFigure, ...] = ()
    rating_counts: dict[int, int] = field(default_factory=lambda: dict.fromkeys(STARS, 0))

    @property
    def reaction_total(self) -> int:
        return sum(reaction.count for reaction in self.reactions)

    @property
    def rating_count(self) -> int:
        return sum(self.rating_counts.values())

    @property
    def rating_average(self) -> Decimal | None:
        """The mean number of stars to one decimal, or None without ratings."""
        count = self.rating_count
        if not count:
            return None
        total = sum(stars * n for stars, n in self.rating_counts.items())
        return (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def stars(self) -> tuple[StarFigure, ...]:
        """5 Star … 1 Star, each with its count and share."""
        order = sorted(STARS, reverse=True)
        percents = shares([self.rating_counts[stars] for stars in order])
        return tuple(
            StarFigure(stars, self.rating_counts[stars], percent)
            for stars, percent in zip(order, percents, strict=True)
        )

    def aggregate_rating(self) -> dict[str, Any] | None:
        """The schema.org ``AggregateRating`` for the article's JSON-LD, or None without ratings."""
        if not self.rating_count:
            return None
        return {
            "@type": "AggregateRating",
            "ratingValue": float(self.rating_average),  # type: ignore[arg-type]
            "ratingCount": self.rating_count,
            "bestRating": 5,
            "worstRating": 1,
        }

    def as_json(self) -> dict[str, Any]:
        """The figures as the JSON API returns them (see docs/api.md)."""
        average = self.rating_average
        return {
            "views": self.views,
            "comments": self.comments,
            "reactions": [
                {
                    "key": r.key,
                    "emoji": r.emoji,
                    "label": r.label,
                    "count": r.count,
                    "percent": r.percent,
                }
                for r in self.reactions
            ],
            "rating": {
                "average": float(average) if average is not None else None,
                "count": self.rating_count,
                "stars": [
                    {"stars": s.stars, "count": s.count, "percent": s.percent} for s in self.stars
                ],
            },
        }


def _reaction_figures(counts: dict[str, int]) -> tuple[ReactionFigure, ...]:
    kinds = settings.BYLINE_REACTIONS
    numbers = [counts.get(kind.key, 0) for kind in kinds]
    return tuple(
        ReactionFigure(kind.key, kind.emoji, kind.label, count, percent)
        for kind, count, percent in zip(kinds, numbers, shares(numbers), strict=True)
    )


def figures_for(article_id: int) -> Figures:
    """Everything the article page shows of its engagement, in one query.

    Zero for an article nobody has seen. Reactions no longer configured are
    left out (their rows stay, and come back if the reaction does). The
    totals row, then each reaction's and each star count's sum of its shards
    (at most ``TALLY_SHARDS`` rows each, read by index): it is read on every
    page render and every API call, so it skips the ORM's query building.
    """
    with connection.cursor() as cursor:
        cursor.execute(*figures_query(article_id))
        return figures_from_rows(cursor.fetchall())


def figures_query(article_id: int) -> tuple[str, list[int]]:
    """The SQL and parameters of ``figures_for()``, for a caller that sends it itself."""
    stats = ArticleStats._meta.db_table
    reactions, stars = ReactionTally._meta.db_table, StarTally._meta.db_table
    sql = (
        f"SELECT 'v', NULL, views, comments FROM {stats} WHERE article_id = %s "  # noqa: S608
        f"UNION ALL SELECT 'r', reaction, SUM(count), 0 FROM {reactions} "
        "WHERE article_id = %s GROUP BY reaction "
        f"UNION ALL SELECT 's', CAST(stars AS TEXT), SUM(count), 0 FROM {stars} "
        "WHERE article_id = %s GROUP BY stars"
    )
    return sql, [article_id] * 3


def array_literal(values: Iterable[int | date]) -> str:
    """Integers or dates as PostgreSQL's text of an array (``{1,2,3}``), for a
    ``%s::bigint[]`` or ``%s::date[]`` parameter: psycopg's own adaptation of a list
    costs 70-115 µs for 70 values, this 15-30 (the view folder sends several a second)."""
    return "{" + ",".join(map(str, values)) + "}"


def text_array_literal(values: Iterable[str | None]) -> str:
    """Texts (None: NULL) as PostgreSQL's text of an array, each element quoted, for a
    ``%s::text[]`` parameter: psycopg's own adaptation of the four lists of a vote
    cost about 250 µs of a vote's CPU, this a tenth of it."""
    return "{" + ",".join(
        "NULL" if value is None
        else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for value in values
    ) + "}"  # fmt: skip


def figures_of_many(article_ids: list[int]) -> dict[int, Figures]:
    """``figures_for()`` of many articles in one query (the articles nobody has seen:
    zeros)."""
    if not article_ids:
        return {}
    if not are_ids(article_ids):
        raise TypeError(f"Articles' ids are ints, not {article_ids!r:.200}")
    stats = ArticleStats._meta.db_table
    reactions, stars = ReactionTally._meta.db_table, StarTally._meta.db_table
    # The ids in one parameter, as ``db.AnyOf`` writes them (PostgreSQL's "= ANY(array)":
    # "IN (SELECT unnest(array))" was planned as a join, 330 µs of the server's CPU for
    # 10 articles, a look at the counts files, this 130): one SQL for any number of ids.
    vendor = connection.vendor
    among, params = any_of_sql(vendor), [ids_parameter(vendor, article_ids)] * 3
    sql = (
        f"SELECT 'v', article_id, NULL, views, comments FROM {stats} "  # noqa: S608
        f"WHERE article_id {among} "
        f"UNION ALL SELECT 'r', article_id, reaction, SUM(count), 0 FROM {reactions} "
        f"WHERE article_id {among} GROUP BY article_id, reaction "
        f"UNION ALL SELECT 's', article_id, CAST(stars AS TEXT), SUM(count), 0 FROM {stars} "
        f"WHERE article_id {among} GROUP BY article_id, stars"
    )
    by_article: dict[int, list[tuple[Any, ...]]] = {article_id: [] for article_id in article_ids}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, article_id, key, number, other in cursor.fetchall():
            by_article[article_id].append((kind, key, number, other))
    return {article_id: figures_from_rows(rows) for article_id, rows in by_article.items()}


def figures_from_rows(rows: list[tuple[Any, ...]]) -> Figures:
    """The ``Figures`` of the rows ``figures_query()`` returned."""
    views = comments = 0
    reaction_counts: dict[str, int] = {}
    rating_counts = dict.fromkeys(STARS, 0)
    for kind, key, number, other in rows:
        if kind == "v":
            views, comments = number, other
        elif kind == "r":
            reaction_counts[key] = int(number)
        elif int(key) in rating_counts:
            rating_counts[int(key)] = int(number)
    return Figures(
        views=views,
        comments=comments,
        reactions=_reaction_figures(reaction_counts),
        rating_counts=rating_counts,
    )


# The views still buffered (``viewbuffer.py`` buffers and flushes them). A counted
# view waits in Redis (a hash field per article and UTC day) or in ``PendingView``
# rows until a flush adds it to the totals. A flush renames the Redis hash to a
# batch of its own (its token numbered by an epoch), applies it and records its
# token in one transaction, then deletes it. ``figures_and_pending`` reads Redis
# first (the buffer, the epoch of the last batch taken, and every batch in flight,
# in one script), then the database in one statement (the totals, the database
# buffer, which of those batches it has already applied, and whether the next
# batch, the one that takes what the buffer held, is applied too), so each view is
# counted exactly once whatever point the flush has reached.

PENDING_KEY = "byline:engagement:views:pending"
BATCH_PREFIX = "byline:engagement:views:batch:"
IN_FLIGHT_KEY = "byline:engagement:views:in-flight"  # tokens of batches taken, not yet deleted
EPOCH_KEY = "byline:engagement:views:epoch"  # how many batches were taken (starts at a time in ms)


def pending_views(article_id: int) -> int:
    """Views of the article still in the buffers (not yet in its totals)."""
    return figures_and_pending(article_id, with_figures=False)[1]


# Today's and yesterday's buffered views of an article (ARGV = the two fields),
# the epoch (the last batch taken), then, for each batch in flight holding some,
# its token and how many.
_READ_PENDING = """
local result = {redis.call('HGET', KEYS[1], ARGV[1]) or '0',
                redis.call('HGET', KEYS[1], ARGV[2]) or '0',
                redis.call('GET', KEYS[3]) or '0'}
for _, token in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    local a = redis.call('HGET', ARGV[3] .. token, ARGV[1])
    local b = redis.call('HGET', ARGV[3] .. token, ARGV[2])
    if a or b then
        table.insert(result, token)
        table.insert(result, (tonumber(a) or 0) + (tonumber(b) or 0))
    end
end
return result
"""


def batch_token(epoch: int, suffix: str = "") -> str:
    """The token of the batch taken at ``epoch`` (they sort by epoch)."""
    return f"e{epoch:015d}-{suffix}"


def _read_redis(client: Redis, article_id: int) -> tuple[int, int, dict[str, int]]:
    """The article's buffered views in Redis, the epoch, and the views in each batch
    in flight."""
    today = datetime.now(UTC).date()
    fields = [f"{article_id}:{day.isoformat()}" for day in (today, today - timedelta(days=1))]
    reply = script(client, _READ_PENDING)(
        keys=[PENDING_KEY, IN_FLIGHT_KEY, EPOCH_KEY], args=[*fields, BATCH_PREFIX]
    )
    pending, epoch = int(reply[0]) + int(reply[1]), int(reply[2])
    in_flight = {
        (token.decode() if isinstance(token, bytes) else str(token)): int(count)
        for token, count in zip(reply[3::2], reply[4::2], strict=True)
    }
    return pending, epoch, in_flight


def figures_and_pending(article_id: int, with_figures: bool = True) -> tuple[Figures, int, bool]:
    """The article's figures, its views still buffered, and whether those are stale.

    Redis first, then one database statement (see "The views still buffered"
    above), so a flush at any point of its work neither hides nor doubles a view.
    """
    client = redis_client()
    redis_pending, epoch, stale = 0, None, False
    in_flight: dict[str, int] = {}
    if client is not None:
        try:
            redis_pending, epoch, in_flight = _read_redis(client, article_id)
        except redis.RedisError:
            stale = True
    sql, figure_params = figures_query(article_id) if with_figures else ("", [])
    parts = [sql] if sql else []
    parts.append(
        f"SELECT 'p', NULL, COUNT(*), 0 FROM {PendingView._meta.db_table} WHERE article_id = %s"  # noqa: S608
    )
    params: list[Any] = [*figure_params, article_id]
    if in_flight:
        marks = ", ".join(["%s"] * len(in_flight))
        parts.append(
            f"SELECT 'b', token, 0, 0 FROM {ViewBatch._meta.db_table} WHERE token IN ({marks})"  # noqa: S608
        )
        params += list(in_flight)
    if redis_pending and epoch is not None:
        # The views buffered at the Redis read all go into the next batch taken: if
        # that batch is already applied, the totals hold them.
        parts.append(
            f"SELECT 'n', NULL, COUNT(*), 0 FROM {ViewBatch._meta.db_table} "  # noqa: S608
            "WHERE token >= %s AND token < %s"
        )
        params += [batch_token(epoch + 1), batch_token(epoch + 2)]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    applied = {row[1] for row in rows if row[0] == "b"}
    database_pending = sum(int(row[2]) for row in rows if row[0] == "p")
    if any(row[0] == "n" and row[2] for row in rows):
        redis_pending = 0  # taken and applied between the Redis read and this statement
    pending = redis_pending + database_pending
    pending += sum(count for token, count in in_flight.items() if token not in applied)
    figures = figures_from_rows([row for row in rows if row[0] not in ("p", "b", "n")])
    return figures, pending, stale


def pending_views_field(article_id: int) -> tuple[str, str]:
    """The Redis hash key and field holding ``pending_views()``; ``int(value or 0)`` is it."""
    return PENDING_KEY, _pending_field(article_id)


def _pending_field(article_id: int) -> str:
    return f"{article_id}:{datetime.now(UTC).date().isoformat()}"


def counts_json(
    article_id: int, figures: Figures | None = None, pending: int | None = None
) -> dict[str, Any]:
    """The counts as the API shows them: the totals plus the views still buffered.

    ``"stale": true`` is added when Redis could not be read: the figures then
    leave out the views buffered there (docs/api.md).
    """
    stale = False
    if figures is None or pending is None:
        # The totals and the buffers read together (one statement after the Redis
        # read), so a flush in between can neither hide nor double a view.
        figures, pending, stale = figures_and_pending(article_id)
    counts = figures.as_json()
    counts["views"] += pending
    if stale:
        counts["stale"] = True
    return counts


# More figures in an article's counts JSON, from apps built on this one (the
# comments' reaction counts, ``discussion.reactions.counts_of_articles``): the name
# in the JSON -> a function of article ids answering {article id: value} for each.
_more_counts: dict[str, Callable[[list[int]], Mapping[int, Any]]] = {}


def also_count(name: str, figures_of: Callable[[list[int]], Mapping[int, Any]]) -> None:
    """The counts JSON (the counts endpoint and the counts files, not a vote's answer)
    also carries ``name``: ``figures_of(article ids)[article id]`` (one query for all)."""
    _more_counts[name] = figures_of


def with_more_counts(bodies: Mapping[int, dict[str, Any]]) -> None:
    """Add the figures registered with ``also_count`` to these articles' counts JSON."""
    ids = list(bodies)
    for name, figures_of in _more_counts.items() if ids else ():
        found = figures_of(ids)
        for article_id, counts in bodies.items():
            if article_id in found:
                counts[name] = found[article_id]


# Which articles' counts changed, for the view folder (``countfiles``), which then
# reads only those again: a Redis stream, one entry per change after its commit
# (a vote, a comment or an article changed, a comment's reaction, views the app
# counted or flushed, a fold of the view log), ``a`` the article ids ("0": every
# article), ``by`` who wrote it (a folder skips its own folds: it knows those
# views). Entries older than ``CHANGED_KEEP_SECONDS`` are trimmed; a folder that
# has not read for longer, or cannot read, reads every article again.
CHANGED_KEY = "byline:engagement:counts:changed"
CHANGED_KEEP_SECONDS = 300


def changed_entry(article_ids: Iterable[int] | None, by: str = "") -> dict[str, str] | None:
    """The stream entry that says these articles' counts changed (None: every article);
    None when there is nothing to say."""
    ids = "0" if article_ids is None else ",".join(str(a) for a in sorted(set(article_ids)))
    return {"a": ids, "by": by} if ids else None


def changed_trim() -> dict[str, Any]:
    """``XADD``'s arguments that trim the entries older than ``CHANGED_KEEP_SECONDS``."""
    return {"minid": int((time.time() - CHANGED_KEEP_SECONDS) * 1000), "approximate": True}


def changed_command(entry: dict[str, str]) -> tuple[Any, ...]:
    """The ``XADD`` of ``entry`` with ``changed_trim()``, as redis-py's ``xadd`` writes it."""
    fields = [part for pair in entry.items() for part in pair]
    return ("XADD", CHANGED_KEY, "MINID", "~", changed_trim()["minid"], "*", *fields)


def mark_changed(
    article_ids: Iterable[int] | None, by: str = "", also: Sequence[tuple[Any, ...]] = ()
) -> bool:
    """Say that these articles' counts changed (None: every article's); call after the
    commit. Never raises: with Redis failing or absent the mark is skipped, and the
    folder's full look every ``countfiles.FULL_SECONDS`` (or at every look without
    Redis) shows the change. Without a view log folder (the embedded tier) nobody
    reads the marks: none is sent. False when Redis failed or refused it (the change
    may wait for that full look). ``also``: commands sent in the same round trip (the
    view folder's ``DEL`` of a committed batch's decisions), sent even when no mark is;
    a failure of theirs is logged as the mark's."""
    entry = changed_entry(article_ids, by) if settings.BYLINE_VIEW_LOG_DIR else None
    if entry is None and not also:
        return True
    client = redis_client()
    if client is None:
        return True
    commands = [*also, *([changed_command(entry)] if entry is not None else [])]
    try:
        for reply in redisconn.round_trip(client, commands):
            if isinstance(reply, redis.ResponseError):
                raise reply
    except redis.ResponseError as error:  # refused (maxmemory): one line a while
        redisconn.refused(error, "counts marks", "the counts files are read in full")
    except redis.RedisError as error:  # down: the breaker said so
        logger.debug("the counts files show this change at the next full look: %s", error)
    else:
        redisconn.wrote()
        return True
    return False


def mark_changed_after_commit(article_ids: Iterable[int] | None, by: str = "") -> None:
    """``mark_changed`` once the current transaction commits (at once outside one)."""
    ids = None if article_ids is None else list(article_ids)
    transaction.on_commit(lambda: mark_changed(ids, by))


def ensure_stats_row(article_id: int) -> None:
    """Create the article's totals row if it is missing; safe when two requests race."""
    ArticleStats.objects.bulk_create([ArticleStats(article_id=article_id)], ignore_conflicts=True)


COMMENT_COUNT_SQL = f"UPDATE {ArticleStats._meta.db_table} SET comments = %s WHERE article_id = %s"  # noqa: S608


def set_comment_count(article_id: int, count: int) -> None:
    """Record how many approved comments an article has (the discussion app calls this).

    Only the ``comments`` column is written, so concurrent votes and view
    flushes on the same row are never overwritten. Plain SQL, built once (after every
    published comment: the ORM built it in ~0.25 ms of CPU, the statement costs ~0.1).
    """
    with connection.cursor() as cursor:
        cursor.execute(COMMENT_COUNT_SQL, [count, article_id])
        written = cursor.rowcount
    if not written:
        ensure_stats_row(article_id)
        ArticleStats.objects.filter(article_id=article_id).update(comments=count)


def set_comment_counts(counts: Mapping[int, int]) -> None:
    """``set_comment_count`` for many articles at once (an import): missing rows are
    created in bulk, then one UPDATE statement is run for all of them (executemany).

    Like ``set_comment_count``, only the ``comments`` column is written.
    """
    if not counts:
        return
    rows = [ArticleStats(article_id=article_id) for article_id in counts]
    ArticleStats.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.executemany(
            COMMENT_COUNT_SQL, [(count, article_id) for article_id, count in counts.items()]
        )


def aggregate_rating(article_id: int) -> dict[str, Any] | None:
    """The schema.org ``AggregateRating`` for an article, or None without ratings."""
    return figures_for(article_id).aggregate_rating()


def article_page_context(article: Article) -> dict[str, object]:
    """What the article page shows of engagement: its figures and the rating for search
    engines (registered with ``byline.articles.hooks`` in ``EngagementConfig.ready``)."""
    figures = figures_for(article.pk)
    return {
        "figures": figures,
        "aggregate_rating": figures.aggregate_rating(),
        "counts_refresh_seconds": settings.BYLINE_COUNTS_REFRESH_SECONDS,
    }


# The write of votes.

# (kind, article, reader, value): kind "reaction" or "rating", value the reaction
# key or the stars as text; '' or None withdraws.
Vote = tuple[str, int, str, str | None]
# The reader's vote afterwards (None for none) and the article's figures.
Outcome = tuple[str | None, Figures]

VoteModel = type[Reaction] | type[Rating]
TallyModel = type[ReactionTally] | type[StarTally]


@dataclass(frozen=True)
class _Kind:
    """What a reaction and a rating differ in (as ``votesql.KINDS`` on PostgreSQL)."""

    votes: VoteModel
    tallies: TallyModel
    column: str
    stored: type[str] | type[int]  # the type of the choice in the rows
    empty: str | None  # the vote row's choice for none


_KINDS = {
    "reaction": _Kind(Reaction, ReactionTally, "reaction", str, ""),
    "rating": _Kind(Rating, StarTally, "stars", int, None),
}


def pick_shard() -> int:
    """The shard a vote moves: any will do, since readers sum them; random spreads the locks."""
    return random.randrange(TALLY_SHARDS)  # noqa: S311  (spreading load, not a secret)


def _published_among(ids: Collection[int], now: datetime) -> QuerySet[Any, int]:
    from byline.articles.models import Article

    return (
        Article.objects.published(now)
        .filter(AnyOf("pk", ids))
        .order_by()
        .values_list("pk", flat=True)
    )


# The published ones (``Article.objects.published()`` by the time given) among some
# articles (their ids): the votes' check (inside their statement on PostgreSQL) and the
# view folder's (``countfiles.published_among``, at every fold and every look at the
# counts files), on the primary. Its SQL written once (``db.Statement``): the ORM built
# it in ~0.7 ms of CPU, the statement itself ~0.1.
PUBLISHED_AMONG = Statement(_published_among, Ids, datetime, using=PRIMARY)


def cast_votes(votes: Sequence[Vote], shard: int | None = None, by: str = "") -> list[Outcome]:
    """Cast ``votes`` as if one after another, in one transaction; each one's outcome.

    Setting the choice a reader already has changes nothing, so a retry is
    harmless. Raises what the database raised (nothing is then written):
    ``RanLate`` when the statement ran past its cut-off on PostgreSQL. ``by``: who the
    articles' marks name (``mark_changed``).
    """
    shard = pick_shard() if shard is None else shard
    if connection.vendor == "postgresql":
        outcomes = _cast_in_one_statement(votes, shard)
        mark_changed_after_commit({vote[1] for vote in votes}, by)  # dropped on a rollback
        return outcomes
    with transaction.atomic():
        after = [_cast_one(vote, shard) for vote in votes]
        figures = {article: figures_for(article) for article in {vote[1] for vote in votes}}
    mark_changed_after_commit(figures, by)
    return [(mine, figures[vote[1]]) for vote, mine in zip(votes, after, strict=True)]


def cast_published_votes(
    votes: Sequence[Vote], shard: int | None = None, by: str = ""
) -> list[Outcome | None]:
    """``cast_votes()`` of the votes on published articles (``Article.objects.published()``:
    the articles' rows as the cast finds them, "published by now" by this process's
    clock when it sends the cast, as everywhere the ORM asks); None for each vote on any
    other article, which is not cast. On PostgreSQL the check is part of the one
    statement (the vote caster's casts: one round trip a vote, not a query before it).
    ``by``: who the articles' marks name (``mark_changed``)."""
    shard = pick_shard() if shard is None else shard
    articles = {vote[1] for vote in votes}
    if connection.vendor != "postgresql":
        live = set(PUBLISHED_AMONG.rows(articles, timezone.now()))
        cast = [vote for vote in votes if vote[1] in live]
        outcomes = iter(cast_votes(cast, shard, by) if cast else [])
        return [next(outcomes) if vote[1] in live else None for vote in votes]
    query = PUBLISHED_AMONG.query(articles, timezone.now())
    found = _cast_in_one_statement(votes, shard, query)
    mark_changed_after_commit(
        {vote[1] for vote, outcome in zip(votes, found, strict=True) if outcome}, by
    )
    return found


class RanLate(OperationalError):
    """The votes' statement ran past its cut-off (``byline.postgres.cutoff``) and cast
    nothing: a 503 for their readers, who may send them again."""


def _cast_in_one_statement(
    votes: Sequence[Vote], shard: int, live: tuple[str, list[Any]] | None = None
) -> list[Any]:
    """The votes cast by ``votesql``'s statement, each one's outcome; with ``live`` (the
    SQL of the published ones among the votes' articles and its parameters), only the
    votes on those articles, None for the others. The statement is cut off where the
    app stops waiting for it (``byline.postgres.cutoff``).

    Votes all on one article (every vote that came alone) are cast only if it is
    published, by ``votesql.CALL_IF_PUBLISHED``: no rows back when it is not. The
    statement is planned at every call, and ``CALL_PUBLISHED``'s, which sorts out the
    votes of several articles, cost the server about 0.1 ms more CPU a vote."""
    arguments: list[Any] = [
        text_array_literal(vote[0] for vote in votes),
        array_literal(vote[1] for vote in votes),
        text_array_literal(vote[2] for vote in votes),
        text_array_literal(vote[3] for vote in votes),
        shard,
        None,
        None,
    ]
    articles = [vote[1] for vote in votes]
    one_article = bool(articles) and all(article == articles[0] for article in articles)
    with connection.cursor() as cursor:  # (the health check, if any, first)
        arguments[-2:] = cutoff.deadlines(connection)
        try:
            if live is None:
                cursor.execute(votesql.CALL, arguments)
            elif one_article:
                cursor.execute(votesql.CALL_IF_PUBLISHED % live[0], [*arguments, *live[1]])
            else:
                cursor.execute(
                    f"WITH live(id) AS ({live[0]})" + votesql.CALL_PUBLISHED,
                    [*live[1], *arguments],
                )
        except OperationalError as error:
            if cutoff.ran_late(error):
                cutoff.forget(connection)
                raise RanLate(str(error)) from error
            raise
        rows = cursor.fetchall()
    mine: dict[int, str | None] = {}
    # One article: cast (rows back) if and only if it was published.
    published: set[int] = {articles[0]} if live is not None and one_article and rows else set()
    by_article: dict[int, list[tuple[Any, ...]]] = {article: [] for article in articles}
    for kind, article, key, number, other in rows:
        if kind == "m":
            mine[number] = key
        elif kind == "l":
            published.add(article)
        elif kind == "c":
            cutoff.remember(connection, number)
        else:
            by_article[article].append((kind, key, number, other))
    figures = {article: figures_from_rows(rows) for article, rows in by_article.items()}
    if live is None:
        return [(mine[n] or None, figures[articles[n - 1]]) for n in range(1, len(votes) + 1)]
    cast = iter(range(1, len(votes) + 1))  # the cast votes are numbered in their order
    return [
        (mine[next(cast)] or None, figures[article]) if article in published else None
        for article in articles
    ]


def _cast_one(vote: Vote, shard: int) -> str | None:
    """``votesql``'s steps for one vote, from Python (inside a transaction)."""
    kind_name, article_id, reader, value = vote
    kind = _KINDS[kind_name]
    vote_id, previous = _lock_vote(kind, article_id, reader)
    chosen = value or None
    if chosen == previous:  # the same choice again changes nothing
        return chosen
    table = kind.votes._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {kind.column} = %s, updated_at = %s WHERE id = %s",  # noqa: S608
            [kind.empty if chosen is None else kind.stored(chosen), _now(), vote_id],
        )
    changes: dict[str | int, int] = {}
    if previous is not None:
        changes[kind.stored(previous)] = -1
    if chosen is not None:
        changes[kind.stored(chosen)] = 1
    _move_tallies(kind, article_id, changes, shard)
    return chosen


def _now() -> Any:
    return connection.ops.adapt_datetimefield_value(datetime.now(UTC))


def _lock_vote(kind: _Kind, article_id: int, reader: str) -> tuple[int, str | None]:
    """The reader's vote row (id, choice as text or None), locked; created empty if they
    never voted.

    Rows are never deleted, only emptied, so once the insert has happened (ours
    or a concurrent one's: ``ON CONFLICT DO NOTHING`` waits for it) the second
    select always finds the row.
    """
    table, column = kind.votes._meta.db_table, kind.column
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
                [article_id, reader, kind.empty, now, now],
            )
            cursor.execute(select, [article_id, reader])
            row = cursor.fetchone()
    assert row is not None
    return row[0], (str(row[1]) if row[1] not in (None, "") else None)


def _move_tallies(kind: _Kind, article_id: int, changes: dict[str | int, int], shard: int) -> None:
    """Add each delta to its choice's count in ``shard``, choices in sorted order.

    A shard row missing for this (article, choice) is created, with the
    article's totals row first (the page reads the tallies through it).
    """
    table, column = kind.tallies._meta.db_table, kind.column
    with connection.cursor() as cursor:
        for key in sorted(changes, key=str):  # one kind: all str, or all one-digit int
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
