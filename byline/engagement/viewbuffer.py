"""Counting views without a write per view on the hot totals row.

A counted view is appended to a buffer; ``flush()`` adds the buffer to
``ArticleStats.views`` and ``DailyViews`` in batches, one transaction per
batch. Two buffers, chosen by ``REDIS_URL``:

- **Redis** (production): ``HINCRBY`` on one hash. A flush atomically renames
  the hash to a batch key of its own, applies it, records the batch's token
  in the same database transaction, then deletes the key. A batch left by a
  crashed flusher is picked up by the next flush after its lock expires, and
  the recorded token makes sure it is applied exactly once.
- **Database** (embedded tier): one ``PendingView`` row per view, an append
  that never waits on another reader; a flush claims, sums, applies and
  deletes rows in one transaction.

Neither loses a view when the app server stops or crashes; see
docs/engagement.md for what a crash of Redis itself can lose. While Redis
fails, views go to the database buffer instead (the next flush moves both).

The buffer's keys and the read of what it holds live with the figures
(``stats.figures_and_pending``), so the counts every answer shows are computed
in one place; the read and this module's flush agree on one protocol (see
``stats``), so each view is counted exactly once whatever point a flush has
reached.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    NotSupportedError,
    ProgrammingError,
    connection,
    transaction,
)
from redis.exceptions import MasterDownError, OutOfMemoryError, ReadOnlyError

from byline.articles.models import Article
from byline.db import AnyOf
from byline.engagement.models import ArticleStats, DailyViews, PendingView, ViewBatch
from byline.engagement.stats import (
    BATCH_PREFIX,
    CHANGED_KEY,
    EPOCH_KEY,
    IN_FLIGHT_KEY,
    PENDING_KEY,
    array_literal,
    changed_entry,
    changed_trim,
    mark_changed,
    pending_views_field,
)
from byline.engagement.viewsql import ADD_VIEWS_CALL
from byline.logthrottle import ThrottledLog, reason_of
from byline.redisconn import redis_client, script

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

LOCK_SECONDS = 60
DB_BATCH_SIZE = 20_000

Batch = Counter[tuple[int, date]]


def record_view(article_id: int) -> None:
    """Add one view of the article to the buffer (the database's while Redis fails)."""
    today = datetime.now(UTC).date()
    client = redis_client()
    if client is not None:
        # The view, and the mark that the article's counts changed (for the view
        # folder's counts files, ``countfiles``), in one round trip; only the view's
        # own failure sends it to the database buffer.
        pipe = client.pipeline(transaction=False)
        pipe.hincrby(*pending_views_field(article_id), 1)
        pipe.xadd(CHANGED_KEY, changed_entry([article_id]), **changed_trim())  # type: ignore[arg-type]
        try:
            counted = pipe.execute(raise_on_error=False)[0]
        except redis.RedisError:
            counted = None
        if not isinstance(counted, Exception | None):
            return
        # kept in the database buffer; the next flush moves it
    PendingView.objects.create(article_id=article_id, day=today)


# Present while a flush, anyone's, happened less than BYLINE_VIEW_FLUSH_SECONDS ago.
FLUSHED_KEY = "engagement:views:flush-due"


def maybe_flush() -> int:
    """Flush if ``BYLINE_VIEW_FLUSH_SECONDS`` have passed since the last flush; views added."""
    if not cache.add(FLUSHED_KEY, 1, timeout=settings.BYLINE_VIEW_FLUSH_SECONDS):
        return 0
    try:
        return flush()
    except Exception:  # logged by ``flush`` (a line a while); the next flush retries
        return 0  # a reader's request must not fail because a flush did


def flush() -> int:
    """Move every buffered view into the totals; returns how many views were added.

    With Redis, its buffer first (skipped while Redis fails), then the
    database's, which holds the views counted while Redis was failing, then
    the views nginx wrote to its view log (``viewlog``, with
    ``BYLINE_VIEW_LOG_DIR``).

    The app servers' ``maybe_flush`` then leaves the views alone for
    ``BYLINE_VIEW_FLUSH_SECONDS``: behind nginx, ``flush_views --every 1``
    folds every second, and an app server folding the same log every few
    seconds besides (from the request that found it due) was the app's CPU
    for nothing, and that request's wait. Should the service stop, they
    flush again within ``BYLINE_VIEW_FLUSH_SECONDS``.
    """
    failed: set[str] = set()
    try:
        added = _flush_buffers(failed)
    except Exception as error:  # logged here (a line a while), raised for the caller
        _views_wait(error, "the buffered views", failed)
        raise
    added += _fold_view_log(failed)
    for log, service in _SERVICES:
        if log.down and service not in failed:  # (nearly always empty)
            log.answered(service)
    try:
        cache.set(FLUSHED_KEY, 1, timeout=settings.BYLINE_VIEW_FLUSH_SECONDS)
    except Exception as error:  # flushed all the same; the app servers may flush too
        logger.warning("could not note the flush (%s)", error)
    return added


# Other sources of views that ``flush()`` folds in after the buffers: the view log
# (``viewlog.fold_if_configured``), registered by the engagement app when it starts.
_more_sources: list[Callable[[], int]] = []


def also_flush(source: Callable[[], int]) -> None:
    """``flush()`` also calls ``source()`` (it returns how many views it added)."""
    if source not in _more_sources:
        _more_sources.append(source)


# While Redis or the database fails, every flush meets it (the folder's, every second):
# one line a while, counting the failures, and one when it works again
# (``byline.logthrottle``); the views wait and are counted then.
waiting = ThrottledLog(logger, "failures", again="is back for the views")
REDIS = "Redis"
stalled = ThrottledLog(logger, "failed flushes", again="can be written again")
DATABASE = "the database"
failing = ThrottledLog(logger, "failed flushes", again="works again")
FLUSH = "the flush"  # anything else (a folder nginx's user made unreadable, a bug)
_SERVICES = ((waiting, REDIS), (stalled, DATABASE), (failing, FLUSH))
# What the database says of a statement or a row, not of itself: a bug (a table a
# migration did not make, a value out of range), told as one with its traceback.
WRONG_STATEMENT = (ProgrammingError, IntegrityError, DataError, NotSupportedError)
# Redis's error replies that say what state it is in (full, a read-only replica, its
# primary gone, busy with a script that runs too long: "BUSY", which redis-py gives as a
# plain ResponseError): away for the views' writes until that passes. Every other error
# reply (WRONGTYPE, a wrong argument) is about the command or the key: a bug, told as one.
REDIS_STATES = (OutOfMemoryError, ReadOnlyError, MasterDownError)


def _redis_away(error: Exception) -> bool:
    """Whether ``error`` is Redis gone, or in a state that passes; not a wrong command."""
    if not isinstance(error, redis.RedisError):
        return False
    if not isinstance(error, redis.ResponseError) or isinstance(error, REDIS_STATES):
        return True
    return str(error).startswith("BUSY ")


def _views_wait(error: Exception, what: str, failed: set[str]) -> None:
    """The views of ``what`` ("the view log") wait: a flush met ``error``."""
    reason = f"{what}: {reason_of(error)}"
    if _redis_away(error):
        failed.add(REDIS)
        waiting.failure(
            REDIS, reason, "views wait for Redis (%s); they are counted when it is back", reason
        )
    elif isinstance(error, DatabaseError) and not isinstance(error, WRONG_STATEMENT):
        failed.add(DATABASE)
        stalled.failure(
            DATABASE,
            reason,
            "views wait for the database (%s); they are counted when it can be written again",
            reason,
        )
    else:  # not a service away: its type and traceback say where (the next flush tries again)
        failed.add(FLUSH)
        named = f"{what}: {type(error).__name__}: {reason_of(error)}"
        failing.failure(FLUSH, named, "views wait for the next flush (%s)", named, exc_info=error)


def _fold_view_log(failed: set[str]) -> int:
    added = 0
    for source in _more_sources:
        try:
            added += source()
        except Exception as error:  # Redis or the database failed: the lines wait, none is lost
            _views_wait(error, "the view log", failed)
    return added


def _flush_buffers(failed: set[str]) -> int:
    added = 0
    if redis_client() is not None:
        try:
            added += _flush_redis()
        except redis.RedisError as error:
            _views_wait(error, "the views buffered in Redis", failed)
        # (a plain statement: the ORM's ``exists()`` cost the folder 0.25 ms of CPU a
        # fold, this 0.07)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {PendingView._meta.db_table} LIMIT 1")  # noqa: S608
            if cursor.fetchone() is None:
                return added
    while True:
        claimed, batch_added = _flush_database_batch()
        added += batch_added
        if claimed < DB_BATCH_SIZE:
            return added


def apply_batch(batch: Batch, known: bool = False) -> int:
    """Add a batch of view counts to the totals; call inside a transaction.

    Two upserts whatever the batch holds: one of the days' rows, one of the
    articles' totals (``INSERT ... ON CONFLICT DO UPDATE``, which PostgreSQL and
    SQLite both speak; on PostgreSQL both in one statement,
    ``viewsql.engagement_add_views``). Rows are taken in a fixed order
    (article, then day) so concurrent flushes and votes can never deadlock.
    Views of articles that no longer exist are dropped (``known``: the caller
    has just read that they all exist, in this transaction).
    """
    if not batch:
        return 0
    articles = {a for a, _ in batch}
    existing = (
        articles
        if known
        else set(Article.objects.filter(AnyOf("pk", articles)).values_list("pk", flat=True))
    )
    days, totals = batch_rows(batch, existing)
    if not days:
        return 0
    add_rows(days, totals)
    return sum(count for _, count in totals)


Rows = tuple[list[tuple[int, date, int]], list[tuple[int, int]]]


def batch_rows(batch: Batch, existing: set[int] | None = None) -> Rows:
    """The batch's rows, in the order they are taken: (article, day, views) sorted, and
    each article's total, sorted (only the articles in ``existing``, when given)."""
    days = sorted(
        (article_id, day, count)
        for (article_id, day), count in batch.items()
        if (existing is None or article_id in existing) and count > 0
    )
    per_article: Counter[int] = Counter()
    for article_id, _, count in days:
        per_article[article_id] += count
    return days, sorted(per_article.items())


def add_rows_call(
    days: list[tuple[int, date, int]],
    totals: list[tuple[int, int]],
    position: tuple[str, tuple[int, int] | None, tuple[int, int]] | None = None,
) -> tuple[str, list[Any]]:
    """``viewsql.engagement_add_views``'s call (PostgreSQL) adding these rows and, with a
    ``position`` (a view log file's name, where its position row was read: (inode,
    offset) or None for none, and where it goes), moving that file's position."""
    name = old_inode = old_offset = inode = offset = None
    if position is not None:
        name, old, (inode, offset) = position
        if old is not None:
            old_inode, old_offset = old
    columns = [list(column) for column in zip(*days, strict=True)] or [[], [], []]
    sums = [list(column) for column in zip(*totals, strict=True)] or [[], []]
    arrays = [array_literal(column) for column in (*columns, *sums)]
    return ADD_VIEWS_CALL, [name, old_inode, old_offset, inode, offset, *arrays]


def add_rows(days: list[tuple[int, date, int]], totals: list[tuple[int, int]]) -> None:
    """Upsert the rows of ``batch_rows`` (inside a transaction)."""
    daily, stats = DailyViews._meta.db_table, ArticleStats._meta.db_table
    if connection.vendor == "postgresql":  # one statement, the rows as arrays
        with connection.cursor() as cursor:
            cursor.execute(*add_rows_call(days, totals))
        return
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(days), 500):
            chunk = days[start : start + 500]
            cursor.execute(
                f"INSERT INTO {daily} (article_id, day, views) VALUES "  # noqa: S608
                + ", ".join(["(%s, %s, %s)"] * len(chunk))
                + f" ON CONFLICT (article_id, day) DO UPDATE SET views = {daily}.views"
                " + excluded.views",
                [value for a, day, count in chunk for value in (a, adapt(day), count)],
            )
        for start in range(0, len(totals), 500):
            chunk_totals = totals[start : start + 500]
            cursor.execute(
                f"INSERT INTO {stats} (article_id, views, comments) VALUES "  # noqa: S608
                + ", ".join(["(%s, %s, 0)"] * len(chunk_totals))
                + f" ON CONFLICT (article_id) DO UPDATE SET views = {stats}.views"
                " + excluded.views",
                [value for pair in chunk_totals for value in pair],
            )


def _flush_database_batch() -> tuple[int, int]:
    """Claim up to DB_BATCH_SIZE pending rows, apply and delete them: (claimed, added)."""
    with transaction.atomic():
        rows = PendingView.objects.order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        claimed = list(rows.values_list("id", "article_id", "day")[:DB_BATCH_SIZE])
        if not claimed:
            return 0, 0
        batch: Batch = Counter((article_id, day) for _, article_id, day in claimed)
        added = apply_batch(batch)
        PendingView.objects.filter(id__in=[row[0] for row in claimed]).delete()
    mark_changed({article_id for article_id, _ in batch})  # (see _apply_redis_batch)
    return len(claimed), added


def _parse_batch(raw: Mapping[bytes | str, bytes | str]) -> Batch:
    batch: Batch = Counter()
    for field, value in raw.items():
        try:
            name = field.decode() if isinstance(field, bytes) else field
            article, day = name.split(":", 1)
            batch[(int(article), date.fromisoformat(day))] += int(value)
        except ValueError:
            logger.warning("dropping a malformed buffered view entry %r", field)
    return batch


# Take the buffer as the next epoch's batch (KEYS: buffer, in-flight set, epoch;
# ARGV: batch key prefix, token suffix, lock seconds, now in ms): its token, or
# nothing when nothing is buffered. Atomic, so a reader sees the views in one
# place or the other and knows which batch takes what it saw in the buffer. A
# fresh Redis starts the epoch at the time in ms, so it never goes back.
_TAKE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SET', KEYS[3], ARGV[4]) end
local epoch = redis.call('INCR', KEYS[3])
local token = string.format('e%015d-%s', epoch, ARGV[2])
redis.call('SET', ARGV[1] .. 'lock:' .. token, 1, 'EX', ARGV[3])
redis.call('RENAME', KEYS[1], ARGV[1] .. token)
redis.call('SADD', KEYS[2], token)
return token
"""


def _flush_redis() -> int:
    client = redis_client()
    assert client is not None  # only called with REDIS_URL set
    added = 0
    # First any batch a crashed flusher left behind, once its lock has expired: the set
    # of batches in flight names them (one call, where a SCAN would walk every key,
    # the view log's 30-minute marks included).
    for member in client.smembers(IN_FLIGHT_KEY):
        token = member.decode() if isinstance(member, bytes) else str(member)
        if client.set(f"{BATCH_PREFIX}lock:{token}", 1, nx=True, ex=LOCK_SECONDS):
            added += _apply_redis_batch(client, token)
    taken = script(client, _TAKE)(
        keys=[PENDING_KEY, IN_FLIGHT_KEY, EPOCH_KEY],
        args=[BATCH_PREFIX, secrets.token_hex(8), LOCK_SECONDS, int(time.time() * 1000)],
    )
    if not taken:
        return added
    token = taken.decode() if isinstance(taken, bytes) else str(taken)
    return added + _apply_redis_batch(client, token)


def _apply_redis_batch(client: Redis, token: str) -> int:
    key = BATCH_PREFIX + token
    raw = client.hgetall(key)
    added = 0
    with transaction.atomic():
        _, created = ViewBatch.objects.get_or_create(token=token)
        if created:  # not applied by an earlier flush that crashed before deleting the key
            batch = _parse_batch(raw)
            added = apply_batch(batch)
        ViewBatch.objects.filter(flushed_at__lt=datetime.now(UTC) - timedelta(days=2)).delete()
    if added:  # moved from the buffer to the totals: a counts file read in between missed them
        mark_changed({article_id for article_id, _ in batch})
    # The batch leaves Redis only after its token is committed: a reader who still
    # finds it there also finds the token, and does not count it twice.
    pipe = client.pipeline()
    pipe.delete(key, f"{BATCH_PREFIX}lock:{token}")
    pipe.srem(IN_FLIGHT_KEY, token)
    pipe.execute()
    return added
