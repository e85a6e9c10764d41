"""A vote's statement carries its cut-offs: ``engagement_cast_votes(..., start_by, end_by)``.

Creates the seven-argument function from ``byline/engagement/votesql.py`` (a
statement begun or ended past its cut-offs, by the server's clock, casts
nothing: ``byline.postgres.cutoff``), and makes the five-argument one of 0011
a call of it with no cut-offs, for the previous release's processes during a
rolling deploy (they call it until they are replaced); 0015 drops it (its SQL
lives there now, for the way back). PostgreSQL
only; other databases get nothing here.
"""

from django.db import migrations

from byline.engagement.votesql import create_functions


def with_cutoff(apps, schema_editor) -> None:
    create_functions(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("engagement", "0011_one_vote_statement")]

    operations = [
        migrations.RunPython(with_cutoff, migrations.RunPython.noop, elidable=False)
    ]
