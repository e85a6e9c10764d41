"""Views are added in one statement: ``engagement_add_views(...)``.

Creates the function from ``byline/engagement/viewsql.py`` (a batch of views, and
the view log's read position moved with it, in one round trip and one commit).
PostgreSQL only; other databases get nothing here.
"""

from django.db import migrations

from byline.engagement.viewsql import create_functions


def add_views_function(apps, schema_editor) -> None:
    create_functions(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("engagement", "0012_vote_cutoff")]

    operations = [
        migrations.RunPython(add_views_function, migrations.RunPython.noop, elidable=False)
    ]
