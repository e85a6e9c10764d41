"""Full-text search over published articles: headline, standfirst and body.

Two engines behind one function, :func:`search`:

* SQLite (the embedded tier): an FTS5 table ``articles_search`` over the
  article table's own columns (external content), kept in step by triggers, so
  every write path (the admin, ``bulk_create``, the WordPress import, raw SQL)
  updates it, and deletes remove it.
* PostgreSQL: ``tsvector`` full-text search over the same columns: a stored
  generated column (``search_vector``, so ranking never re-parses a body) with
  a GIN index; PostgreSQL keeps it in step on every write.

Both rank at most ``MAX_RANKED`` matches (the latest ones) so a word found in
every article costs what a rarer one does: a reader searching a 100,000-article
archive for "council" gets the best of its latest thousand matches, and is told
there are more than a thousand. Pages are an ``OFFSET`` into those ranked
matches, and that is bounded: ranking already reads and sorts the whole capped
set for page 1, so a deep page only skips more sorted rows (never table rows)
and a keyset cursor would save nothing (the rank is in no index).

Both rank headline matches above standfirst matches above body matches, return
the headline with the matched words marked and a snippet of the text around
them, and accept any string a reader can type: hostile input finds nothing, it
never fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from django.db import connection
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from byline.articles.models import Article

# Private-use characters mark matches inside the engines' output; the text is
# escaped first and only then are they turned into <mark> elements.
START, STOP = "\ue000", "\ue001"

FTS_TABLE = "articles_search"
FTS_COLUMNS = "headline, standfirst, body_text"
SQLITE_SETUP = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS articles_search USING fts5(
        headline, standfirst, body_text, content='articles_article', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER IF NOT EXISTS articles_search_insert AFTER INSERT ON articles_article BEGIN
        INSERT INTO articles_search(rowid, headline, standfirst, body_text)
        VALUES (new.id, new.headline, new.standfirst, new.body_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS articles_search_delete AFTER DELETE ON articles_article BEGIN
        INSERT INTO articles_search(articles_search, rowid, headline, standfirst, body_text)
        VALUES ('delete', old.id, old.headline, old.standfirst, old.body_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS articles_search_update
        AFTER UPDATE OF headline, standfirst, body_text ON articles_article BEGIN
        INSERT INTO articles_search(articles_search, rowid, headline, standfirst, body_text)
        VALUES ('delete', old.id, old.headline, old.standfirst, old.body_text);
        INSERT INTO articles_search(rowid, headline, standfirst, body_text)
        VALUES (new.id, new.headline, new.standfirst, new.body_text);
    END""",
]
SQLITE_TRIGGERS = {f"{FTS_TABLE}_insert", f"{FTS_TABLE}_delete", f"{FTS_TABLE}_update"}

PG_CONFIG = "'english'::regconfig"
PG_VECTOR = (
    f"(setweight(to_tsvector({PG_CONFIG}, coalesce(headline, '')), 'A') || "
    f"setweight(to_tsvector({PG_CONFIG}, coalesce(standfirst, '')), 'B') || "
    f"setweight(to_tsvector({PG_CONFIG}, coalesce(body_text, '')), 'C'))"
)
PG_INDEX = "articles_article_search"  # the expression index of old; replaced by:
PG_COLUMN = "search_vector"
PG_COLUMN_INDEX = "articles_article_search_vector"
MAX_RANKED = 1000


def ensure_index(conn=None) -> None:
    """Create the search index if it is missing (idempotent; run after every migrate).

    On SQLite a table rebuild by a later migration drops the triggers with the
    old table; this puts them back and refills the index.
    """
    conn = conn or connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [f"{FTS_TABLE}_%"],
            )
            complete = {row[0] for row in cursor.fetchall()} >= SQLITE_TRIGGERS
            for statement in SQLITE_SETUP:
                cursor.execute(statement)
            if not complete:
                cursor.execute("INSERT INTO articles_search(articles_search) VALUES ('rebuild')")
        elif conn.vendor == "postgresql":
            cursor.execute(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_name = 'articles_article' AND column_name = %s",
                [PG_COLUMN],
            )
            if cursor.fetchone() is None:
                cursor.execute(
                    f"ALTER TABLE articles_article ADD COLUMN {PG_COLUMN} tsvector "
                    f"GENERATED ALWAYS AS {PG_VECTOR} STORED"
                )
                # The planner needs the new column's word statistics to pick, for a
                # common word, the latest articles over the index (and vice versa).
                cursor.execute("ANALYZE articles_article")
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {PG_COLUMN_INDEX} "
                f"ON articles_article USING gin ({PG_COLUMN})"
            )
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")


def drop_index(conn=None) -> None:
    conn = conn or connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            for trigger in sorted(SQLITE_TRIGGERS):
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        elif conn.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
            cursor.execute(f"DROP INDEX IF EXISTS {PG_COLUMN_INDEX}")
            cursor.execute(f"ALTER TABLE articles_article DROP COLUMN IF EXISTS {PG_COLUMN}")


# -- the reader's query ---------------------------------------------------------

WORD = re.compile(r"\w+")
TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    excluded: bool = False


def parse_query(text: str) -> list[list[Term]]:
    """Split a reader's query into AND-ed groups of OR-ed terms.

    Words are letters and digits only; ``"two words"`` is a phrase, ``-word``
    excludes, ``OR`` between two terms accepts either. Everything else
    (operators, brackets, stray quotes, column filters) is ignored, so no
    input can reach the engine as syntax.
    """
    groups: list[list[Term]] = []
    join_next = False
    for match in TERM.finditer(text[:500]):
        excluded_phrase, phrase, bare = match.groups()
        if bare == "OR":
            join_next = bool(groups)
            continue
        excluded = bool(excluded_phrase) or (bare or "").startswith("-")
        words = tuple(WORD.findall(phrase if phrase is not None else bare))
        if not words:
            continue
        term = Term(words, excluded)
        if join_next and not excluded and not groups[-1][0].excluded:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    return groups


def fts5_expression(groups: list[list[Term]]) -> str:
    """An FTS5 MATCH expression in which every word is a quoted string."""

    def quoted(term: Term) -> str:
        return '"' + " ".join(term.words).replace('"', "") + '"'

    positive = [g for g in groups if not g[0].excluded]
    if not positive:
        return ""
    parts = ["(" + " OR ".join(quoted(t) for t in group) + ")" for group in positive]
    expression = " AND ".join(parts)
    for group in groups:
        if group[0].excluded:
            expression += " NOT " + quoted(group[0])
    return expression


def websearch_text(groups: list[list[Term]]) -> str:
    """The same query rewritten for PostgreSQL's ``websearch_to_tsquery``."""

    def written(term: Term) -> str:
        text = " ".join(term.words)
        text = f'"{text}"' if len(term.words) > 1 else text
        return f"-{text}" if term.excluded else text

    return " ".join(" or ".join(written(t) for t in group) for group in groups)


# -- results --------------------------------------------------------------------


def marked(text: str) -> SafeString:
    """Escape the engine's output, then turn its match markers into <mark>."""
    html = escape(text).replace(START, "<mark>").replace(STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 (escaped above)


@dataclass(frozen=True)
class Hit:
    article: Article
    headline_html: SafeString
    snippet_html: SafeString


class Results:
    """A lazily-run, sliceable result list that Django's Paginator can page through."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.groups = parse_query(text)
        self.expression = fts5_expression(self.groups)

    @cached_property
    def _matches(self) -> int:
        """How many articles match, counting no further than one past ``MAX_RANKED``."""
        if not self.expression:
            return 0
        sql, params = self._sql(count=True)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    @property
    def _count(self) -> int:
        return min(self._matches, MAX_RANKED)

    @property
    def capped(self) -> bool:
        """More articles match than are ranked: the page says "more than 1,000"."""
        return self._matches > MAX_RANKED

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: slice) -> list[Hit]:
        if not isinstance(index, slice):
            raise TypeError("search results are read a page at a time")
        start, stop = index.start or 0, index.stop
        if not self.expression or stop is None or stop <= start:
            return []
        sql, params = self._sql(limit=stop - start, offset=start)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        articles = Article.objects.select_related("section").in_bulk([row[0] for row in rows])
        hits = []
        for article_id, headline, *snippets in rows:
            if article_id not in articles:
                continue
            snippet = next((s for s in snippets if s and START in s), snippets[0] or "")
            hits.append(Hit(articles[article_id], marked(headline), marked(snippet)))
        return hits

    def _sql(self, count: bool = False, limit: int = 0, offset: int = 0) -> tuple[str, list]:
        live = [Article.Status.PUBLISHED, Article.Status.SCHEDULED, timezone.now()]
        if connection.vendor == "postgresql":
            query = f"websearch_to_tsquery({PG_CONFIG}, %s)"
            where = (
                f"FROM articles_article a, {query} q WHERE a.{PG_COLUMN} @@ q "
                "AND a.status IN (%s, %s) AND a.published_at <= %s AND a.password = ''"
            )
            params = [websearch_text(self.groups), *live]
            if count:
                counted = f"SELECT 1 {where} LIMIT {MAX_RANKED + 1}"  # noqa: S608 (constants)
                return f"SELECT count(*) FROM ({counted}) m", params  # noqa: S608
            # The latest MAX_RANKED matches, ranked; snippets for the page's rows only.
            # (ranked after the cut: ts_rank runs on MAX_RANKED rows, not on every match)
            latest = (  # noqa: S608 (constants and placeholders only)
                f"SELECT a.id, a.published_at {where} "
                f"ORDER BY a.published_at DESC, a.id DESC LIMIT {MAX_RANKED}"
            )
            ranked = f"SELECT m.id, m.published_at, ts_rank(r.{PG_COLUMN}, q) AS rank "
            ranked += f"FROM ({latest}) m JOIN articles_article r ON r.id = m.id, {query} q "
            page = f"{ranked} ORDER BY rank DESC, m.published_at DESC, m.id DESC"
            page += " LIMIT %s OFFSET %s"
            marks = f"StartSel={START}, StopSel={STOP}"
            select = (
                f"SELECT a.id, ts_headline({PG_CONFIG}, a.headline, q, "
                f"'{marks}, HighlightAll=true'), "
                f"ts_headline({PG_CONFIG}, a.standfirst || ' ' || a.body_text, q, "
                f"'{marks}, MaxWords=40, MinWords=20, MaxFragments=2, FragmentDelimiter=\" … \"') "
            )
            return (
                f"{select} FROM ({page}) p JOIN articles_article a ON a.id = p.id, {query} q "
                "ORDER BY p.rank DESC, p.published_at DESC, p.id DESC",
                [*params, websearch_text(self.groups), limit, offset, websearch_text(self.groups)],
            )
        where = (
            f"FROM {FTS_TABLE} s JOIN articles_article a ON a.id = s.rowid "
            f"WHERE {FTS_TABLE} MATCH %s AND a.status IN (%s, %s) AND a.published_at <= %s "
            "AND a.password = ''"  # a password-protected article is never found
        )
        params = [self.expression, *live]
        if count:
            counted = f"SELECT 1 {where} LIMIT {MAX_RANKED + 1}"  # noqa: S608 (constants)
            return f"SELECT count(*) FROM ({counted})", params  # noqa: S608
        latest = f"SELECT a.id {where} ORDER BY a.published_at DESC, a.id DESC"  # noqa: S608
        latest += f" LIMIT {MAX_RANKED}"
        where += f" AND a.id IN ({latest})"
        params += params
        select = (
            f"SELECT a.id, highlight({FTS_TABLE}, 0, '{START}', '{STOP}'), "
            f"snippet({FTS_TABLE}, 2, '{START}', '{STOP}', ' … ', 32), "
            f"snippet({FTS_TABLE}, 1, '{START}', '{STOP}', ' … ', 32) "
        )
        order = f"ORDER BY bm25({FTS_TABLE}, 10.0, 4.0, 1.0), a.published_at DESC, a.id DESC"
        return f"{select} {where} {order} LIMIT %s OFFSET %s", [*params, limit, offset]


def search(text: str) -> Results:
    """Published articles matching ``text``, best first, ready for a Paginator."""
    return Results(text)
