"""Whether readers may comment on an article: open, closed, or closed N days after
publication (the article's own number, else BYLINE_COMMENTS_CLOSE_AFTER_DAYS).

The article page is cached; a page whose comments close by time is kept no
later than that time (``cache_until``), so the form is gone the moment they close.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from byline.pagecache.decorators import EXPIRES_AT


def close_time(article) -> datetime | None:
    """When comments close by themselves; None if they never do (or are closed by hand)."""
    state = article.comment_state
    if state in ("open", "closed"):
        return None
    days = settings.BYLINE_COMMENTS_CLOSE_AFTER_DAYS
    if state == "after" and article.comments_close_days is not None:
        days = article.comments_close_days
    if not days or article.published_at is None:
        return None
    return article.published_at + timedelta(days=days)


def comments_open(article, now: datetime | None = None) -> bool:
    if article.comment_state == "closed":
        return False
    closes = close_time(article)
    return closes is None or (now or timezone.now()) < closes


def cache_until(request, article) -> None:
    """Keep the cached page no later than the moment its comments close by time."""
    closes = close_time(article)
    if request is not None and closes is not None and closes > timezone.now():
        current = request.META.get(EXPIRES_AT)
        stamp = closes.timestamp()
        request.META[EXPIRES_AT] = min(stamp, current) if current else stamp
