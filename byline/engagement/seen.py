"""The repeat-reader rule of views: one set of marks, whichever path saw the reader.

A view is not counted when the same reader viewed the same article within
``SECONDS``: the same browser (the salted hash of the address, and the hash of
the User-Agent) or the same reader cookie. Two paths count views, and both ask
here, so a reader counted by one is a repeat for the other:

- the app (``actions.count_view``: the beacon without ``Sec-Fetch-Site``, the
  pixel, the embedded tier) marks with ``first_sight()``;
- the view log's folder (``viewlog``, nginx's beacon) decides a batch of lines at
  once, in its Lua script with Redis or with ``ViewMark`` rows without it, on the
  keys ``key()`` names.

What holds in each tier:

- **Redis** (production): both set ``PREFIX…`` keys there with ``SET NX EX``. A
  mark the folder sets holds its line's id (a rerun of that line finds its own
  mark and is still the first); one the app sets holds ``APP``, which no line id
  equals. While Redis fails the app marks in its process's memory (as before):
  the folder waits for Redis, so those readers may count twice.
- **No Redis, with a view log folder** (nginx without Redis): the app's marks are
  ``ViewMark`` rows, the ones the folder reads and writes in its transaction. An
  app view and a fold of the same reader in the same few milliseconds can both
  count (the folder's check and its insert are one transaction, the app's are
  not), and if the app's row lands in between, the fold's insert fails and the
  fold reads those lines again, then finds the mark.
- **No Redis, no view log folder** (the embedded tier, ``byline run``): only the app
  counts; its marks are in the process's cache (Django's ``LocMemCache``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import redis
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.db import transaction
from django.utils import timezone

from byline import redisconn
from byline.engagement.models import ViewMark
from byline.redisconn import redis_client

SECONDS = 30 * 60  # the same reader again within this is not counted
PREFIX = "byline:engagement:seen:"
APP = "app"  # the value of a mark the app set (the folder's hold a line id)


def browser(ip_hash: str, agent_hash: str) -> str:
    """The browser's identity: its salted address hash and its User-Agent's hash."""
    return f"{ip_hash}:{agent_hash}"


def identities(ip_hash: str, agent_hash: str, reader: str | None) -> tuple[str, ...]:
    """Who a view is from: the browser, and the reader cookie's reader if any."""
    return (browser(ip_hash, agent_hash), reader) if reader else (browser(ip_hash, agent_hash),)


def key(article_id: int, identity: str) -> str:
    """The mark that ``identity`` viewed the article (a Redis key, a ``ViewMark``'s)."""
    return f"{PREFIX}{article_id}:{identity}"


def first_sight(article_id: int, who: Sequence[str], log_folder: bool) -> list[str] | None:
    """Mark each of ``who`` as having viewed the article; the keys set when none had
    (the view counts; ``forget()`` them if it does not after all), else None.

    ``log_folder``: a view log folder counts views too (without Redis its
    ``ViewMark`` rows are the marks to share).
    """
    keys = [key(article_id, identity) for identity in who]
    client = redis_client()
    if client is None:
        first = _first_in_database(keys) if log_folder else _first_in(cache, keys)
        return keys if first else None
    if redisconn.available():
        try:
            pipe = client.pipeline(transaction=False)
            for name in keys:
                pipe.set(name, APP, nx=True, ex=SECONDS)
            answers = pipe.execute()
        except redis.RedisError as error:
            if not isinstance(error, redisconn.RedisUnavailable):
                redisconn.refused(error, "view marks", "marking in process memory")
        else:
            return keys if all(answers) else None
    return keys if _first_in(_memory(), keys) else None


def _memory() -> BaseCache:
    """This process's memory: the Redis cache's fallback (``byline.cache``)."""
    return getattr(cache, "fallback", cache)


def _first_in(store: BaseCache, keys: list[str]) -> bool:
    return all([store.add(name, 1, timeout=SECONDS) for name in keys])


def _first_in_database(keys: list[str]) -> bool:
    now = timezone.now()
    until = now + timedelta(seconds=SECONDS)
    with transaction.atomic():
        ViewMark.objects.filter(key__in=keys, expires_at__lt=now).delete()
        seen = ViewMark.objects.filter(key__in=keys).exists()
        ViewMark.objects.bulk_create(
            [ViewMark(key=name, count=1, expires_at=until) for name in keys],
            ignore_conflicts=True,
        )
    return not seen


def forget(keys: list[str], log_folder: bool) -> None:
    """Take back the marks ``first_sight()`` set for a view that did not count."""
    client = redis_client()
    if client is None:
        if log_folder:
            ViewMark.objects.filter(key__in=keys).delete()
        else:
            cache.delete_many(keys)
        return
    try:
        client.delete(*keys)
    except redis.RedisError:
        _memory().delete_many(keys)
