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
there are more than a thousand. One query reads those matches with their score
(and one more: the count is its length, "more than" is that one), Python orders
them, and a page is a slice of that order, so a deep page costs what the first
does (no ``OFFSET``, no keyset cursor: the rank is in no index). A second query
marks the page's ten rows: snippets are the costly part, so only they get one.

Both rank headline matches above standfirst matches above body matches, return
the headline with the matched words marked and a snippet of the text around
them, and accept any string a reader can type: hostile input finds nothing, it
never fails. Both ignore accents ("cafe" finds "Café"; PostgreSQL folds more:
ß, ligatures, dotless ı; see docs/publishing.md) and mark the words as written.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from byline.articles.models import Article

# Private-use characters mark matches inside the engines' output; the text is
# escaped first and only then are they turned into <mark> elements.
START, STOP = "\ue000", "\ue001"

logger = logging.getLogger(__name__)

FTS_TABLE = "articles_search"
FTS_COLUMNS = "headline, standfirst, body_text"
SQLITE_SETUP = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS articles_search USING fts5(
        headline, standfirst, body_text, content='articles_article', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
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

# Readers type without accents: "cafe" finds "Café". SQLite's tokenizer drops the
# diacritics itself (``remove_diacritics 2``, stacked ones too); PostgreSQL reads
# through ``byline_search``, English with the ``unaccent`` dictionary before the
# stemmer. Both index folded words and mark the original text in results.
SQLITE_TOKENIZER = "remove_diacritics 2"
PG_CONFIG_NAME = "byline_search"
PG_CONFIG = f"'{PG_CONFIG_NAME}'::regconfig"
PG_WORDS = "word, hword, hword_part"  # the words with letters beyond ASCII
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
    """Create the search index if it is missing or stale (idempotent; run after every migrate).

    On SQLite a table rebuild by a later migration drops the triggers with the
    old table; this puts them back and refills the index. An index built by an
    older Byline (accent-sensitive) is rebuilt, so old articles are found too.
    """
    conn = conn or connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            _ensure_sqlite(cursor)
        elif conn.vendor == "postgresql":
            _ensure_postgres(conn, cursor)


def _ensure_sqlite(cursor) -> None:
    cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [FTS_TABLE])
    row = cursor.fetchone()
    if row is not None and SQLITE_TOKENIZER not in row[0]:
        # Built accent-sensitive by an older Byline: a tokenizer is fixed at creation.
        _drop_sqlite(cursor)
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
        [f"{FTS_TABLE}_%"],
    )
    complete = {row[0] for row in cursor.fetchall()} >= SQLITE_TRIGGERS
    for statement in SQLITE_SETUP:
        cursor.execute(statement)
    if not complete:
        cursor.execute("INSERT INTO articles_search(articles_search) VALUES ('rebuild')")


def unaccent_available(conn) -> bool:
    """Install PostgreSQL's ``unaccent`` extension if it is not there yet; False if
    this database cannot have it (contrib files missing, or a user without the
    CREATE privilege on a PostgreSQL older than 13, where it is not "trusted")."""
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")
        if cursor.fetchone() is not None:
            return True
        try:
            with transaction.atomic(using=conn.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        except DatabaseError as error:
            logger.warning(
                "Search stays accent-sensitive: PostgreSQL's unaccent extension could "
                "not be installed (%s). Have a superuser run CREATE EXTENSION unaccent "
                "in this database, then run manage.py migrate again (docs/publishing.md).",
                str(error).strip(),
            )
            return False
        return True


def _pg_config_unaccents(cursor) -> bool:
    cursor.execute(
        "SELECT 1 FROM pg_ts_config_map m JOIN pg_ts_config c ON c.oid = m.mapcfg "
        "JOIN pg_ts_dict d ON d.oid = m.mapdict "
        "WHERE c.cfgname = %s AND d.dictname = 'unaccent'",
        [PG_CONFIG_NAME],
    )
    return cursor.fetchone() is not None


def _ensure_postgres(conn, cursor) -> None:
    cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [PG_CONFIG_NAME])
    if cursor.fetchone() is None:
        cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG_NAME} (COPY = english)")
    stale = False
    if not _pg_config_unaccents(cursor) and unaccent_available(conn):
        cursor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG_NAME} "
            f"ALTER MAPPING FOR {PG_WORDS} WITH unaccent, english_stem"
        )
        stale = True  # the stored vectors were folded without it
    cursor.execute(
        "SELECT generation_expression FROM information_schema.columns "
        "WHERE table_name = 'articles_article' AND column_name = %s",
        [PG_COLUMN],
    )
    row = cursor.fetchone()
    if row is not None and (stale or PG_CONFIG_NAME not in (row[0] or "")):
        # Built with another configuration (an older Byline's 'english', or before
        # unaccent was installed): a stored column is recomputed only when re-added.
        cursor.execute(f"ALTER TABLE articles_article DROP COLUMN {PG_COLUMN}")
        row = None
    if row is None:
        cursor.execute(
            f"ALTER TABLE articles_article ADD COLUMN {PG_COLUMN} tsvector "
            f"GENERATED ALWAYS AS {PG_VECTOR} STORED"
        )
        # The planner needs the new column's word statistics to pick, for a
        # common word, the latest articles over the index (and vice versa).
        cursor.execute("ANALYZE articles_article")
    cursor.execute(
        f"CREATE INDEX IF NOT EXISTS {PG_COLUMN_INDEX} ON articles_article USING gin ({PG_COLUMN})"
    )
    cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")


def _drop_sqlite(cursor) -> None:
    for trigger in sorted(SQLITE_TRIGGERS):
        cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def drop_index(conn=None) -> None:
    conn = conn or connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            _drop_sqlite(cursor)
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
    # "e" and a combining accent (NFD) is the letter "è" the index holds (NFC).
    for match in TERM.finditer(unicodedata.normalize("NFC", text[:500])):
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

    def joined(group: list[Term]) -> str:
        either = " " if group[0].excluded else " or "  # "-a -b": neither
        return either.join(written(t) for t in final_sigma(group))

    return " ".join(joined(group) for group in groups)


def final_sigma(group: list[Term]) -> list[Term]:
    """A Greek word ending in a sigma matches both its final (ς) and its other (σ)
    form: PostgreSQL lower-cases "ΟΔΥΣΣΕΥΣ" to "οδυσσευσ" but keeps "Ὀδυσσεύς" as
    "οδυσσευς" (FTS5 folds the two itself). Single words only, not phrases."""
    extra = []
    for term in group:
        word = term.words[0]
        if len(term.words) == 1 and len(word) > 1 and word[-1] in "ςσΣ":
            for sigma in "ςσ":
                if word[-1] != sigma:
                    extra.append(Term((word[:-1] + sigma,), term.excluded))
    return group + extra


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
    """A lazily-run, sliceable result list that Django's Paginator can page through.

    Two queries whatever the page: the latest matches with their rank (at most one
    more than ``MAX_RANKED``: the count, and whether there are more), ordered here,
    best first; then the marked headline and snippets of the page's rows only.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.groups = parse_query(text)
        self.expression = fts5_expression(self.groups)

    @cached_property
    def _latest(self) -> list[tuple[int, float]]:
        """(id, score) of the latest matches, latest first, one more than ``MAX_RANKED``
        at most; the higher the score, the better the match."""
        if not self.expression:
            return []
        if connection.vendor == "sqlite" and (latest := self._latest_on_sqlite()) is not None:
            return latest
        sql, params = self._latest_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(article_id, score) for article_id, score in cursor.fetchall()]

    def _latest_on_sqlite(self) -> list[tuple[int, float]] | None:
        """``_latest`` for a common word on SQLite, or None for a rarer one.

        SQLite planned the search from the search index whatever the word: a word in
        every article of 100,000 was 100,000 scores, rows and a sort (430 ms). The
        search index hands out its matches newest id first and stops when asked:
        the ``WINDOW`` highest ids (a rarer word has fewer: the usual query). The
        latest of those by date are read from the date index (``article_visible_latest``,
        without the rows), and only they are scored, from the search index's range of
        their ids. That is the answer unless an article of a lower id was published
        after the last of them (a scheduled one, an import out of order): one more
        index read says; then every match's id is read and the date index walked.
        """
        window = 2 * (MAX_RANKED + 1)
        live = [Article.Status.PUBLISHED, Article.Status.SCHEDULED, timezone.now()]
        visible = "a.status IN (%s, %s) AND a.published_at <= %s AND a.password = ''"
        latest = f"ORDER BY a.published_at DESC, a.id DESC LIMIT {MAX_RANKED + 1}"
        match = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(f"{match} ORDER BY rowid DESC LIMIT {window}", [self.expression])
            newest = [row[0] for row in cursor.fetchall()]
            if len(newest) < window:
                return None
            places = ", ".join("%s" for _ in newest)
            # ``+``: the date index is walked, the ids only looked up in.
            walk = (
                f"SELECT a.id, a.published_at FROM articles_article a "  # noqa: S608
                f"WHERE {visible} AND +a.id IN ({{}}) {latest}"
            )
            cursor.execute(walk.format(places), [*live, *newest])
            rows = cursor.fetchall()
            exact = len(rows) == MAX_RANKED + 1
            if exact:
                cursor.execute(
                    f"SELECT 1 FROM articles_article a WHERE {visible} "  # noqa: S608
                    "AND a.published_at >= %s AND a.id < %s LIMIT 1",
                    [*live, rows[-1][1], min(newest)],
                )
                exact = cursor.fetchone() is None
            if not exact:
                cursor.execute(walk.format(match), [*live, self.expression])
                rows = cursor.fetchall()
            ids = [row[0] for row in rows]
            if not ids:
                return []
            cursor.execute(
                f"SELECT rowid, -bm25({FTS_TABLE}, 10.0, 4.0, 1.0) FROM {FTS_TABLE} "  # noqa: S608
                f"WHERE {FTS_TABLE} MATCH %s AND rowid BETWEEN %s AND %s",
                [self.expression, min(ids), max(ids)],
            )
            scores = dict(cursor.fetchall())
        return [(article_id, scores[article_id]) for article_id in ids if article_id in scores]

    @cached_property
    def _ranked(self) -> list[int]:
        """The ids of the ranked matches, best first; among equals, the latest first
        (the order they were read in: ``sorted`` keeps it)."""
        ranked = sorted(self._latest[:MAX_RANKED], key=lambda row: -row[1])
        return [article_id for article_id, _ in ranked]

    @property
    def _count(self) -> int:
        return min(len(self._latest), MAX_RANKED)

    @property
    def capped(self) -> bool:
        """More articles match than are ranked: the page says "more than 1,000"."""
        return len(self._latest) > MAX_RANKED

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: slice) -> list[Hit]:
        if not isinstance(index, slice):
            raise TypeError("search results are read a page at a time")
        ids = self._ranked[index]
        if not ids:
            return []
        sql, params = self._marks_sql(ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            marks = {row[0]: row[1:] for row in cursor.fetchall()}
        # What a hit shows of its article (no body: the snippet is the engine's).
        shown = ("slug", "headline", "published_at", "section__name", "section__slug")
        shown_rows = Article.objects.select_related("section").only(*shown).order_by()
        articles = shown_rows.in_bulk(ids)  # (unordered: a dict)
        hits = []
        for article_id in ids:
            if article_id not in articles or article_id not in marks:
                continue
            headline, *snippets = marks[article_id]
            snippet = next((s for s in snippets if s and START in s), snippets[0] or "")
            hits.append(Hit(articles[article_id], marked(headline), marked(snippet)))
        return hits

    def _latest_sql(self) -> tuple[str, list]:
        """The latest ``MAX_RANKED + 1`` matches and their scores, read from the date
        index (a common word) or the search index (a rare one), scored as they are read."""
        live = [Article.Status.PUBLISHED, Article.Status.SCHEDULED, timezone.now()]
        visible = "a.status IN (%s, %s) AND a.published_at <= %s AND a.password = ''"
        latest = f"ORDER BY a.published_at DESC, a.id DESC LIMIT {MAX_RANKED + 1}"
        if connection.vendor == "postgresql":
            query = f"websearch_to_tsquery({PG_CONFIG}, %s)"
            return (
                f"SELECT a.id, ts_rank(a.{PG_COLUMN}, q) FROM articles_article a, {query} q "  # noqa: S608 (constants and placeholders only)
                f"WHERE a.{PG_COLUMN} @@ q AND {visible} {latest}",
                [websearch_text(self.groups), *live],
            )
        # bm25: the lower, the better (headline 10, standfirst 4, body 1), so negated.
        return (
            f"SELECT a.id, -bm25({FTS_TABLE}, 10.0, 4.0, 1.0) FROM {FTS_TABLE} s "  # noqa: S608
            f"JOIN articles_article a ON a.id = s.rowid "
            f"WHERE {FTS_TABLE} MATCH %s AND {visible} {latest}",
            [self.expression, *live],
        )

    def _marks_sql(self, ids: list[int]) -> tuple[str, list]:
        """The headline with the matched words marked and snippets, for these rows only."""
        places = ", ".join("%s" for _ in ids)
        if connection.vendor == "postgresql":
            marks = f"StartSel={START}, StopSel={STOP}"
            return (
                f"SELECT a.id, ts_headline({PG_CONFIG}, a.headline, q, "  # noqa: S608
                f"'{marks}, HighlightAll=true'), "
                f"ts_headline({PG_CONFIG}, a.standfirst || ' ' || a.body_text, q, "
                f"'{marks}, MaxWords=40, MinWords=20, MaxFragments=2, FragmentDelimiter=\" … \"') "
                f"FROM articles_article a, websearch_to_tsquery({PG_CONFIG}, %s) q "
                f"WHERE a.id IN ({places})",
                [websearch_text(self.groups), *ids],
            )
        return (
            f"SELECT s.rowid, highlight({FTS_TABLE}, 0, '{START}', '{STOP}'), "  # noqa: S608
            f"snippet({FTS_TABLE}, 2, '{START}', '{STOP}', ' … ', 32), "
            f"snippet({FTS_TABLE}, 1, '{START}', '{STOP}', ' … ', 32) "
            f"FROM {FTS_TABLE} s WHERE {FTS_TABLE} MATCH %s AND s.rowid IN ({places})",
            [self.expression, *ids],
        )


def search(text: str) -> Results:
    """Published articles matching ``text``, best first, ready for a Paginator."""
    return Results(text)
