"""Invalidation: what makes a cached page out of date, and when.

- ``article_changed`` (an article saved or deleted, its approved comments
  changed) moves the site-wide generation on: every page is re-rendered on its
  next request, on every worker and app server (see ``store`` for why one
  generation rather than per-page keys). It moves once at once, so the worker
  that made the change never serves the old page, and once more after the
  transaction commits, so a page rendered from the not-yet-committed database
  by another worker in between cannot survive.
- A scheduled article coming due changes listings without any write, so no
  page outlives the next scheduled publication time (``next_publication_time``
  bounds every stored page's expiry). No cron job is needed.
"""

from __future__ import annotations

from django.db import transaction

from byline.pagecache.store import page_store
from byline.signals import article_changed


def invalidate_all_pages() -> None:
    """Every cached page is out of date (now, and again once the transaction commits)."""
    store = page_store()
    store.invalidate()
    transaction.on_commit(store.invalidate)


def on_article_changed(sender, article_id: int | None = None, **kwargs) -> None:
    invalidate_all_pages()


def connect() -> None:
    article_changed.connect(on_article_changed, dispatch_uid="byline.pagecache")


def next_publication_time() -> float | None:
    """When the next scheduled article comes due (a Unix time), or None: the articles
    app answers (it owns the schedule)."""
    from byline.articles.navigation import next_publication_time

    return next_publication_time()
