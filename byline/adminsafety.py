"""Admin pages that answer hostile input with a form error or Django's "?e=1", never a 500.

Django's date hierarchy turns ``?submitted_at__year=`` into a ``datetime``
outside its own error handling: a year of 2**64 raises ``OverflowError`` and
9999 a ``ValueError`` one line after the guarded one. ``SafeChangeList``
treats both as the incorrect lookup parameters they are.

An autocomplete field posted with a value that is no id (``parent=1.0``) is
refused by the form, but Django's widget then looks that value up to show it
selected, and the lookup raises ``ValueError``. ``SafeAutocompleteMixin``'s
widgets show such a value as nothing selected, beside the form's error.

An object's own address (change, history, delete) with an id no database can hold
(``2**63``) reaches the database unchecked when the primary key is a one-to-one
field, and SQLite raises ``OverflowError``. ``SafeObjectIdMixin`` answers it as
the object that does not exist it is.
"""

from __future__ import annotations

from django.contrib.admin import widgets
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


class SafeObjectIdMixin:
    """For a ``ModelAdmin`` whose primary key is a foreign key (one-to-one)."""

    def get_object(self, request, object_id, from_field=None):
        try:
            return super().get_object(request, object_id, from_field)
        except OverflowError:
            return None


class _ShowsOnlyValidChoices:
    def optgroups(self, name, value, attr=None):
        try:
            return super().optgroups(name, value, attr)
        except (OverflowError, ValueError, TypeError):
            return super().optgroups(name, [], attr)


class SafeAutocompleteSelect(_ShowsOnlyValidChoices, widgets.AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_ShowsOnlyValidChoices, widgets.AutocompleteSelectMultiple):
    pass


class SafeAutocompleteMixin:
    """For a ``ModelAdmin`` with ``autocomplete_fields``."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using")),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                SafeAutocompleteSelectMultiple(
                    db_field, self.admin_site, using=kwargs.get("using")
                ),
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
