"""Marking a view's pages as cacheable."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from byline.pagecache.rules import is_anonymous

STORABLE = "byline.pagecache.storable"
# A view may bound how long its page is kept (a Unix time, float): e.g. the
# article page until its comments close by time.
EXPIRES_AT = "byline.pagecache.expires_at"
# What a page shows that a scoped purge may change (``purges``): a set of scopes.
SHOWS = "byline.pagecache.shows"
COMMENT_COUNTS = "comment-counts"  # how many comments articles have (listings' rankings)


def comments_of(article_id: int) -> str:
    """The scope of a page that shows an article's approved comments (its list, its count)."""
    return f"comments:{article_id}"


def page_shows(request: HttpRequest | None, *scopes: str) -> None:
    """Say that the page being rendered shows ``scopes``: a purge of one makes it out of
    date (``invalidation.comments_changed``), and no other change to comments does."""
    if request is not None:
        request.META.setdefault(SHOWS, set()).update(scopes)


View = Callable[..., HttpResponse]


def cached_page(view: View) -> View:
    """Let the page cache store this view's anonymous 200 responses.

    The view must render the same bytes for every anonymous reader: no CSRF
    token, no cookie, nothing per reader (forms use ``byline.csrf.cached_page_form``).
    Responses to readers with a session are marked private instead, and a
    response the view marked ``private`` or ``no-store`` is never stored.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD"):
            return response
        if is_anonymous(request.META) and response.status_code == 200 and not _private(response):
            # A HEAD response may have no body to store; its GET will be stored.
            request.META[STORABLE] = request.method == "GET"
        elif "Cache-Control" not in response:
            patch_cache_control(response, private=True, no_cache=True)
        return response

    return wrapped


def _private(response: HttpResponse) -> bool:
    """The view said this page is one reader's own (a password-protected article): never stored."""
    directives = response.get("Cache-Control", "").lower()
    return "private" in directives or "no-store" in directives
