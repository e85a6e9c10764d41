"""PostgreSQL functions that cast a vote in one round trip (see byline/engagement/tallies.py).

They do exactly what the Python path does on SQLite: lock (or create) the
reader's row, change it, move the totals in sorted key order. Other databases
get nothing here.
"""

from django.db import migrations

REACT = """
CREATE OR REPLACE FUNCTION engagement_react(p_article bigint, p_reader text, p_reaction text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_prev text;
    v_new text;
    v_key text;
    v_delta integer;
BEGIN
    SELECT id, reaction INTO v_id, v_prev FROM engagement_reaction
        WHERE article_id = p_article AND reader = p_reader FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO engagement_reaction (article_id, reader, reaction, created_at, updated_at)
            VALUES (p_article, p_reader, '', now(), now())
            ON CONFLICT (article_id, reader) DO NOTHING;
        SELECT id, reaction INTO v_id, v_prev FROM engagement_reaction
            WHERE article_id = p_article AND reader = p_reader FOR UPDATE;
    END IF;
    v_new := CASE WHEN p_reaction = v_prev THEN '' ELSE p_reaction END;
    IF v_new = v_prev THEN
        RETURN v_new;
    END IF;
    UPDATE engagement_reaction SET reaction = v_new, updated_at = now() WHERE id = v_id;
    FOR v_key, v_delta IN
        SELECT c.key, c.delta FROM (VALUES (v_prev, -1), (v_new, 1)) AS c(key, delta)
        WHERE c.key <> '' ORDER BY c.key
    LOOP
        UPDATE engagement_reactiontally SET count = count + v_delta
            WHERE article_id = p_article AND reaction = v_key;
        IF NOT FOUND AND v_delta > 0 THEN
            INSERT INTO engagement_articlestats
                (article_id, views, comments, stars_1, stars_2, stars_3, stars_4, stars_5)
                VALUES (p_article, 0, 0, 0, 0, 0, 0, 0) ON CONFLICT (article_id) DO NOTHING;
            INSERT INTO engagement_reactiontally AS t (article_id, reaction, count)
                VALUES (p_article, v_key, v_delta)
                ON CONFLICT (article_id, reaction) DO UPDATE SET count = t.count + excluded.count;
        END IF;
    END LOOP;
    RETURN v_new;
END;
$$;
"""

RATE = """
CREATE OR REPLACE FUNCTION engagement_rate(p_article bigint, p_reader text, p_stars integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_prev integer;
BEGIN
    SELECT id, stars INTO v_id, v_prev FROM engagement_rating
        WHERE article_id = p_article AND reader = p_reader FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO engagement_rating (article_id, reader, stars, created_at, updated_at)
            VALUES (p_article, p_reader, NULL, now(), now())
            ON CONFLICT (article_id, reader) DO NOTHING;
        SELECT id, stars INTO v_id, v_prev FROM engagement_rating
            WHERE article_id = p_article AND reader = p_reader FOR UPDATE;
    END IF;
    IF v_prev IS NOT DISTINCT FROM p_stars THEN
        RETURN p_stars;
    END IF;
    UPDATE engagement_rating SET stars = p_stars, updated_at = now() WHERE id = v_id;
    FOR attempt IN 1..2 LOOP
        UPDATE engagement_articlestats SET
            stars_1 = stars_1 + COALESCE((p_stars = 1)::integer, 0)
                - COALESCE((v_prev = 1)::integer, 0),
            stars_2 = stars_2 + COALESCE((p_stars = 2)::integer, 0)
                - COALESCE((v_prev = 2)::integer, 0),
            stars_3 = stars_3 + COALESCE((p_stars = 3)::integer, 0)
                - COALESCE((v_prev = 3)::integer, 0),
            stars_4 = stars_4 + COALESCE((p_stars = 4)::integer, 0)
                - COALESCE((v_prev = 4)::integer, 0),
            stars_5 = stars_5 + COALESCE((p_stars = 5)::integer, 0)
                - COALESCE((v_prev = 5)::integer, 0)
            WHERE article_id = p_article;
        EXIT WHEN FOUND;
        INSERT INTO engagement_articlestats
            (article_id, views, comments, stars_1, stars_2, stars_3, stars_4, stars_5)
            VALUES (p_article, 0, 0, 0, 0, 0, 0, 0) ON CONFLICT (article_id) DO NOTHING;
    END LOOP;
    RETURN p_stars;
END;
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS engagement_react(bigint, text, text);
DROP FUNCTION IF EXISTS engagement_rate(bigint, text, integer);
"""


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REACT)
        schema_editor.execute(RATE)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("engagement", "0002_votes_and_view_buffer")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
