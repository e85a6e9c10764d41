"""The SQL that adds views on PostgreSQL: one statement a batch, the view log's position too.

``engagement_add_views(name, old_inode, old_offset, inode, offset, articles, days,
views, totals_articles, totals)`` adds ``views[i]`` to article ``articles[i]`` on
``days[i]`` (``DailyViews``) and ``totals[i]`` to article ``totals_articles[i]``
(``ArticleStats``), rows taken in the order given (article, then day: concurrent
calls and votes cannot deadlock), and returns true. With a ``name`` (a file of
nginx's view log, ``viewlog``) it first moves that file's ``ViewLogPosition`` from
(``old_inode``, ``old_offset``) to (``inode``, ``offset``) — creating the row when
``old_inode`` is NULL — and adds nothing, returning false, when the row is not
where the caller read it (another folder moved it first: the caller reads it again).
The row is locked first, so two folders of one file take turns, and the views and
the position are committed together: one round trip and one commit a batch, where
the same steps sent one by one were seven (``BEGIN``, the position read and moved,
the two upserts, ``COMMIT``), each planned again (the plans of the function's
statements are kept by each server process).

Migrations only create the function (``0013_views_statement`` runs
``create_functions()``); other databases run the same steps from Python
(``viewbuffer.apply_batch``, ``viewlog._commit_batch``).
"""

from __future__ import annotations

from typing import Any

ADD_VIEWS = """
CREATE OR REPLACE FUNCTION engagement_add_views(
    p_name text, p_old_inode bigint, p_old_offset bigint, p_inode bigint, p_offset bigint,
    p_articles bigint[], p_days date[], p_views bigint[],
    p_totals_articles bigint[], p_totals bigint[]
) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF p_name IS NOT NULL THEN
        IF p_old_inode IS NULL THEN
            INSERT INTO engagement_viewlogposition (name, inode, "offset", updated_at)
                VALUES (p_name, p_inode, p_offset, now()) ON CONFLICT (name) DO NOTHING;
        ELSE
            UPDATE engagement_viewlogposition
                SET inode = p_inode, "offset" = p_offset, updated_at = now()
                WHERE name = p_name AND inode = p_old_inode AND "offset" = p_old_offset;
        END IF;
        IF NOT FOUND THEN
            RETURN false;
        END IF;
    END IF;
    INSERT INTO engagement_dailyviews (article_id, day, views)
        SELECT a, d, v FROM unnest(p_articles, p_days, p_views) WITH ORDINALITY AS t(a, d, v, n)
        ORDER BY n
        ON CONFLICT (article_id, day)
        DO UPDATE SET views = engagement_dailyviews.views + excluded.views;
    INSERT INTO engagement_articlestats (article_id, views, comments)
        SELECT a, v, 0 FROM unnest(p_totals_articles, p_totals) WITH ORDINALITY AS t(a, v, n)
        ORDER BY n
        ON CONFLICT (article_id)
        DO UPDATE SET views = engagement_articlestats.views + excluded.views;
    RETURN true;
END;
$$;
"""

ADD_VIEWS_CALL = (
    "SELECT engagement_add_views(%s, %s, %s, %s, %s, %s::bigint[], %s::date[], %s::bigint[],"
    " %s::bigint[], %s::bigint[])"
)


def create_functions(schema_editor: Any) -> None:
    """(Re)create the function (PostgreSQL only; a migration's step)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD_VIEWS)
