"""A sitemap's pages by id range, so page 20 costs what page 1 costs.

Django's sitemap paginator counts every item and reads page N with an OFFSET:
on a site of 100,000 articles the count reads them all and the last page reads
and throws away every row before it. Here page N holds the items whose id is in
``[first + (N - 1) * size, first + N * size)``, ``first`` being the lowest id:
the index lists the pages from two index reads (the lowest and highest id), and
a page is a range read of the primary key. A page holds at most ``size`` items
(fewer where articles were deleted or are not published: never more), so the
protocol's limit of 50,000 URLs holds whatever the ids. Items keep their page
as the site grows: new articles land on the last page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import QuerySet
from django.utils.functional import cached_property

from byline.parsing import parse_id


@dataclass(frozen=True)
class IdRangePage:
    number: int
    object_list: QuerySet


class IdRangePaginator:
    """What ``Sitemap`` and the sitemap views ask of a paginator, without COUNT or OFFSET."""

    def __init__(self, items: QuerySet, size: int) -> None:
        self.items = items
        self.size = size

    @cached_property
    def bounds(self) -> tuple[int, int] | None:
        # Ids are positive: the range on the primary key has SQLite read it in order, to
        # the first published row. Without it SQLite read every published article from
        # the (status, published_at) index and sorted them, for one id.
        ids = self.items.filter(pk__gt=0).order_by().values_list("pk", flat=True)
        first = ids.order_by("pk").first()
        if first is None:
            return None
        return first, ids.order_by("-pk").first() or first

    @property
    def count(self) -> int:
        """Not the number of items, which would read them all: whether there is one (0 or 1)."""
        return 0 if self.bounds is None else 1

    @property
    def num_pages(self) -> int:
        if self.bounds is None:
            return 1
        first, last = self.bounds
        return (last - first) // self.size + 1

    def page(self, number) -> IdRangePage:
        page = number if isinstance(number, int) else parse_id(number)
        if page is None:
            raise PageNotAnInteger("That page number is not an integer")
        if page < 1 or page > self.num_pages:
            raise EmptyPage("That page contains no results")
        if self.bounds is None:
            return IdRangePage(page, self.items.none())
        start = self.bounds[0] + (page - 1) * self.size
        return IdRangePage(page, self.items.filter(pk__gte=start, pk__lt=start + self.size))
