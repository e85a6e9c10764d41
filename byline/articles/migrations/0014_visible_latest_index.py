"""The published articles, latest first, read from one index with their status and password.

On SQLite a row's status and password lie past its body: a listing that walked
the ``published_at`` index read each row to learn them, and SQLite chose that
narrower index over any wider one. ``article_visible_latest`` (published_at,
id, status, password) answers whether an article is published from the index
alone, and serves every query the ``published_at`` index did (its first
column): that index is dropped, without SQLite's rebuild of the article table
that altering the field would cost.
"""

from django.db import migrations, models


def drop_published_at_index(apps, schema_editor):
    model = apps.get_model("articles", "Article")
    name = schema_editor._create_index_name(model._meta.db_table, ["published_at"], suffix="")
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_published_at_index(apps, schema_editor):
    model = apps.get_model("articles", "Article")
    field = model._meta.get_field("published_at")
    schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0013_featured_latest_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                fields=["-published_at", "-id", "status", "password"],
                name="article_visible_latest",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="article",
                    name="published_at",
                    field=models.DateTimeField(
                        blank=True,
                        help_text="When readers may see it. In the future, the article is "
                        "scheduled.",
                        null=True,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_published_at_index, create_published_at_index),
            ],
        ),
    ]
