"""Search ignores accents: rebuild the index of existing articles accent-insensitive.

SQLite: the FTS5 table is recreated with ``remove_diacritics 2`` and refilled.
PostgreSQL: installs the ``unaccent`` extension (trusted since PostgreSQL 13: the
database owner may), adds the ``byline_search`` text search configuration and
re-adds the stored ``search_vector`` column (a table rewrite). Without ``unaccent``
the migration still applies, search stays accent-sensitive, and a warning says how
to finish (docs/publishing.md).
"""

from django.db import migrations


def rebuild_index(apps, schema_editor):
    from byline.articles.search import ensure_index

    ensure_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("articles", "0009_merge_branches")]

    operations = [migrations.RunPython(rebuild_index, migrations.RunPython.noop)]
