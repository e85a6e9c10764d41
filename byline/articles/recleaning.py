"""Used by migrations: never change what a function here does (a migration must do on a
site upgraded next year what it did on a site upgraded today); add a new function for a
new migration instead, and leave the old one as it is.

``clean_in_batches`` (migration 0017, static pages' titles): text stored before a rule
cleaned it on save, cleaned in place. A large site's rows are neither read at once nor
locked together: the migration is not atomic, and reads ``batch`` rows at a time by id,
each batch read and written in its own transaction with its rows locked (PostgreSQL;
SQLite locks the database), so an editor's save in between is never overwritten. Only
the id and the one column are read, and only rows that change are written. Run again
after a crash, the migration cleans what is left.

``purge_cached_pages``: the one command that purges every cached page
(``byline purge-pages``), called by its name, never the ``article_changed`` signal (its
receivers are the app's of the day, and one may read a table not migrated yet). If it
fails, the migration goes on and says which command to run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from io import StringIO
from typing import TextIO

from django.apps.registry import Apps
from django.core.management import call_command
from django.db import transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import QuerySet

logger = logging.getLogger(__name__)

PURGE_COMMAND = "purge_pages"  # byline purge-pages


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
    the number of rows changed."""
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
    return changed_rows


def purge_cached_pages(why: str, out: TextIO) -> bool:
    """Purge every cached page (``byline purge-pages``, by its name); whether it was
    done. Whatever fails (the page cache unreachable, the page files' folder not the
    migrating user's, the command gone), the migration goes on: the failure is logged
    and ``out`` (the operator's terminal) says which command to run, as the app's user."""
    try:
        call_command(PURGE_COMMAND, stdout=StringIO())
    except Exception as error:
        logger.warning("cached pages not purged after %s: %s", why, error)
        out.write(
            f"\n  Cached pages still show what was stored before {why}: they were not "
            f"purged ({error}).\n  Run `byline purge-pages` as the app's user.\n"
        )
        return False
    out.write(f"\n  Every cached page purged ({why}).\n")
    return True
