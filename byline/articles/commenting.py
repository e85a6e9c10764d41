"""Whether readers may comment on an article: open, closed, or closed N days after
publication (the article's own number, else BYLINE_COMMENTS_CLOSE_AFTER_DAYS).

Editors set the state (``byline.newsroom``); the discussion asks ``Article.comments_open``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


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
