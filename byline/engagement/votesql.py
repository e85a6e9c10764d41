"""The SQL of a vote on PostgreSQL: the one place it is written.

A vote states what the reader wants (this reaction, these stars, or none),
never a toggle: casting the reaction a reader already has leaves it as it is,
so a client that retries after a timeout or a 500 changes nothing. These
functions do what ``tallies.py`` does from Python on other databases: lock
(or create empty) the reader's row, set it, and move the sharded totals in
sorted key order, so concurrent votes never deadlock.

- ``engagement_react(article, reader, reaction, shard)``: '' or NULL clears;
  returns the reader's reaction afterwards ('' for none).
- ``engagement_rate(article, reader, stars, shard)``: NULL clears.
- ``engagement_react_figures`` / ``engagement_rate_figures``: the vote, then
  the article's figures, in one statement (a row of kind 'm', then the rows of
  ``stats.figures_query()``).
- ``engagement_cast_votes(kinds, articles, readers, values, shard)``: a batch
  (``batches.py``) in one statement, as if cast one after the other: a
  reader's last vote in the batch is where they end up.

Migrations only create them: ``0009_votes_state_not_toggle`` runs
``create_functions()``; a later change to this SQL comes with a new migration
that runs it again.
"""

from __future__ import annotations

from typing import Any

REACT = """CREATE OR REPLACE FUNCTION engagement_react(
    p_article bigint, p_reader text, p_reaction text, p_shard integer
) RETURNS text LANGUAGE plpgsql AS $$
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
    v_new := COALESCE(p_reaction, '');
    IF v_new = v_prev THEN
        RETURN v_new;
    END IF;
    UPDATE engagement_reaction SET reaction = v_new, updated_at = now() WHERE id = v_id;
    FOR v_key, v_delta IN
        SELECT c.key, c.delta FROM (VALUES (v_prev, -1), (v_new, 1)) AS c(key, delta)
        WHERE c.key <> '' ORDER BY c.key
    LOOP
        UPDATE engagement_reactiontally SET count = count + v_delta
            WHERE article_id = p_article AND reaction = v_key AND shard = p_shard;
        IF NOT FOUND THEN
            INSERT INTO engagement_articlestats (article_id, views, comments)
                VALUES (p_article, 0, 0) ON CONFLICT (article_id) DO NOTHING;
            INSERT INTO engagement_reactiontally AS t (article_id, reaction, shard, count)
                VALUES (p_article, v_key, p_shard, v_delta)
                ON CONFLICT (article_id, reaction, shard)
                DO UPDATE SET count = t.count + excluded.count;
        END IF;
    END LOOP;
    RETURN v_new;
END;
$$;
"""

RATE = """CREATE OR REPLACE FUNCTION engagement_rate(
    p_article bigint, p_reader text, p_stars integer, p_shard integer
) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_prev integer;
    v_stars integer;
    v_delta integer;
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
    FOR v_stars, v_delta IN
        SELECT c.stars, c.delta FROM (VALUES (v_prev, -1), (p_stars, 1)) AS c(stars, delta)
        WHERE c.stars IS NOT NULL ORDER BY c.stars
    LOOP
        UPDATE engagement_startally SET count = count + v_delta
            WHERE article_id = p_article AND stars = v_stars AND shard = p_shard;
        IF NOT FOUND THEN
            INSERT INTO engagement_articlestats (article_id, views, comments)
                VALUES (p_article, 0, 0) ON CONFLICT (article_id) DO NOTHING;
            INSERT INTO engagement_startally AS t (article_id, stars, shard, count)
                VALUES (p_article, v_stars, p_shard, v_delta)
                ON CONFLICT (article_id, stars, shard)
                DO UPDATE SET count = t.count + excluded.count;
        END IF;
    END LOOP;
    RETURN p_stars;
END;
$$;
"""

FIGURES = """CREATE OR REPLACE FUNCTION engagement_react_figures(
    p_article bigint, p_reader text, p_reaction text, p_shard integer
) RETURNS TABLE (o_kind text, o_key text, o_number bigint, o_other bigint)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT 'm'::text, engagement_react(p_article, p_reader, p_reaction, p_shard),
        NULL::bigint, NULL::bigint;

    RETURN QUERY
        SELECT 'v'::text, NULL::text, s.views::bigint, s.comments::bigint
            FROM engagement_articlestats s WHERE s.article_id = p_article
        UNION ALL
        SELECT 'r'::text, t.reaction::text, SUM(t.count)::bigint, 0::bigint
            FROM engagement_reactiontally t WHERE t.article_id = p_article GROUP BY t.reaction
        UNION ALL
        SELECT 's'::text, CAST(t.stars AS text), SUM(t.count)::bigint, 0::bigint
            FROM engagement_startally t WHERE t.article_id = p_article GROUP BY t.stars;

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

    RETURN QUERY
        SELECT 'v'::text, NULL::text, s.views::bigint, s.comments::bigint
            FROM engagement_articlestats s WHERE s.article_id = p_article
        UNION ALL
        SELECT 'r'::text, t.reaction::text, SUM(t.count)::bigint, 0::bigint
            FROM engagement_reactiontally t WHERE t.article_id = p_article GROUP BY t.reaction
        UNION ALL
        SELECT 's'::text, CAST(t.stars AS text), SUM(t.count)::bigint, 0::bigint
            FROM engagement_startally t WHERE t.article_id = p_article GROUP BY t.stars;

END;
$$;
"""

CAST_VOTES = """CREATE OR REPLACE FUNCTION engagement_cast_votes(
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
        -- This vote states the reader's vote: the last one of the batch wins.
        IF v_kind = 'reaction' THEN
            v_state := COALESCE(v.value, '');
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

FUNCTIONS = (REACT, RATE, FIGURES, CAST_VOTES)


def create_functions(schema_editor: Any) -> None:
    """(Re)create every vote function (PostgreSQL only; a migration's step)."""
    if schema_editor.connection.vendor == "postgresql":
        for sql in FUNCTIONS:
            schema_editor.execute(sql)
