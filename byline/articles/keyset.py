"""Pages of a listing by position in it (``?before=<id>``), never by a big OFFSET.

A listing (the front page, a section, a tag, an author) is ordered latest
first by ``(published_at, id)``. Its first pages may be numbered (``?page=2``
up to ``NUMBERED_PAGES``: an offset of a few hundred rows costs nothing), but
"Older stories" always links to ``?before=<id>``: the articles published
before that article of the listing. The database reads them from an index
starting at that article, so page 5,000 costs what page 2 costs; an OFFSET
would read and throw away the 100,000 rows before it.

The cursor is an article's id, checked against the listing it is used on: an
id that is not a published article of this listing (malformed, unknown,
unpublished since, another section's) sends the reader to the listing's first
page (a redirect, never stored). So the pages the page cache can hold are
bounded by the articles there are, like the discussion's pages.

"Newer stories" links to the page just before this one: the ``page size``
articles up to the cursor's own. Its cursor is found by reading ``page size + 1``
articles upward from the cursor's (an index read too); when there are not that
many, the newer page is the first page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.encoding import escape_uri_path
from django.utils.http import urlencode

from byline.parsing import parse_id, parse_page

CURSOR = "before"
# Pages reachable by number (?page=N). Deeper pages only through ?before=.
NUMBERED_PAGES = 10


class Redirect(Exception):  # noqa: N818 (not an error: where the reader goes instead)
    """The page is at another address: the listing's first page when ``?before=`` names no
    article of this listing, or the cursor's one canonical address (``?before=7``, not
    ``?before=007`` or ``?page=3&before=7``)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


@dataclass(frozen=True)
class ListingPage:
    """One page of a listing, known without counting the whole listing.

    Counting every published article for "page 3 of 9,875" is the slowest
    query of a listing on a big site; reading one row more than the page
    holds tells whether an older page exists.
    """

    number: int | None  # 1, 2 ... for numbered pages; None for a ?before= page
    older_url: str | None  # rel="next": older stories
    newer_url: str | None  # rel="prev": newer stories
    before: datetime | None = None  # a ?before= page: its articles are older than this

    @property
    def has_next(self) -> bool:
        return self.older_url is not None

    @property
    def has_previous(self) -> bool:
        return self.newer_url is not None

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def _url(request: HttpRequest, **params) -> str:
    """This listing's address (a tag's Unicode slug percent-encoded) with ``params``."""
    return escape_uri_path(request.path) + (f"?{urlencode(params)}" if params else "")


def older_than(listing: QuerySet, published_at: datetime, pk: int) -> QuerySet:
    """Articles after ``(published_at, pk)`` in the listing's order (latest first).

    The plain ``published_at <= t`` is what the index scan starts from; the
    ``OR`` only drops the articles of that same instant that come before.
    """
    return listing.filter(published_at__lte=published_at).filter(
        Q(published_at__lt=published_at) | Q(pk__lt=pk)
    )


def newer_than(listing: QuerySet, published_at: datetime, pk: int) -> QuerySet:
    """The ids of ``(published_at, pk)`` and the articles before it, nearest first."""
    return (
        listing.filter(published_at__gte=published_at)
        .filter(Q(published_at__gt=published_at) | Q(pk__gte=pk))
        .prefetch_related(None)
        .select_related(None)
        .order_by("published_at", "pk")
        .values_list("pk", flat=True)
    )


def _newer_page_url(request: HttpRequest, listing: QuerySet, cursor, size: int) -> str:
    """The address of the page before ``?before=cursor``: the ``size`` articles up to and
    including the cursor's, whose own cursor is the article just newer than them."""
    rows = list(newer_than(listing, cursor.published_at, cursor.pk)[: size + 1])
    if len(rows) <= size:
        return _url(request)
    return _url(request, **{CURSOR: rows[size]})


def listing_page(request: HttpRequest, listing: QuerySet, size: int) -> tuple[ListingPage, list]:
    """This request's page of ``listing`` (ordered latest first) and its articles.

    Raises ``Http404`` for a page number out of range and ``Redirect`` for a
    cursor that names no article of the listing or is not written canonically.
    """
    raw = request.GET.get(CURSOR)
    if raw is not None:
        return _keyset_page(request, listing, size, raw)
    number = parse_page(request.GET.get("page") or "1", default=0)
    if not 0 < number <= NUMBERED_PAGES:
        raise Http404("No such page: older pages are reached by their “Older stories” links.")
    offset = (number - 1) * size
    rows = list(listing[offset : offset + size + 1])
    if number > 1 and not rows:
        raise Http404("No such page.")
    articles = rows[:size]
    older = _url(request, **{CURSOR: articles[-1].pk}) if len(rows) > size else None
    newer = None
    if number > 1:
        newer = _url(request, page=number - 1) if number > 2 else _url(request)
    return ListingPage(number=number, older_url=older, newer_url=newer), articles


def _keyset_page(request: HttpRequest, listing: QuerySet, size: int, raw: str):
    pk = parse_id(raw)
    if pk is None:
        raise Redirect(_url(request))
    cursor = (
        listing.filter(pk=pk)
        .prefetch_related(None)
        .select_related(None)
        .order_by()
        .values_list("published_at", flat=True)
        .first()
    )
    if cursor is None:
        raise Redirect(_url(request))
    if raw != str(pk) or "page" in request.GET:
        raise Redirect(_url(request, **{CURSOR: pk}))
    rows = list(older_than(listing, cursor, pk)[: size + 1])
    articles = rows[:size]
    older = _url(request, **{CURSOR: articles[-1].pk}) if len(rows) > size else None
    newer = _newer_page_url(request, listing, _Position(cursor, pk), size)
    return ListingPage(number=None, older_url=older, newer_url=newer, before=cursor), articles


@dataclass(frozen=True)
class _Position:
    published_at: datetime
    pk: int
