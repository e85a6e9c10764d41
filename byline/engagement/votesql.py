"""The SQL of a vote on PostgreSQL: the one statement every vote goes through.

``engagement_cast_votes(kinds, articles, readers, values, shard, start_by, end_by)`` casts
votes (one, or a batch from ``batches.py``) as if one after the other in the
order given, in one statement, so one transaction and one commit; it is
called only by ``stats.cast_votes``.

- ``kinds[i]`` is 'reaction' or 'rating'; ``values[i]`` the reaction key or
  the stars as text; '' or NULL withdraws. A vote states what the reader
  wants, never a toggle: the choice the reader already has changes nothing,
  so a client that retries after a timeout or a 500 changes nothing.
- Each reader's vote row is locked once, rows in (kind, article, reader)
  order, created empty first if missing. A reader's votes on one article are
  folded in arrival order (the last one wins) and the row is written once.
- The totals move once per (article, kind, choice), in that order, in the
  one shard the call picked (``models.TALLY_SHARDS``), so concurrent calls
  always take their locks in the same order and cannot deadlock.
- One vote alone (how readers send them) takes the same steps in the same
  order without the batch's sorting queries; a batch whose votes are all on
  one article reads its figures by the tallies' unique index (the rows are
  the same; ``0014_lone_vote_statement``).

It returns one row per vote (kind 'm', its position in ``o_number``, the
reader's vote afterwards in ``o_key``, NULL for none) and, per article, the
rows of ``stats.figures_query()`` after the votes, with the article in
``o_article``; last, one row of kind 'c': the server's ``clock_timestamp()`` as
it ended, in microseconds since the epoch (``o_number``).

- ``start_by`` and ``end_by`` (microseconds since the epoch by the server's
  clock, or NULL for none) are the statement's cut-offs
  (``byline.postgres.cutoff``): begun after ``start_by`` (the least the app
  waits), or ended after ``end_by`` (the most it waits), it raises SQLSTATE
  ``cutoff.STATE`` and casts nothing. A statement sent into a server that
  froze, which the app gave up on (a 503: not taken), does nothing when the
  server thaws; one held up by a lock on a live server, which the app waits
  for, is cast.

The reaction and the rating differ only in their tables and the type of
their choice (``KINDS``): the steps are written once and filled in for each.
Migrations only create the function (``0011_one_vote_statement`` runs
``create_functions()``; a later change to this SQL comes with a new
migration that runs it again: ``0012_vote_cutoff`` for the cut-offs, which
made the five-argument function of 0011 a call of the new one without
cut-offs, for the previous release's processes during a rolling deploy
(dropped by ``0015_drop_uncut_vote_call``: no release since calls it);
``0014_lone_vote_statement`` for one vote's steps without the batch's
sorts and the figures of a one-article batch read by the tallies' unique index).
Other databases cast the same steps from Python (``stats.cast_votes``).
"""

from __future__ import annotations

from typing import Any

from byline.postgres import cutoff

# kind: (vote table, its choice column, tallies table, the choice's SQL type, empty choice)
KINDS = {
    "reaction": ("engagement_reaction", "reaction", "engagement_reactiontally", "text", "''"),
    "rating": ("engagement_rating", "stars", "engagement_startally", "integer", "NULL"),
}

# Lock the reader's row (v_article, v_reader), creating it empty if they never voted;
# their choice before, as text (NULL for none), goes to v_prev.
_LOCK_ROW = """
            SELECT r.id, NULLIF(CAST(r.{column} AS text), '') INTO v_id, v_prev FROM {votes} r
                WHERE r.article_id = v_article AND r.reader = v_reader FOR UPDATE;
            IF NOT FOUND THEN
                INSERT INTO {votes} (article_id, reader, {column}, created_at, updated_at)
                    VALUES (v_article, v_reader, {empty}, now(), now())
                    ON CONFLICT (article_id, reader) DO NOTHING;
                SELECT r.id, NULLIF(CAST(r.{column} AS text), '') INTO v_id, v_prev
                    FROM {votes} r
                    WHERE r.article_id = v_article AND r.reader = v_reader FOR UPDATE;
            END IF;"""

# Store the reader's choice (v_state, NULL for none) on their locked row v_id.
_WRITE_ROW = """
                    UPDATE {votes} SET {column} = COALESCE(v_state::{type}, {empty}),
                        updated_at = now() WHERE id = v_id;"""

# Move one choice's count (m_article, m_key by m_delta) in the shard; a missing row is
# created, the article's totals row first (the page reads the tallies through it).
_MOVE_TALLY = """
            UPDATE {tallies} SET count = count + m_delta
                WHERE article_id = m_article AND {column} = m_key::{type} AND shard = p_shard;
            IF NOT FOUND THEN
                INSERT INTO engagement_articlestats (article_id, views, comments)
                    VALUES (m_article, 0, 0) ON CONFLICT (article_id) DO NOTHING;
                INSERT INTO {tallies} AS s (article_id, {column}, shard, count)
                    VALUES (m_article, m_key::{type}, p_shard, m_delta)
                    ON CONFLICT (article_id, {column}, shard)
                    DO UPDATE SET count = s.count + excluded.count;
            END IF;"""


def _by_kind(step: str, kind: str) -> str:
    """``step`` for a reaction or for a rating, chosen by the variable ``kind``."""
    filled = {}
    for name, (votes, column, tallies, type_, empty) in KINDS.items():
        filled[name] = step.format(
            votes=votes, column=column, tallies=tallies, type=type_, empty=empty
        )
    return (
        "".join(
            ["IF ", kind, " = 'reaction' THEN", filled["reaction"], "\n ELSE", filled["rating"]]
        )
        + "\n END IF;"
    )


_CAST_VOTES = """CREATE OR REPLACE FUNCTION engagement_cast_votes(
    p_kinds text[], p_articles bigint[], p_readers text[], p_values text[], p_shard integer,
    p_start_by bigint, p_end_by bigint
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
    v_now timestamptz;
    m_article bigint;
    m_kind text;
    m_key text;
    m_delta integer;
BEGIN
    -- Begun after the app may have given up on it (a server that was frozen): nothing.
    IF p_start_by IS NOT NULL AND clock_timestamp() > to_timestamp(p_start_by / 1e6) THEN
        RAISE EXCEPTION 'vote statement run after its cut-off' USING ERRCODE = '@STATE@';
    END IF;
    IF cardinality(p_kinds) = 1 THEN
        -- One vote (every vote that came alone): the same steps without the batch's
        -- sorts (a tenth of the server's CPU for a vote).
        v_kind := p_kinds[1]; v_article := p_articles[1]; v_reader := p_readers[1];
        @LOCK_ROW@
        v_state := NULLIF(p_values[1], '');
        IF v_state IS DISTINCT FROM v_prev THEN
            @WRITE_ROW@
            -- The totals' moves in key order, as the batch's loop takes them.
            m_article := v_article; m_kind := v_kind;
            IF v_prev IS NOT NULL AND (v_state IS NULL OR v_prev < v_state) THEN
                m_key := v_prev; m_delta := -1;
                @MOVE_TALLY@
                v_prev := NULL;
            END IF;
            IF v_state IS NOT NULL THEN
                m_key := v_state; m_delta := 1;
                @MOVE_TALLY@
            END IF;
            IF v_prev IS NOT NULL THEN
                m_key := v_prev; m_delta := -1;
                @MOVE_TALLY@
            END IF;
        END IF;
        RETURN QUERY SELECT 'm'::text, NULL::bigint, v_state, 1::bigint, NULL::bigint;
    ELSE
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
            -- The previous reader's row: the same choice again changes nothing;
            -- otherwise write their vote and note the totals' moves.
            IF v_kind IS NOT NULL AND v_state IS DISTINCT FROM v_prev THEN
                @WRITE_ROW@
                IF v_prev IS NOT NULL THEN
                    c_articles := c_articles || v_article; c_kinds := c_kinds || v_kind;
                    c_keys := c_keys || v_prev; c_deltas := c_deltas || -1;
                END IF;
                IF v_state IS NOT NULL THEN
                    c_articles := c_articles || v_article; c_kinds := c_kinds || v_kind;
                    c_keys := c_keys || v_state; c_deltas := c_deltas || 1;
                END IF;
            END IF;
            EXIT WHEN v.kind IS NULL;
            v_kind := v.kind; v_article := v.article; v_reader := v.reader;
            @LOCK_ROW@
            v_state := v_prev;
        END IF;
        -- This vote states the reader's vote: the last one of the batch wins.
        v_state := NULLIF(v.value, '');
        v_results[v.n] := v_state;
    END LOOP;

    -- The totals, each (article, kind, choice) moved once, in that order.
    FOR mv IN
        SELECT c.article, c.kind, c.key, SUM(c.delta)::integer AS delta
            FROM unnest(c_articles, c_kinds, c_keys, c_deltas) AS c(article, kind, key, delta)
            GROUP BY c.article, c.kind, c.key HAVING SUM(c.delta) <> 0
            ORDER BY c.article, c.kind, c.key
    LOOP
        m_article := mv.article; m_kind := mv.kind; m_key := mv.key; m_delta := mv.delta;
        @MOVE_TALLY@
    END LOOP;

    RETURN QUERY SELECT 'm'::text, NULL::bigint, v_results[i], i::bigint, NULL::bigint
        FROM generate_subscripts(v_results, 1) AS i;
    END IF;
    -- The figures after the votes. One article (every vote that came alone): its rows
    -- by the (article, choice, shard) index, summed in the index's order (a third of
    -- the server's CPU of the ANY form, which reads them by a bitmap and hashes them).
    IF p_articles[1] = ALL(p_articles) THEN
@FIGURES_OF_ONE@
    ELSE
@FIGURES_OF_ANY@
    END IF;
    -- Ended after the app surely gave up on it (frozen in the writes): roll them back.
    v_now := clock_timestamp();
    IF p_end_by IS NOT NULL AND v_now > to_timestamp(p_end_by / 1e6) THEN
        RAISE EXCEPTION 'vote statement ended after its cut-off' USING ERRCODE = '@STATE@';
    END IF;
    RETURN QUERY SELECT 'c'::text, NULL::bigint, NULL::text,
        (extract(epoch FROM v_now) * 1000000)::bigint, NULL::bigint;
END;
$$;
"""
# The figures after the votes (``stats.figures_query``'s rows, per article), written once
# for the two forms above: one article's, and any articles'.
_FIGURES = """        RETURN QUERY
            SELECT 'v'::text, s.article_id, NULL::text, s.views::bigint, s.comments::bigint
                FROM engagement_articlestats s WHERE s.article_id {match}
            UNION ALL
            SELECT 'r'::text, {article}, t.reaction::text, SUM(t.count)::bigint, 0::bigint
                FROM engagement_reactiontally t WHERE t.article_id {match}
                GROUP BY {by}t.reaction
            UNION ALL
            SELECT 's'::text, {article}, CAST(t.stars AS text), SUM(t.count)::bigint,
                    0::bigint
                FROM engagement_startally t WHERE t.article_id {match}
                GROUP BY {by}t.stars;"""
_FIGURES_OF_ONE = _FIGURES.format(match="= p_articles[1]", article="p_articles[1]", by="")
_FIGURES_OF_ANY = _FIGURES.format(
    match="= ANY(p_articles)", article="t.article_id", by="t.article_id, "
)

CAST_VOTES = (
    _CAST_VOTES.replace("@WRITE_ROW@", _by_kind(_WRITE_ROW, "v_kind"))
    .replace("@LOCK_ROW@", _by_kind(_LOCK_ROW, "v_kind"))
    .replace("@MOVE_TALLY@", _by_kind(_MOVE_TALLY, "m_kind"))
    .replace("@FIGURES_OF_ONE@", _FIGURES_OF_ONE)
    .replace("@FIGURES_OF_ANY@", _FIGURES_OF_ANY)
    .replace("@STATE@", cutoff.STATE)
)

# What a vote runs: ``stats.cast_votes`` sends it with the votes as arrays.
# The arrays are sent as their text (``stats.array_literal``, ``stats.text_array_literal``).
CALL = (
    "SELECT * FROM engagement_cast_votes("
    "%s::text[], %s::bigint[], %s::text[], %s::text[], %s::integer, %s::bigint, %s::bigint)"
)

# The same, for the votes on published articles only (``stats.cast_published_votes``):
# sent after ``WITH live(id) AS (<the published ones among the votes' articles>)``; the
# ids of those come back first as rows of kind 'l' (``o_article``), and the votes cast
# are numbered among themselves, in their order. With none to cast the function is not
# called (it takes at least one vote): it takes its shard from the row that is there
# only when there is one.
CALL_PUBLISHED = """, v AS (
    SELECT u.kind, u.article, u.reader, u.value, u.n
        FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::text[]) WITH ORDINALITY
            AS u(kind, article, reader, value, n)
        WHERE u.article IN (SELECT id FROM live))
SELECT 'l'::text, id::bigint, NULL::text, NULL::bigint, NULL::bigint FROM live
UNION ALL
SELECT c.* FROM (
    SELECT %s::integer AS shard, %s::bigint AS start_by, %s::bigint AS end_by
        WHERE EXISTS (SELECT FROM v)) AS g,
    LATERAL engagement_cast_votes(
        ARRAY(SELECT kind FROM v ORDER BY n), ARRAY(SELECT article FROM v ORDER BY n),
        ARRAY(SELECT reader FROM v ORDER BY n), ARRAY(SELECT value FROM v ORDER BY n), g.shard,
        g.start_by, g.end_by
    ) AS c"""

# The same for votes all on one article (every vote that came alone), filled in with the
# SQL of that article if it is published (``stats.PUBLISHED_AMONG``, its parameters after
# the call's): the function runs only if the article is; no rows back when it is not.
# PostgreSQL tests the ``EXISTS`` once, before the call (a one-time filter).
CALL_IF_PUBLISHED = CALL.replace("%", "%%") + " AS c WHERE EXISTS (%s)"

FUNCTIONS = (CAST_VOTES,)


def create_functions(schema_editor: Any) -> None:
    """(Re)create the vote function (PostgreSQL only; a migration's step)."""
    if schema_editor.connection.vendor == "postgresql":
        for sql in FUNCTIONS:
            schema_editor.execute(sql)
