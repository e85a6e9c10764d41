"""Many votes and their articles' figures in one statement (PostgreSQL).

``engagement_cast_votes(kinds, articles, readers, values, shard)`` casts a
batch of votes as if one after the other in the order given, in one
statement, so one transaction and one commit for the whole batch:

- ``kinds[i]`` is 'reaction' or 'rating'; ``values[i]`` the reaction key
  ('' withdraws; the reader's own reaction again withdraws it) or the stars
  as text (NULL withdraws).
- Each reader's vote row is locked once, rows in (kind, article, reader)
  order, created empty first if missing (row by row, so the locks are taken
  in that order even for new rows). A reader's votes on one article are then
  folded in arrival order exactly as the one-vote functions would apply them
  one after another, and the row is written once.
- The totals move once per (article, kind, choice), in that order, in the
  one shard the batch picked.

So concurrent batches (and one-vote calls, which lock one vote row and then
the totals of one article in key order) always take their locks in the same
order and cannot deadlock. It returns one row per vote (kind 'm', its
position in ``o_number``, the reader's vote afterwards in ``o_key``) and,
per article, the rows of ``stats.figures_query()`` after the batch, with the
article in ``o_article``.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION engagement_cast_votes(
    p_kinds text[], p_articles bigint[], p_readers text[], p_values text[], p_shard integer
) RETURNS TABLE (o_kind text, o_article bigint, o_key text, o_number bigint, o_other bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v record;
    mv record;
    v_kind text;
    v_article bigint;
    v_reader text;
    v_id bigint;
    v_prev text;
    v_state text;
    v_results text[] := array_fill(NULL::text, ARRAY[cardinality(p_kinds)]);
    c_articles bigint[] := '{}';
    c_kinds text[] := '{}';
    c_keys text[] := '{}';
    c_deltas integer[] := '{}';
BEGIN
    -- Each reader's votes in arrival order, readers in lock order; a last
    -- row with a NULL kind closes the last reader's votes.
    FOR v IN
        SELECT u.kind, u.article, u.reader, u.value, u.n
            FROM unnest(p_kinds, p_articles, p_readers, p_values) WITH ORDINALITY
                AS u(kind, article, reader, value, n)
        UNION ALL SELECT NULL, NULL, NULL, NULL, NULL
        ORDER BY 1 NULLS LAST, 2, 3, 5
    LOOP
        IF v_kind IS DISTINCT FROM v.kind OR v_article IS DISTINCT FROM v.article
                OR v_reader IS DISTINCT FROM v.reader THEN
            -- The previous reader's row: write their vote, note the totals' moves.
            IF v_kind IS NOT NULL AND v_state IS DISTINCT FROM v_prev THEN
                IF v_kind = 'reaction' THEN
                    UPDATE engagement_reaction SET reaction = v_state, updated_at = now()
                        WHERE id = v_id;
                    IF v_prev <> '' THEN
                        c_articles := c_articles || v_article; c_kinds := c_kinds || v_kind;
                        c_keys := c_keys || v_prev; c_deltas := c_deltas || -1;
                    END IF;
                    IF v_state <> '' THEN
                        c_articles := c_articles || v_article; c_kinds := c_kinds || v_kind;
                        c_keys := c_keys || v_state; c_deltas := c_deltas || 1;
                    END IF;
                ELSE
                    UPDATE engagement_rating SET stars = v_state::integer, updated_at = now()
                        WHERE id = v_id;
                    IF v_prev IS NOT NULL THEN
                        c_articles := c_articles || v_article; c_kinds := c_kinds || v_kind;
                        c_keys := c_keys || v_prev; c_deltas := c_deltas || -1;
                    END IF;
                    IF v_state IS NOT NULL THEN
                        c_articles := c_articles || v_article; c_kinds := c_kinds || v_kind;
                        c_keys := c_keys || v_state; c_deltas := c_deltas || 1;
                    END IF;
                END IF;
            END IF;
            EXIT WHEN v.kind IS NULL;
            v_kind := v.kind; v_article := v.article; v_reader := v.reader;
            -- Lock this reader's row, creating it empty if they never voted.
            IF v_kind = 'reaction' THEN
                SELECT r.id, r.reaction INTO v_id, v_prev FROM engagement_reaction r
                    WHERE r.article_id = v_article AND r.reader = v_reader FOR UPDATE;
                IF NOT FOUND THEN
                    INSERT INTO engagement_reaction (article_id, reader, reaction, created_at,
                            updated_at)
                        VALUES (v_article, v_reader, '', now(), now())
                        ON CONFLICT (article_id, reader) DO NOTHING;
                    SELECT r.id, r.reaction INTO v_id, v_prev FROM engagement_reaction r
                        WHERE r.article_id = v_article AND r.reader = v_reader FOR UPDATE;
                END IF;
            ELSE
                SELECT r.id, CAST(r.stars AS text) INTO v_id, v_prev FROM engagement_rating r
                    WHERE r.article_id = v_article AND r.reader = v_reader FOR UPDATE;
                IF NOT FOUND THEN
                    INSERT INTO engagement_rating (article_id, reader, stars, created_at,
                            updated_at)
                        VALUES (v_article, v_reader, NULL, now(), now())
                        ON CONFLICT (article_id, reader) DO NOTHING;
                    SELECT r.id, CAST(r.stars AS text) INTO v_id, v_prev FROM engagement_rating r
                        WHERE r.article_id = v_article AND r.reader = v_reader FOR UPDATE;
                END IF;
            END IF;
            v_state := v_prev;
        END IF;
        -- This vote, applied to the reader's vote so far (as engagement_react/_rate do).
        IF v_kind = 'reaction' THEN
            v_state := CASE WHEN v.value = v_state THEN '' ELSE v.value END;
        ELSE
            v_state := v.value;
        END IF;
        v_results[v.n] := v_state;
    END LOOP;

    -- The totals, each (article, kind, choice) moved once, in that order.
    FOR mv IN
        SELECT c.article, c.kind, c.key, SUM(c.delta)::integer AS delta
            FROM unnest(c_articles, c_kinds, c_keys, c_deltas) AS c(article, kind, key, delta)
            GROUP BY c.article, c.kind, c.key HAVING SUM(c.delta) <> 0
            ORDER BY c.article, c.kind, c.key
    LOOP
        IF mv.kind = 'reaction' THEN
            UPDATE engagement_reactiontally SET count = count + mv.delta
                WHERE article_id = mv.article AND reaction = mv.key AND shard = p_shard;
            IF NOT FOUND THEN
                INSERT INTO engagement_articlestats (article_id, views, comments)
                    VALUES (mv.article, 0, 0) ON CONFLICT (article_id) DO NOTHING;
                INSERT INTO engagement_reactiontally AS s (article_id, reaction, shard, count)
                    VALUES (mv.article, mv.key, p_shard, mv.delta)
                    ON CONFLICT (article_id, reaction, shard)
                    DO UPDATE SET count = s.count + excluded.count;
            END IF;
        ELSE
            UPDATE engagement_startally SET count = count + mv.delta
                WHERE article_id = mv.article AND stars = mv.key::integer AND shard = p_shard;
            IF NOT FOUND THEN
                INSERT INTO engagement_articlestats (article_id, views, comments)
                    VALUES (mv.article, 0, 0) ON CONFLICT (article_id) DO NOTHING;
                INSERT INTO engagement_startally AS s (article_id, stars, shard, count)
                    VALUES (mv.article, mv.key::integer, p_shard, mv.delta)
                    ON CONFLICT (article_id, stars, shard)
                    DO UPDATE SET count = s.count + excluded.count;
            END IF;
        END IF;
    END LOOP;

    RETURN QUERY SELECT 'm'::text, NULL::bigint, v_results[i], i::bigint, NULL::bigint
        FROM generate_subscripts(v_results, 1) AS i;
    RETURN QUERY
        SELECT 'v'::text, s.article_id, NULL::text, s.views::bigint, s.comments::bigint
            FROM engagement_articlestats s WHERE s.article_id = ANY(p_articles)
        UNION ALL
        SELECT 'r'::text, t.article_id, t.reaction::text, SUM(t.count)::bigint, 0::bigint
            FROM engagement_reactiontally t WHERE t.article_id = ANY(p_articles)
            GROUP BY t.article_id, t.reaction
        UNION ALL
        SELECT 's'::text, t.article_id, CAST(t.stars AS text), SUM(t.count)::bigint, 0::bigint
            FROM engagement_startally t WHERE t.article_id = ANY(p_articles)
            GROUP BY t.article_id, t.stars;
END;
$$;
"""

DROP = "DROP FUNCTION IF EXISTS engagement_cast_votes(text[], bigint[], text[], text[], integer);"


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("engagement", "0006_tally_fillfactor")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
