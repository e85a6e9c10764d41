"""Admin change lists that answer hostile query strings with Django's "?e=1", never a 500.

Django's date hierarchy turns ``?submitted_at__year=`` into a ``datetime``
outside its own error handling: a year of 2**64 raises ``OverflowError`` and
9999 a ``ValueError`` one line after the guarded one. ``SafeChangeList``
treats both as the incorrect lookup parameters they are.
"""

from __future__ import annotations

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList


class SafeChangeList(ChangeList):
    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error

    def get_results(self, request):
        # Without a date hierarchy the same parameters reach the query itself
        # (``submitted_at__year=2**64`` overflows when the database is asked).
        try:
            return super().get_results(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class SafeChangeListMixin:
    """For a ``ModelAdmin`` with a date hierarchy or filters read from the query string."""

    def get_changelist(self, request, **kwargs):
        return SafeChangeList
