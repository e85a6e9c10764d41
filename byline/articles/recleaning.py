"""Text stored before a rule cleaned it on save, cleaned in place by a data migration
(0016: headlines, 0017: static pages' titles), the way ``save()`` now stores it.

A large site's rows are neither read at once nor locked together: the migrations are
not atomic, and read ``batch`` rows at a time by id, each batch read and written in
its own transaction with its rows locked (PostgreSQL; SQLite locks the database), so
an editor's save in between is never overwritten. Only the id and the one column are
read, and only rows that change are written. Run again after a crash, a migration
cleans what is left.
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps.registry import Apps
from django.db import transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import QuerySet

from byline.signals import article_changed


def clean_column(
    apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None, model: str, field: str, **kwargs
) -> int:
    """A migration's ``RunPython``: ``clean_in_batches`` on the articles app's ``model``
    as the migration knows it, in the database being migrated."""
    rows = apps.get_model("articles", model)._default_manager.using(
        schema_editor.connection.alias if schema_editor else "default"
    )
    return clean_in_batches(rows.all(), field, **kwargs)


def clean_in_batches(rows: QuerySet, field: str, clean: Callable[[str], str], *, batch: int) -> int:
    """Store ``clean(value)`` in ``field`` of every row of ``rows`` where it differs;
    the number of rows changed. When any did, every cached page is out of date (its
    ``<h1>``, its title, the menus): ``article_changed`` for all, the site-wide purge an
    edit sends, on every app server sharing the page cache."""
    changed_rows = 0
    last = 0
    while True:
        with transaction.atomic(using=rows.db):
            found = list(
                rows.select_for_update()
                .filter(pk__gt=last)
                .order_by("pk")
                .only("pk", field)[:batch]
            )
            if not found:
                break
            last = found[-1].pk
            changed = []
            for row in found:
                value = clean(getattr(row, field) or "")
                if value != getattr(row, field):
                    setattr(row, field, value)
                    changed.append(row)
            rows.bulk_update(changed, [field], batch_size=500)
            changed_rows += len(changed)
    if changed_rows:
        article_changed.send(sender=rows.model, article_id=None)
    return changed_rows
