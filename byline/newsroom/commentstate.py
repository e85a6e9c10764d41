"""Comments that close by time, and the cached page.

Whether readers may comment (open, closed, or closed N days after publication) is
``Article.comments_open``. The article page is cached; a page whose comments close by
time is kept no later than that time (``cache_until``), so the form is gone the
moment they close.
"""

from __future__ import annotations

from django.utils import timezone

from byline.pagecache.decorators import EXPIRES_AT


def cache_until(request, article) -> None:
    """Keep the cached page no later than the moment its comments close by time."""
    closes = article.comments_close_at
    if request is not None and closes is not None and closes > timezone.now():
        current = request.META.get(EXPIRES_AT)
        stamp = closes.timestamp()
        request.META[EXPIRES_AT] = min(stamp, current) if current else stamp
