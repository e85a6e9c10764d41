"""An index for the counts files' reads of an article's comments' reaction counts.

``reactions.counts_of_articles`` and ``reaction_files.reaction_bodies`` read the
approved comments' ids and counts of the articles being read, every few
seconds. From this partial index, which holds those three figures, PostgreSQL
answers with an index-only scan instead of reading every comment's wide row.

On PostgreSQL the index is built ``CONCURRENTLY`` (the comments stay writable
while it is built on a large site; so the migration is not atomic) and dropped
the same way going back; SQLite builds it plainly (the embedded tier has one
process).
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexWithoutLock(AddIndexConcurrently):
    """``AddIndexConcurrently`` on PostgreSQL, a plain ``AddIndex`` elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._by_vendor("database_forwards", app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._by_vendor("database_backwards", app_label, schema_editor, from_state, to_state)

    def _by_vendor(self, step, app_label, schema_editor, from_state, to_state):
        postgres = schema_editor.connection.vendor == "postgresql"
        operation = AddIndexConcurrently if postgres else migrations.AddIndex
        getattr(operation, step)(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("discussion", "0009_comment_answers"),
    ]

    operations = [
        AddIndexWithoutLock(
            model_name="comment",
            index=models.Index(
                condition=models.Q(("erased_at__isnull", True), ("status", "approved")),
                fields=["article", "id"],
                include=("reactions",),
                name="comment_approved_reactions",
            ),
        ),
    ]
