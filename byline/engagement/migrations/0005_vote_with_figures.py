"""A vote and the article's figures after it in one statement (PostgreSQL).

``engagement_react_figures`` / ``engagement_rate_figures`` call the vote
function of migration 0004, then return the reader's vote (a row of kind
'm') and the rows of ``stats.figures_query()``: one statement, so one
execute and one implicit transaction per vote, and the figures query is
planned once per connection (PL/pgSQL caches it) instead of on every vote.
"""

from django.db import migrations

FIGURES = """
    RETURN QUERY
        SELECT 'v'::text, NULL::text, s.views::bigint, s.comments::bigint
            FROM engagement_articlestats s WHERE s.article_id = p_article
        UNION ALL
        SELECT 'r'::text, t.reaction::text, SUM(t.count)::bigint, 0::bigint
            FROM engagement_reactiontally t WHERE t.article_id = p_article GROUP BY t.reaction
        UNION ALL
        SELECT 's'::text, CAST(t.stars AS text), SUM(t.count)::bigint, 0::bigint
            FROM engagement_startally t WHERE t.article_id = p_article GROUP BY t.stars;
"""

CREATE = f"""
CREATE OR REPLACE FUNCTION engagement_react_figures(
    p_article bigint, p_reader text, p_reaction text, p_shard integer
) RETURNS TABLE (o_kind text, o_key text, o_number bigint, o_other bigint)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT 'm'::text, engagement_react(p_article, p_reader, p_reaction, p_shard),
        NULL::bigint, NULL::bigint;
    {FIGURES}
END;
$$;

CREATE OR REPLACE FUNCTION engagement_rate_figures(
    p_article bigint, p_reader text, p_stars integer, p_shard integer
) RETURNS TABLE (o_kind text, o_key text, o_number bigint, o_other bigint)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT 'm'::text,
        CAST(engagement_rate(p_article, p_reader, p_stars, p_shard) AS text),
        NULL::bigint, NULL::bigint;
    {FIGURES}
END;
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS engagement_react_figures(bigint, text, text, integer);
DROP FUNCTION IF EXISTS engagement_rate_figures(bigint, text, integer, integer);
"""


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("engagement", "0004_sharded_tallies")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
