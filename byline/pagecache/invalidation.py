"""Invalidation: what makes a cached page out of date, and when.

- ``article_changed`` (an article saved or deleted, its approved comments
  changed; with ``what=NAMES`` an author, section or tag renamed, created or
  deleted, or an article's tags or authors, see ``byline.articles.names``:
  names are on nearly every page, in its navigation, bylines, tag lists and
  JSON-LD) moves the site-wide generation on: every page is re-rendered on its
  next request, on every worker and app server (see ``store`` for why one
  generation rather than per-page keys). It moves once at once, so the worker
  that made the change never serves the old page, and once more after the
  transaction commits, so a page rendered from the not-yet-committed database
  by another worker in between cannot survive.
- ``article_changed`` sent with ``what="comments"`` (an article's approved
  comments changed, nothing else) purges only the pages that show them: the
  article's own pages and, when their "Most discussed" may show the change
  (``listings``: ``discussion.popular.may_change``), the listings that show comment
  counts (``purges``), now and again once the transaction commits. Every other page stays cached,
  and stays a file nginx serves. Without Redis the generation moves instead. A comment
  published (``removed=False``), once committed, has its article's page drawn again in the
  request that published it, replacing the page file before the purge is sent: nginx
  serves a file throughout (``store.PageStore.purge``). Only what comments change is drawn
  then, into the page stored (``page_layer.PageCacheApp.splice``), when it is at hand.
- A scheduled article coming due changes listings without any write, so no
  page outlives the next scheduled publication time (``next_publication_time``
  bounds every stored page's expiry). No cron job is needed.
"""

from __future__ import annotations

import functools

from django.db import transaction

from byline.db import in_transaction
from byline.pagecache.decorators import COMMENT_COUNTS, comments_of
from byline.pagecache.page_layer import next_publication_time, redraw
from byline.pagecache.store import page_store
from byline.signals import COMMENTS, article_changed

__all__ = ["next_publication_time"]  # the pages' expiry (``page_layer``), said here


def invalidate_all_pages() -> None:
    """Every cached page is out of date (now, and again once the transaction commits)."""
    store = page_store()
    store.invalidate()
    transaction.on_commit(store.invalidate)


def comments_changed(article_id: int, listings: bool = True, removed: bool = True) -> None:
    """The approved comments of ``article_id`` changed: purge the pages that show them,
    and the listings' comment counts when they may show it (``listings``); now, and
    again once the transaction commits (once if there is none: it is committed).

    When comments were published only (``removed`` false) and the change is committed,
    the article's page files are drawn again before the purge and replace the old ones
    (``store.PageStore.purge``): nginx serves the page from a file throughout. When a
    comment readers saw went away, its page files go at once, as before: the page that
    shows it is not served a moment longer."""
    article = comments_of(article_id)
    scopes = (article, COMMENT_COUNTS) if listings else (article,)
    store = page_store()
    if not in_transaction():
        draw = None if removed else functools.partial(redraw, comments_of=article_id)
        store.purge(scopes, draw, redrawn=(article,))
        return
    store.purge(scopes)
    transaction.on_commit(lambda: store.purge(scopes))


def on_article_changed(
    sender,
    article_id: int | None = None,
    what: str | None = None,
    listings: bool = True,
    removed: bool = True,
    **kwargs,
) -> None:
    if what == COMMENTS and article_id is not None:
        comments_changed(article_id, listings, removed)
    else:
        invalidate_all_pages()


def connect() -> None:
    article_changed.connect(on_article_changed, dispatch_uid="byline.pagecache")
