"""Drops the five-argument ``engagement_cast_votes`` that 0012 kept for a rolling deploy.

0012 made the five-argument function of 0011 a call of the seven-argument one
without cut-offs, for the processes of the release before it (they called it
until they were replaced). No release since calls it: every vote is sent as
``votesql.CALL`` (or its published forms), seven arguments, since 0012's
release, so the processes of the previous release keep casting while this runs.
The seven-argument function is untouched. Reversed, the five-argument call is
created again as 0012 made it. PostgreSQL only; other databases get nothing here.
"""

from django.db import migrations

UNCUT = "engagement_cast_votes(text[], bigint[], text[], text[], integer)"
DROP = f"DROP FUNCTION IF EXISTS {UNCUT};"
CREATE = """CREATE OR REPLACE FUNCTION engagement_cast_votes(
    p_kinds text[], p_articles bigint[], p_readers text[], p_values text[], p_shard integer
) RETURNS TABLE (o_kind text, o_article bigint, o_key text, o_number bigint, o_other bigint)
LANGUAGE sql AS $$
    SELECT * FROM engagement_cast_votes(
        p_kinds, p_articles, p_readers, p_values, p_shard, NULL::bigint, NULL::bigint
    ) AS c WHERE c.o_kind <> 'c'
$$;
"""


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


def create_again(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


class Migration(migrations.Migration):
    dependencies = [("engagement", "0014_lone_vote_statement")]

    operations = [migrations.RunPython(drop, create_again, elidable=False)]
