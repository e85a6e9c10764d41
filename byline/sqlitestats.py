"""SQLite's planner statistics, kept up to date for sites that never run ANALYZE.

Without statistics SQLite guesses that an equality on an indexed column picks a
handful of rows. So the listings' ``status IN ('published', 'scheduled')`` looked
selective, and a site that never ran ANALYZE (every embedded site: nothing ran
it) read the front page, each section and each tag by reading every published
article from the status index and sorting them, 100,000 rows on a big site.
With statistics it reads the latest articles from the date index and stops at
a page.

So each app process, when it opens its first connection and then at most every
``CHECK_SECONDS``, looks (two small reads) whether an index has no statistics
(a new site, a migration's new index) or the articles have grown tenfold since
the last ANALYZE; if so it runs ANALYZE, sampled (``analysis_limit``: a few
milliseconds whatever the size), in a thread of its own on a connection of its
own, so no request waits for it. PostgreSQL keeps its own statistics (autovacuum).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Any

logger = logging.getLogger(__name__)

CHECK_SECONDS = 3600.0
ANALYSIS_LIMIT = 1000  # rows sampled an index
GROWTH = 10  # the articles grew this many times since the statistics were taken
SMALL = 100  # below this many articles, growth alone never asks for ANALYZE

_next_check: dict[str, float] = {}  # database file -> when to look again
_lock = threading.Lock()


def stale(db: sqlite3.Connection) -> bool:
    """Whether an index (not partial) of a table with rows has no statistics, or the articles grew
    ``GROWTH`` times since they were taken."""
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "sqlite_stat1" not in tables:
        return db.execute("SELECT 1 FROM articles_article LIMIT 1").fetchone() is not None
    known = {idx for (idx,) in db.execute("SELECT idx FROM sqlite_stat1")}
    indexes = db.execute(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' "
        "AND tbl_name NOT LIKE 'sqlite_%' AND tbl_name NOT LIKE 'articles_search%' "
        "AND (sql IS NULL OR sql NOT LIKE '% WHERE %')"  # a partial index may hold no row
    ).fetchall()
    for name, table in indexes:
        if name not in known:
            quoted = '"' + table.replace('"', '""') + '"'
            if db.execute(f"SELECT 1 FROM {quoted} LIMIT 1").fetchone() is not None:  # noqa: S608
                return True
    row = db.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'articles_article'").fetchone()
    counted = int(row[0].split()[0]) if row else 0
    articles = db.execute("SELECT max(id) FROM articles_article").fetchone()[0] or 0
    return articles > GROWTH * max(counted, SMALL)


def analyze_if_stale(db: sqlite3.Connection) -> bool:
    """ANALYZE (sampled) if the statistics are missing or old; whether it ran."""
    if not stale(db):
        return False
    db.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    db.execute("ANALYZE")  # outside a transaction, it commits itself
    return True


def _analyze(path: str) -> None:
    try:
        db = sqlite3.connect(path, timeout=30)
        try:
            if analyze_if_stale(db):
                logger.info("SQLite: the planner's statistics were missing or old: analyzed")
        finally:
            db.close()
    except sqlite3.Error as error:
        logger.warning("SQLite: cannot update the planner's statistics: %s", error)


def keep_statistics(sender: object, connection: Any, **kwargs: object) -> None:
    """``connection_created``: at most every ``CHECK_SECONDS`` a process looks, from a
    thread, whether the database's statistics need ANALYZE."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return  # tests' in-memory databases
    now = time.monotonic()
    with _lock:
        if now < _next_check.get(name, float("-inf")):
            return
        _next_check[name] = now + CHECK_SECONDS
    threading.Thread(target=_analyze, args=(name,), name="byline-sqlite-stats", daemon=True).start()
