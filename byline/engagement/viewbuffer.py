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
docs/engagement.md for what a crash of Redis itself can lose.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F

from byline.articles.models import Article
from byline.engagement.models import ArticleStats, DailyViews, PendingView, ViewBatch
from byline.engagement.redisclient import redis_client

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

PENDING_KEY = "byline:engagement:views:pending"
BATCH_PREFIX = "byline:engagement:views:batch:"
LOCK_SECONDS = 60
DB_BATCH_SIZE = 20_000

Batch = Counter[tuple[int, date]]


def record_view(article_id: int) -> None:
    """Add one view of the article to the buffer."""
    today = datetime.now(UTC).date()
    client = redis_client()
    if client is not None:
        client.hincrby(PENDING_KEY, f"{article_id}:{today.isoformat()}", 1)
    else:
        PendingView.objects.create(article_id=article_id, day=today)


def pending_views(article_id: int) -> int:
    """Views of the article still in the buffer (not yet in its totals)."""
    client = redis_client()
    if client is not None:
        return int(client.hget(PENDING_KEY, _pending_field(article_id)) or 0)
    return PendingView.objects.filter(article_id=article_id).count()


def pending_views_field(article_id: int) -> tuple[str, str]:
    """The Redis hash key and field holding ``pending_views()``; ``int(value or 0)`` is it."""
    return PENDING_KEY, _pending_field(article_id)


def _pending_field(article_id: int) -> str:
    return f"{article_id}:{datetime.now(UTC).date().isoformat()}"


def maybe_flush() -> int:
    """Flush if ``BYLINE_VIEW_FLUSH_SECONDS`` have passed since the last flush; views added."""
    if not cache.add("engagement:views:flush-due", 1, timeout=settings.BYLINE_VIEW_FLUSH_SECONDS):
        return 0
    try:
        return flush()
    except Exception:  # a reader's request must not fail because a flush did
        logger.exception("flushing buffered views failed; the next flush retries")
        return 0


def flush() -> int:
    """Move every buffered view into the totals; returns how many views were added."""
    if redis_client() is not None:
        return _flush_redis()
    added = 0
    while True:
        claimed, batch_added = _flush_database_batch()
        added += batch_added
        if claimed < DB_BATCH_SIZE:
            return added


def apply_batch(batch: Batch) -> int:
    """Add a batch of view counts to the totals; call inside a transaction.

    Rows are updated in a fixed order (article, then day) so concurrent
    flushes and votes can never deadlock. Views of articles that no longer
    exist are dropped.
    """
    if not batch:
        return 0
    existing = set(
        Article.objects.filter(pk__in={a for a, _ in batch}).values_list("pk", flat=True)
    )
    per_article: Counter[int] = Counter()
    for (article_id, day), count in sorted(batch.items()):
        if article_id not in existing or count <= 0:
            continue
        per_article[article_id] += count
        updated = DailyViews.objects.filter(article_id=article_id, day=day).update(
            views=F("views") + count
        )
        if not updated:
            DailyViews.objects.bulk_create(
                [DailyViews(article_id=article_id, day=day)], ignore_conflicts=True
            )
            DailyViews.objects.filter(article_id=article_id, day=day).update(
                views=F("views") + count
            )
    for article_id, count in sorted(per_article.items()):
        if not ArticleStats.objects.filter(article_id=article_id).update(views=F("views") + count):
            ArticleStats.objects.bulk_create(
                [ArticleStats(article_id=article_id)], ignore_conflicts=True
            )
            ArticleStats.objects.filter(article_id=article_id).update(views=F("views") + count)
    return sum(per_article.values())


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


def _flush_redis() -> int:
    client = redis_client()
    assert client is not None  # only called with REDIS_URL set
    added = 0
    # First any batch a crashed flusher left behind, once its lock has expired.
    for key in client.scan_iter(match=BATCH_PREFIX + "*", count=100):
        token = key.decode()[len(BATCH_PREFIX) :]
        if token.startswith("lock:"):
            continue
        if client.set(f"{BATCH_PREFIX}lock:{token}", 1, nx=True, ex=LOCK_SECONDS):
            added += _apply_redis_batch(client, token)
    token = f"{int(time.time())}-{secrets.token_hex(8)}"
    client.set(f"{BATCH_PREFIX}lock:{token}", 1, ex=LOCK_SECONDS)
    try:
        client.rename(PENDING_KEY, BATCH_PREFIX + token)
    except Exception as error:  # redis.ResponseError: no such key, nothing buffered
        client.delete(f"{BATCH_PREFIX}lock:{token}")
        if "no such key" in str(error).lower():
            return added
        raise
    return added + _apply_redis_batch(client, token)


def _apply_redis_batch(client: Redis, token: str) -> int:
    key = BATCH_PREFIX + token
    raw = client.hgetall(key)
    added = 0
    with transaction.atomic():
        _, created = ViewBatch.objects.get_or_create(token=token)
        if created:  # not applied by an earlier flush that crashed before deleting the key
            added = apply_batch(_parse_batch(raw))
        ViewBatch.objects.filter(flushed_at__lt=datetime.now(UTC) - timedelta(days=2)).delete()
    client.delete(key, f"{BATCH_PREFIX}lock:{token}")
    return added
