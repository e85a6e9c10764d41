"""Whether readers may comment on an article: open, closed, or closed N days after
publication (the article's own number, else BYLINE_COMMENTS_CLOSE_AFTER_DAYS).

The article page is cached; a page whose comments close by time is kept no
later than that time (``cache_until``), so the form is gone the moment they close.
"""

from __future__ import annotations

from django.utils import timezone

from byline.articles.commenting import close_time, comments_open  # noqa: F401 (re-exported)
from byline.pagecache.decorators import EXPIRES_AT


def cache_until(request, article) -> None:
    """Keep the cached page no later than the moment its comments close by time."""
    closes = close_time(article)
    if request is not None and closes is not None and closes > timezone.now():
        current = request.META.get(EXPIRES_AT)
        stamp = closes.timestamp()
        request.META[EXPIRES_AT] = min(stamp, current) if current else stamp
