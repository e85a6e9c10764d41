"""Builds a big Byline site fast, for bench/scale.py: COPY on PostgreSQL, executemany on SQLite.

The site is written straight into the tables (ids chosen here, sequences moved
on afterwards), the way a bulk import would, with the derived values the app
keeps consistent: each reply's ``thread_id`` and ``depth`` (never deeper than
``BYLINE_COMMENT_MAX_DEPTH``, a reply to the deepest level joins that level, as
``discussion.actions.resolve_parent`` does), every reply under an approved
comment, the engagement totals (``ArticleStats``: views and shown comments;
``ReactionTally`` / ``StarTally``: the sums of the vote rows, in shard 0) and
the search index (the SQLite FTS5 triggers fill it; PostgreSQL's GIN index is
an expression index).

A finished site is marked by a row in ``bench_scale_site``; a later run finds
it and reuses the database instead of building it again.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

MARKER_TABLE = "bench_scale_site"
VERSION = 4  # a site built by an older version is built again
WORDS = (
    "the council said on tuesday that budget talks would continue after officials failed to "
    "agree on spending for schools roads and hospitals while residents waited for answers "
    "about rising costs in the city where the harbour froze and elections loom next spring "
    "ministers reporters river trains bridge courts mayor strike farmers weather storm "
    "market prices museum library teachers nurses police report inquiry vote parliament "
    "factory workers union harvest drought flood festival theatre stadium league season"
).split()
COMMON_TERM = "council"  # in (almost) every article
RARE_TERM = "zanzibar"  # in three articles
PROLIFIC = "prolific@example.org"  # writes one comment in 500: the comment-data export


@dataclass(frozen=True)
class Plan:
    articles: int
    comments: int
    big_comments: int = 5000  # on one article
    long_thread: int = 1000  # replies in one thread of that article
    seed: int = 19

    @property
    def sections(self) -> int:
        return 12

    @property
    def tags(self) -> int:
        return max(20, min(400, self.articles // 100))

    @property
    def authors(self) -> int:
        return max(8, min(120, self.articles // 500))

    @property
    def big_article(self) -> int:
        """A story of the last two days: the one with thousands of comments."""
        return max(1, self.articles - 30)

    @property
    def typical_article(self) -> int:
        return max(1, self.articles - 10)


def slug_of(kind: str, number: int) -> str:
    return f"{kind}-{number}"


def _ts(value: datetime, vendor: str) -> datetime | str:
    if vendor == "postgresql":
        return value
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Writer:
    """Rows into a table: COPY on PostgreSQL, executemany in batches on SQLite."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.vendor = connection.vendor

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        count = 0
        names = ", ".join(f'"{c}"' for c in columns)
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
                with raw.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                marks = ", ".join("?" for _ in columns)
                sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608
                raw = cursor.cursor  # sqlite3 cursor: no Django placeholder rewriting
                batch: list[tuple] = []
                for row in rows:
                    batch.append(tuple(_sqlite(v) for v in row))
                    if len(batch) >= 5000:
                        raw.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    raw.executemany(sql, batch)
                    count += len(batch)
        return count

    def reset_sequence(self, table: str) -> None:
        if self.vendor != "postgresql":
            return  # SQLite's AUTOINCREMENT follows the largest id by itself
        with self.connection.cursor() as cursor:
            largest = f'SELECT coalesce(max(id), 1) FROM "{table}"'  # noqa: S608
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), ({largest}))", [table])


def _sqlite(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def existing(connection) -> dict | None:
    """The plan of the site already built in this database, or None."""
    tables = connection.introspection.table_names()
    if MARKER_TABLE not in tables:
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT plan FROM {MARKER_TABLE} WHERE version = %s", [VERSION])  # noqa: S608
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def build(connection, plan: Plan, progress=print) -> float:
    """Fill an empty, migrated database with the site of ``plan``; returns seconds taken."""
    started = time.perf_counter()
    rng = random.Random(plan.seed)
    writer = Writer(connection)
    vendor = writer.vendor
    now = datetime.now(UTC).replace(microsecond=0)
    from django.conf import settings

    max_depth = settings.BYLINE_COMMENT_MAX_DEPTH

    writer.write(
        "articles_section",
        ["id", "name", "slug", "description", "position"],
        ((i, f"Section {i}", slug_of("section", i), "", i) for i in range(1, plan.sections + 1)),
    )
    writer.write(
        "articles_tag",
        ["id", "name", "slug"],
        ((i, f"Tag {i}", slug_of("tag", i)) for i in range(1, plan.tags + 1)),
    )
    writer.write(
        "articles_author",
        ["id", "name", "slug", "bio", "photo"],
        ((i, f"Author {i}", slug_of("author", i), "", "") for i in range(1, plan.authors + 1)),
    )

    # Articles: the newest 60 within the last two days (the News sitemap), the
    # rest spread over ten years; one in 200 a draft, one in 500 scheduled.
    published: dict[int, datetime] = {}
    span = timedelta(days=3650)
    recent = min(60, plan.articles)
    rare = {max(1, plan.articles // 3), max(1, plan.articles // 2), max(1, plan.articles - 5)}

    def article_rows() -> Iterator[tuple]:
        older = max(1, plan.articles - recent)
        for i in range(1, plan.articles + 1):
            if i > plan.articles - recent:
                when = now - timedelta(minutes=45 * (plan.articles - i) + 5)
            else:
                when = now - timedelta(days=2) - span * (older - i) / older
            status = "published"
            if i % 200 == 17 and i not in (plan.big_article, plan.typical_article):
                status = "draft"
            elif i % 500 == 33 and i not in (plan.big_article, plan.typical_article):
                status, when = "scheduled", now + timedelta(days=30)
            if status == "published":
                published[i] = when
            words = [rng.choice(WORDS) for _ in range(140)]
            if i % 50 != 0:
                words[rng.randrange(140)] = COMMON_TERM
            if i in rare:
                words[7] = RARE_TERM
            body = " ".join(words[:70]).capitalize() + ".\n\n" + " ".join(words[70:]) + "."
            html = "<p>" + body.replace("\n\n", "</p>\n<p>") + "</p>"
            text = body.replace("\n\n", " ")
            headline = _sentence(rng, 8)[:-1] + f" {i}"
            standfirst = _sentence(rng, 18)
            yield (
                i,
                headline,
                slug_of("article", i),
                standfirst,
                body,
                html,
                text,
                f"<p>{standfirst}</p>",
                140,
                42,
                "",
                "",
                "",
                status,
                _ts(when, vendor) if status != "draft" else None,
                _ts(when, vendor),
                _ts(when, vendor),
                (i % plan.sections) + 1,
                "",  # no password
                False,  # not featured
            )

    from byline.articles import search

    if vendor == "postgresql":  # the GIN index built once at the end: faster than row by row
        with connection.cursor() as cursor:
            # Foreign keys checked as rows arrive: no trigger events left pending to
            # stop the index being built in the same transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"DROP INDEX IF EXISTS {search.PG_COLUMN_INDEX}")
    n = writer.write(
        "articles_article",
        [
            "id",
            "headline",
            "slug",
            "standfirst",
            "body",
            "body_html",
            "body_text",
            "standfirst_html",
            "word_count",
            "reading_seconds",
            "lead_image",
            "lead_image_alt",
            "lead_image_caption",
            "status",
            "published_at",
            "created_at",
            "updated_at",
            "section_id",
            "password",
            "featured",
        ],
        article_rows(),
    )
    if vendor == "postgresql":
        search.ensure_index(connection)
    progress(f"  {n:,} articles ({time.perf_counter() - started:.0f} s)")

    def author_rows() -> Iterator[tuple]:
        row = 0
        for i in range(1, plan.articles + 1):
            first = (i * 7) % plan.authors + 1
            chosen = {first} | ({(i * 13) % plan.authors + 1} if i % 4 == 0 else set())
            for author in sorted(chosen):
                row += 1
                yield (row, i, author)

    tag_numbers = list(range(1, plan.tags + 1))
    tag_weights = [1 / (k + 5) for k in tag_numbers]

    def tag_rows() -> Iterator[tuple]:
        row = 0
        for i in range(1, plan.articles + 1):
            # Popular tags first (weights 1/(k+5)): tag 1 on about one article in ten.
            chosen = set(rng.choices(tag_numbers, weights=tag_weights, k=3))
            for tag in sorted(chosen):
                row += 1
                yield (row, i, tag)

    writer.write("articles_article_authors", ["id", "article_id", "author_id"], author_rows())
    writer.write("articles_article_tags", ["id", "article_id", "tag_id"], tag_rows())
    progress(f"  authors and tags ({time.perf_counter() - started:.0f} s)")

    # Comments: how many each published article gets (the big one its 5,000).
    others = [i for i in published if i != plan.big_article]
    remaining = max(0, plan.comments - plan.big_comments)
    mean = remaining / max(1, len(others))
    counts = {i: int(rng.expovariate(1 / mean)) if mean else 0 for i in others}
    short = remaining - sum(counts.values())  # exactly the planned number, no more or less
    for i in rng.choices(others, k=abs(short)) if others else []:
        counts[i] = max(0, counts[i] + (1 if short > 0 else -1))
    counts[plan.big_article] = plan.big_comments
    shown: dict[int, int] = {}
    long_thread_root: list[int] = []
    deepest: list[int] = []
    next_id = [0]

    # A few threads headed by a removed comment (the 1st and 5th top-level comments of
    # the article with thousands of comments and of the typical one, outside the long
    # thread), so the pages' "This comment was removed." placeholders are measured.
    removed_on = (plan.big_article, plan.typical_article)
    removed_heads = {1: "trash", 5: "spam"}

    def comment_rows() -> Iterator[tuple]:
        statuses = ["approved"] * 92 + ["pending"] * 5 + ["spam"] * 2 + ["trash"]
        for article_id in sorted(counts):
            count = counts[article_id]
            start = published[article_id]
            # (id, depth, thread, parent) of the approved comments, for replies
            approved: list[tuple[int, int, int, int | None]] = []
            big = article_id == plan.big_article
            by_id: dict[int, tuple[int, int, int, int | None]] = {}
            thread: list[tuple[int, int, int, int | None]] = []
            roots = 0
            owed: list[tuple[int, int, int, int | None]] = []  # removed heads to answer
            for k in range(count):
                next_id[0] += 1
                pk = next_id[0]
                when = start + timedelta(minutes=3 + k * 2, seconds=rng.randrange(60))
                in_thread = big and k <= plan.long_thread
                parent, forced = None, False
                if in_thread and k == 0:
                    long_thread_root.append(pk)
                elif in_thread:
                    parent = rng.choice(thread[-40:])  # the lively end of the thread
                elif owed:  # a removed head's first reply, approved: its thread is shown
                    parent, forced = owed.pop(), True
                elif approved and rng.random() < 0.55:
                    parent = rng.choice(approved[-30:])
                if parent is not None and parent[1] >= max_depth - 1 and parent[3] is not None:
                    parent = by_id[parent[3]]  # a reply to the deepest level joins that level
                depth = parent[1] + 1 if parent else 0
                # The prolific commenter is a known one: their comments are approved.
                known = in_thread or forced or pk % 500 == 0
                status = "approved" if known else rng.choice(statuses)
                thread_id = parent[2] if parent else pk
                me = (pk, depth, thread_id, parent[0] if parent else None)
                if parent is None and not in_thread:
                    roots += 1
                    if article_id in removed_on and roots in removed_heads:
                        # A removed comment heading a thread: its replies come (it takes
                        # them as an approved one would), it shows as a placeholder.
                        status = removed_heads[roots]
                        by_id[pk] = me
                        approved.append(me)
                        owed.append(me)
                if status == "approved":
                    by_id[pk] = me
                    (thread if in_thread else approved).append(me)
                    shown[article_id] = shown.get(article_id, 0) + 1
                    if in_thread and depth == max_depth - 1:
                        deepest.append(pk)
                email = PROLIFIC if pk % 500 == 0 else f"reader{rng.randrange(40000)}@example.org"
                body = _sentence(rng, rng.randint(8, 40))
                yield (
                    pk,
                    article_id,
                    parent[0] if parent else None,
                    thread_id,
                    depth,
                    status,
                    body,
                    f"<p>{body}</p>",
                    f"Reader {pk % 997}",
                    email,
                    "https://example.org/" if pk % 7 == 0 else "",
                    False,
                    False,
                    "",
                    "",
                    "",
                    _ts(when, vendor),
                    "approve" if status == "approved" else "hold",
                    "[]",
                    "local",
                    "",
                    "",
                    0,
                )

    n = writer.write(
        "discussion_comment",
        [
            "id",
            "article_id",
            "parent_id",
            "thread_id",
            "depth",
            "status",
            "body",
            "body_html",
            "author_name",
            "author_email",
            "author_url",
            "notify_replies",
            "reply_notified",
            "owner_key",
            "ip_hash",
            "user_agent",
            "submitted_at",
            "spam_verdict",
            "spam_reasons",
            "spam_backend",
            "moderation",
            "import_source",
            "reactions",
        ],
        comment_rows(),
    )
    progress(f"  {n:,} comments ({time.perf_counter() - started:.0f} s)")

    # Votes and views: the vote rows, and totals that are exactly their sums.
    from django.conf import settings as live

    keys = [kind.key for kind in live.BYLINE_REACTIONS]
    reaction_rows: list[tuple] = []
    rating_rows: list[tuple] = []
    reaction_totals: dict[tuple[int, str], int] = {}
    star_totals: dict[tuple[int, int], int] = {}
    stamp = _ts(now, vendor)
    for article_id in sorted(published):
        big = article_id == plan.big_article
        for r in range(2000 if big else rng.randint(0, 5)):
            key = keys[min(len(keys) - 1, int(rng.expovariate(0.8)))]
            reaction_rows.append((len(reaction_rows) + 1, article_id, f"r{r}", key, stamp, stamp))
            reaction_totals[(article_id, key)] = reaction_totals.get((article_id, key), 0) + 1
        for r in range(1000 if big else rng.randint(0, 3)):
            stars = rng.choice((1, 2, 3, 4, 4, 5, 5, 5))
            rating_rows.append((len(rating_rows) + 1, article_id, f"r{r}", stars, stamp, stamp))
            star_totals[(article_id, stars)] = star_totals.get((article_id, stars), 0) + 1
    cols = ["id", "article_id", "reader", "reaction", "created_at", "updated_at"]
    writer.write("engagement_reaction", cols, reaction_rows)
    writer.write("engagement_rating", [*cols[:3], "stars", *cols[4:]], rating_rows)
    from byline.engagement.models import TALLY_SHARDS

    def shards(totals: dict) -> Iterator[tuple]:
        """Each total in shard 0; on the two articles the bench votes on, every choice in
        every shard (a vote then always finds its shard: the same queries each time)."""
        voted = (plan.big_article, plan.typical_article)
        number = 0
        for (article_id, choice), count in sorted(totals.items()):
            if article_id not in voted:
                number += 1
                yield (number, article_id, choice, 0, count)
        for article_id in voted:
            for choice in keys if totals is reaction_totals else (1, 2, 3, 4, 5):
                count = totals.get((article_id, choice), 0)
                for shard in range(TALLY_SHARDS):
                    number += 1
                    yield (number, article_id, choice, shard, count if shard == 0 else 0)

    writer.write(
        "engagement_reactiontally",
        ["id", "article_id", "reaction", "shard", "count"],
        shards(reaction_totals),
    )
    writer.write(
        "engagement_startally", ["id", "article_id", "stars", "shard", "count"], shards(star_totals)
    )
    writer.write(
        "engagement_articlestats",
        ["article_id", "views", "comments"],
        ((a, rng.randint(0, 50000), shown.get(a, 0)) for a in sorted(published)),
    )
    for table in (
        "articles_section",
        "articles_tag",
        "articles_author",
        "articles_article",
        "articles_article_authors",
        "articles_article_tags",
        "discussion_comment",
        "engagement_reaction",
        "engagement_rating",
        "engagement_reactiontally",
        "engagement_startally",
    ):
        writer.reset_sequence(table)
    from byline.discussion.threads import count_removed_threads

    if vendor == "postgresql":
        # Statistics first: without them PostgreSQL looks for each removed top-level
        # comment's approved reply by reading the table (minutes at 1,000,000 comments).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE discussion_comment")
    count_removed_threads()  # the comments were written around the app's write paths
    facts = {
        **asdict(plan),
        "big_article": plan.big_article,
        "typical_article": plan.typical_article,
        "long_thread_root": long_thread_root[0] if long_thread_root else None,
        "deep_reply": deepest[-1] if deepest else None,
        "comment_rows": next_id[0],
        "built_seconds": round(time.perf_counter() - started, 1),
    }
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (version integer, plan text)")
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (version, plan) VALUES (%s, %s)",  # noqa: S608
            [VERSION, json.dumps(facts)],
        )
    progress(f"  votes and totals ({time.perf_counter() - started:.0f} s)")
    return time.perf_counter() - started
