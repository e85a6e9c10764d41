"""The full-text search index: FTS5 and its triggers on SQLite, a GIN index on PostgreSQL."""

from django.db import migrations


def create_index(apps, schema_editor):
    from byline.articles.search import ensure_index

    ensure_index(schema_editor.connection)


def drop_index(apps, schema_editor):
    from byline.articles.search import drop_index

    drop_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_publishing")]

    operations = [migrations.RunPython(create_index, drop_index)]
