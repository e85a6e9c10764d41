"""A vote alone costs its statement less: no batch sorts, its figures by the index.

Recreates ``engagement_cast_votes`` from ``byline/engagement/votesql.py``: one
vote (how readers send them) takes the batch's steps in the same order
without its two sorting queries, and a batch whose votes are all on one
article (every vote that came alone) sums that article's shards in the
tallies' unique index order, where the ``= ANY`` form read them by a bitmap
and hashed them (a third of the server's CPU for the figures). The same rows
come back; batches of several votes on several articles are cast and read as
before. PostgreSQL only; other databases get nothing here.
"""

from django.db import migrations

from byline.engagement.votesql import create_functions


def one_vote_lighter(apps, schema_editor) -> None:
    create_functions(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("engagement", "0013_views_statement")]

    operations = [
        migrations.RunPython(one_vote_lighter, migrations.RunPython.noop, elidable=False)
    ]
