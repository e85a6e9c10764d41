"""Every vote goes through one statement, ``engagement_cast_votes``.

(Re)creates it from ``byline/engagement/votesql.py``, the one module that
holds its SQL, and drops the one-vote functions that no code calls any more
(PostgreSQL only; other databases get nothing here).
"""

from django.db import migrations

from byline.engagement.votesql import create_functions

DROP = """
DROP FUNCTION IF EXISTS engagement_react_figures(bigint, text, text, integer);
DROP FUNCTION IF EXISTS engagement_rate_figures(bigint, text, integer, integer);
DROP FUNCTION IF EXISTS engagement_react(bigint, text, text, integer);
DROP FUNCTION IF EXISTS engagement_rate(bigint, text, integer, integer);
"""


def one_statement(apps, schema_editor) -> None:
    create_functions(schema_editor)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("engagement", "0010_view_log")]

    operations = [migrations.RunPython(one_statement, migrations.RunPython.noop, elidable=False)]
