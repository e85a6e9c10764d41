"""The shape of each thread, kept in Django's cache between renders.

A thread's shape is the order its page writes its comments in and which of them
are placeholders for removed comments (with each placeholder's parent): what
``threads`` reads from every comment of the thread (one row each, ordered by
date) before it can cut a page. A thread of 1,000 replies is 1,000 rows on every
render of any of its pages, its article's page and a permalink's redirect; the
cache keeps the answer, one entry per thread, so the rows are read once.

Kept right by the signal every change of what readers see of an article's comments
sends (``byline.signals.article_changed``, from ``actions.refresh_articles``: a
reader's post, moderation single and bulk, an edit, a delete, an import; the page
cache's ``comments_of`` purge answers the same signal): it drops the article's
*token*, which is part of every key of the article's shapes, so they are never
read again. The token is dropped at once and again after the transaction commits
(once when the change is committed already, as a reader's post is when it tells), and
a render reads the token before the database: a shape read from a database
the change had not reached yet is stored under a token nobody reads any more.
Every key also holds the page cache's generation: an article saved, a whole-site
change, or a comment change while Redis is down (the purge moves the generation
then, on every worker) start every shape afresh.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

from byline.articles import hooks
from byline.db import in_transaction

# How long an unused shape (and an article's token) stays in the cache.
KEEP_SECONDS = 3600


@dataclass
class Skeleton:
    """The shape of some threads: the order of each (``orders``, by root id) and the
    placeholders among them, each with its parent (``removed``)."""

    orders: dict[int, list[int]]
    removed: dict[int, int | None]


def _token_key(article_id: int) -> str:
    return f"thread-shapes:{article_id}"


def _token(article_id: int) -> tuple[str, bool]:
    """The article's current token (a new one when there is none), and whether this
    render made it: then no shape is kept under it yet."""
    key = _token_key(article_id)
    token = cache.get(key)
    if token is not None:
        return token, False
    token = uuid.uuid4().hex
    if cache.add(key, token, KEEP_SECONDS):
        return token, True
    return cache.get(key) or token, False  # another render made one first


def cached(
    article_id: int, thread_ids: list[int], read: Callable[[list[int]], Skeleton]
) -> Skeleton:
    """The shape of these threads of the article: from the cache, and for the threads
    missing there from ``read`` (one query for all of them), which are then kept.
    A thread ``read`` finds no order for (not a thread the page shows) is not kept."""
    token, made = _token(article_id)
    prefix = f"thread-shape:{hooks.site_generation()}:{article_id}:{token}:"
    # Under a token this render has just made nothing is kept yet (the first render
    # after a change: its shapes are all read, one query): not asked for. Another
    # render that took the token in between may have kept one; read again, it is the same.
    found = {} if made else cache.get_many([f"{prefix}{pk}" for pk in thread_ids])
    skeleton = Skeleton({}, {})
    missing = []
    for pk in thread_ids:
        entry = found.get(f"{prefix}{pk}")
        if entry is None:
            missing.append(pk)
            continue
        order, removed = entry
        skeleton.orders[pk] = order
        skeleton.removed.update(removed)
    if missing:
        read_now = read(missing)
        kept = {}
        for pk, order in read_now.orders.items():
            removed = {c: read_now.removed[c] for c in order if c in read_now.removed}
            kept[f"{prefix}{pk}"] = (order, removed)
            skeleton.orders[pk] = order
            skeleton.removed.update(removed)
        cache.set_many(kept, KEEP_SECONDS)
    return skeleton


def forget(sender, article_id: int | None = None, **kwargs) -> None:
    """``article_changed`` receiver: the article's shapes are out of date (now, and again
    once the transaction commits). Without an id, the generation moves: all of them."""
    if article_id is None:
        return
    key = _token_key(article_id)
    cache.delete(key)
    if in_transaction():  # outside one the change is committed: once is enough
        transaction.on_commit(lambda: cache.delete(key))
