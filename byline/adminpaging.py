"""Admin change lists that never count a million rows.

Django's change list counts every row its filters match, for "1,000,000
comments" and the page links: on PostgreSQL a count reads the whole index (a
third of a second for a million comments, on every page of the list). The
``CappedPaginator`` counts no further than ``COUNT_CAP`` rows (an index read
of at most that many); past it the list says "More than 10,000" and links the
pages up to there. Editors reach older rows by filtering or searching, which
narrows the count again.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    @cached_property
    def _counted(self) -> int:
        return self.object_list.order_by()[: COUNT_CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        """More rows match than were counted."""
        return self._counted > COUNT_CAP
