"""A vote states the reader's choice; the same reaction again no longer withdraws it.

(Re)creates the PostgreSQL vote functions from ``byline/engagement/votesql.py``,
the one module that holds their SQL. Other databases get nothing here.
"""

from django.db import migrations

from byline.engagement.votesql import create_functions


def create(apps, schema_editor) -> None:
    create_functions(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("engagement", "0008_dailyviews_day_index")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop, elidable=False)]
