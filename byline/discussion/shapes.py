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
*token*, or, when the change names the only threads it touched (a comment posted:
its own thread), those threads' tokens. Each kept shape holds the article's token
and its thread's as they were when it was read, and is current while both still
are. A token is dropped at once and again after the transaction commits (once when
the change is committed already, as a reader's post is when it tells), and a render
reads the tokens before the database (making those missing first): a shape read
from a database the change had not reached yet holds a token nobody reads any more.
So after a reader's comment the next render reads that thread's shape alone, not
every thread of the page.
Every key also holds the page cache's generation: an article saved, a whole-site
change, or a comment change while Redis is down (the purge moves the generation
then, on every worker) start every shape afresh.

This code compares only the first half of the article's token (its *base*): a
thread's change, in Redis, also gives the token a new second half (one Lua script with
the thread tokens' ``DEL``: the base is never written anew, only kept). So during the
rolling deploy that brings the thread tokens (old and new workers on one Redis), a
worker of the code before, which keys its shapes by the whole article token (the same
key, ``thread-shapes:<article>``) and never reads a thread's, misses them after a
comment posted through a new worker, as it did after any change; a comment posted
through an old worker drops the article's token, which new workers read too.
"""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass

import redis
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

from byline import redisconn
from byline.articles import hooks
from byline.db import in_transaction

# How long an unused shape (and an article's or a thread's token) stays in the cache.
KEEP_SECONDS = 3600


@dataclass
class Skeleton:
    """The shape of some threads: the order of each (``orders``, by root id) and the
    placeholders among them, each with its parent (``removed``)."""

    orders: dict[int, list[int]]
    removed: dict[int, int | None]


def _token_key(article_id: int) -> str:
    return f"thread-shapes:{article_id}"


def _thread_token_key(article_id: int, thread_id: int) -> str:
    return f"thread-shapes:{article_id}:{thread_id}"


# A token's base: the part of the article's token this code compares (``forget``).
BASE = 16
# The article's token as Django's Redis cache stores it (a pickled 32-character str):
# what comes before the characters, the same for every token.
_HEAD = pickle.dumps("0" * 32, pickle.HIGHEST_PROTOCOL)[:-34]
# KEYS[1]: the article's token, KEYS[2..]: the threads'. ARGV[1]: ``_HEAD``, ARGV[2]: a
# new second half, ARGV[3]: the threads' tokens' time to live (ms), ARGV[4..]: their new
# tokens as the cache stores them. The article's token keeps its base and its time to
# live; one stored otherwise (another pickling) is dropped, as before the thread tokens.
_NEW_HALF = """
local value = redis.call('GET', KEYS[1])
if value then
  local head = ARGV[1]
  if #value == #head + 34 and string.sub(value, 1, #head) == head
      and string.sub(value, -2) == '\\148.' then
    local changed = string.sub(value, 1, #head + 16) .. ARGV[2] .. string.sub(value, -2)
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl > 0 then
      redis.call('SET', KEYS[1], changed, 'PX', ttl)
    else
      redis.call('SET', KEYS[1], changed)
    end
  else
    redis.call('DEL', KEYS[1])
  end
end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 2], 'PX', ARGV[3])
end
return 1
"""


def cached(
    article_id: int, thread_ids: list[int], read: Callable[[list[int]], Skeleton]
) -> Skeleton:
    """The shape of these threads of the article: from the cache, and for the threads
    missing there from ``read`` (one query for all of them), which are then kept.
    A thread ``read`` finds no order for (not a thread the page shows) is not kept.

    One read of the cache: the article's token, each thread's token and each kept
    shape, which holds the two tokens it was read under (of the article's, its base); a
    shape is current while both still are. A token missing (dropped by a change, or
    expired) is made, a random one, and stored before the database is read: a shape read
    from a database a change had not reached yet holds a token the change replaced (or
    dropped) once committed, never current again."""
    generation = hooks.site_generation()
    article_key = _token_key(article_id)
    token_keys = [_thread_token_key(article_id, pk) for pk in thread_ids]
    shape_keys = [f"thread-shape:{generation}:{article_id}:{pk}" for pk in thread_ids]
    found = cache.get_many([article_key, *token_keys, *shape_keys])
    made: dict[str, str] = {}
    for key in (article_key, *token_keys):
        if found.get(key) is None:
            found[key] = made[key] = uuid.uuid4().hex
    if made:  # (two renders making one at once: the shapes of the one replaced go unread)
        cache.set_many(made, KEEP_SECONDS)
    skeleton = Skeleton({}, {})
    missing, tokens = [], {}
    for pk, token_key, shape_key in zip(thread_ids, token_keys, shape_keys, strict=True):
        tokens[pk] = token = (found[article_key][:BASE], found[token_key])
        entry = found.get(shape_key)
        if entry is None or entry[0] != token:
            missing.append(pk)
            continue
        _, order, removed = entry
        skeleton.orders[pk] = order
        skeleton.removed.update(removed)
    if missing:
        read_now = read(missing)
        kept = {}
        for pk, order in read_now.orders.items():
            removed = {c: read_now.removed[c] for c in order if c in read_now.removed}
            if pk in tokens:
                kept[f"thread-shape:{generation}:{article_id}:{pk}"] = (tokens[pk], order, removed)
            skeleton.orders[pk] = order
            skeleton.removed.update(removed)
        cache.set_many(kept, KEEP_SECONDS)
        # No token kept for what is no thread (a made-up ``?thread=`` in an address).
        unknown = [
            key
            for pk, key in zip(thread_ids, token_keys, strict=True)
            if key in made and pk not in read_now.orders
        ]
        if unknown:
            cache.delete_many(unknown)
    return skeleton


def forget(sender, article_id: int | None = None, threads: Collection[int] = (), **kwargs) -> None:
    """``article_changed`` receiver: the article's shapes are out of date (now, and again
    once the transaction commits), or only those of ``threads`` (a reader's comment
    published: its thread alone changed). Without an id, the generation moves: all of
    them."""
    if article_id is None:
        return
    if threads and None not in threads:
        keys = [_thread_token_key(article_id, pk) for pk in threads]
        _drop_threads(article_id, keys)
        if in_transaction():  # outside one the change is committed: once is enough
            transaction.on_commit(lambda: _drop_threads(article_id, keys))
        return
    keys = [_token_key(article_id)]
    cache.delete_many(keys)
    if in_transaction():
        transaction.on_commit(lambda: cache.delete_many(keys))


def _drop_threads(article_id: int, keys: list[str]) -> None:
    """Give these threads new tokens and the article's token a new second half (its
    base kept): what the code before this one keyed its shapes by (the whole article
    token) changes too. One round trip. A new token rather than none: the next draw
    (the comment's redraw) finds it, and reads the thread with no write before (a
    missing one is made and stored first, ``cached``: a round trip of each redraw).
    Without Redis (process memory: no code of another version reads it) the thread
    tokens are dropped alone; when the script fails (Redis refusing writes, no
    scripts) the article's token is dropped with them."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        cache.delete_many(keys)
        return
    article_key = _token_key(article_id)
    if redisconn.available(backend._servers[0]):
        try:
            client = backend._cache.get_client(write=True)
            tokens = [backend._cache._serializer.dumps(uuid.uuid4().hex) for _ in keys]
            redisconn.script(client, _NEW_HALF)(
                keys=[backend.make_key(key) for key in (article_key, *keys)],
                args=[_HEAD, uuid.uuid4().hex[BASE:], KEEP_SECONDS * 1000, *tokens],
            )
            return
        except redis.RedisError as error:
            if not isinstance(error, redisconn.RedisUnavailable):
                redisconn.refused(error, "thread tokens", "the article's token dropped")
    cache.delete_many([article_key, *keys])
