"""Benchmark: how Byline's cost grows with its content (newsroom scale).

Builds (once, then reuses) a site of N articles with 10 comments an article on
average, in threads up to the depth limit, one article with 5,000 comments
holding one thread of 1,000 replies, votes and views; and a 1,000-article
reference site with the same big article. Then, through the production WSGI
application (page cache included), measures p50, p95 and the SQL queries of
each reader-facing page cold (page cache and Django cache cleared before every
request) and warm (the second request: a page cache hit), the admin change
lists as a signed-in editor, and a vote and a comment POST; and prints one
table with both sites side by side and the ratio of their p95s. Beside the wall
time's p95, the p95s of this process's CPU per request (``cpu95``), of the
PostgreSQL backend's (``db95``) and of the two together (``c+d95``: what a page
costs the server, the figure to read the 50 ms target by on a loaded machine),
the backend's read from the scheduler's own account (/proc/.../schedstat); under the
table, where the wall time of the pages over their target went (CPU of the app
and of its PostgreSQL backend, time the two spent runnable but waiting for a
core, and the rest: waits on Redis, the network, the disk), the full garbage
collections that fell in timed requests, and a streamed answer's first byte.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/scale.py
        # 100,000 articles, 1,000,000 comments, in NAME_100000 (kept; NAME_1000 beside it)
    .venv/bin/python bench/scale.py --articles 10000     # SQLite, in var/bench-scale/
    .venv/bin/python bench/scale.py --quick              # small sizes: asserts, no timings

``--quick`` builds two small sites (and the databases are thrown away) and
ASSERTS what must not grow with content: every page's query count is the same
on both, the article with thousands of comments and the page of the long thread
render a bounded number of comments, and sizes stay bounded. Never timings.

On a shared 2-core machine figures are noisy: compare the ratio column. The two
sites are measured request by request in turn (small, large, small, ...), so a
change in the machine's load falls on both columns alike.
"""

from __future__ import annotations

import gc
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

READER_TARGET_MS = 50.0
ADMIN_TARGET_MS = 300.0
COMMENT_ITEM = re.compile(rb'class="comment depth-')
EXPORT = "comment-data export"

from harness import (  # noqa: E402 (bench/ is on the path above)
    Bench,
    bench_parser,
    check,
    percentile,
    postgres_admin,
    scratch_postgres,
)


@dataclass
class Figure:
    name: str
    kind: str  # reader, warm, admin, write
    p50: float = 0.0
    p95: float = 0.0
    cpu95: float = 0.0  # this process's CPU per request (the app; not the database server)
    db: float = 0.0  # p95 of the PostgreSQL backend's CPU per request (0 on SQLite: in cpu)
    both95: float = 0.0  # p95 of app + backend CPU per request: the load does not inflate it
    first95: float = 0.0  # p95 of the time to the first byte of the body (a streamed answer)
    queries: int = 0
    size: int = 0
    comments: int = 0  # comments rendered on the page
    offsets: int = 0  # SQL queries with an OFFSET (reads and throws away rows)
    status: int = 0
    full_gcs: list[float] = field(default_factory=list)  # ms of each full collection in a request
    timings: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    # Per request, ms: the app's and its backend's CPU and run-queue waits (schedstat).
    parts: list[tuple[float, float, float, float]] = field(default_factory=list)


# --- databases -------------------------------------------------------------------


def setup_django(data_dir: str) -> None:
    os.environ.setdefault("BYLINE_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")
    os.environ["BYLINE_DEBUG"] = "0"
    # Each site its own host name (``Site``): localhost and its subdomains.
    os.environ.setdefault("BYLINE_ALLOWED_HOSTS", "localhost,.localhost,testserver")
    # Many comments from one address in a few seconds: the rate limit is not what is measured.
    os.environ.setdefault("BYLINE_COMMENT_RATE_LIMIT", "1000000")
    # One client: a batch would hold one vote. And the caster thread keeps its own
    # connection, which would not follow the switch from one site's database to the other.
    os.environ.setdefault("BYLINE_VOTE_BATCHES", "0")
    import django

    django.setup()


def site_postgres_admin():
    """A connection to the server's ``postgres`` database, with the site's credentials."""
    from django.db import connection

    return postgres_admin(connection.settings_dict)


def use_database(name: str) -> None:
    """Point Django's default connection at another database (created if missing)."""
    from django.db import connection

    connection.close()
    if connection.vendor == "postgresql":
        from psycopg import sql

        with site_postgres_admin() as admin:
            found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not found:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.settings_dict["NAME"] = name


def drop_database(name: str) -> None:
    from django.db import connection

    connection.close()
    if connection.vendor == "postgresql":
        from psycopg import sql

        with site_postgres_admin() as admin:
            # WITH (FORCE): the mail thread may still hold a connection to it.
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))
    else:
        Path(name).unlink(missing_ok=True)


def database_name(base: str, articles: int, vendor: str, folder: Path) -> str:
    if vendor == "postgresql":
        return f"{base}_{articles}"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"site-{articles}.sqlite3")


def ensure_site(name: str, plan) -> dict:
    """The site of ``plan`` in database ``name``: reused when its marker says so, else built."""
    import scale_site
    from django.core.management import call_command
    from django.db import connection

    use_database(name)
    facts = scale_site.existing(connection)
    if facts and facts["articles"] == plan.articles and facts["comments"] == plan.comments:
        call_command("migrate", verbosity=0)  # a new index lands on the kept site
        print(f"reusing {plan.articles:,} articles / {facts['comment_rows']:,} comments in {name}")
        return facts
    drop_database(name)  # half built, another size or an older version: start afresh
    use_database(name)
    print(f"building {plan.articles:,} articles / {plan.comments:,} comments in {name}")
    call_command("migrate", verbosity=0)
    from django.db import transaction

    with transaction.atomic():
        scale_site.build(connection, plan)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    facts = scale_site.existing(connection)
    print(f"  built in {facts['built_seconds']} s")
    return facts


# --- requests --------------------------------------------------------------------


class Site:
    """Requests through the production WSGI app (page cache and vote fast path included).

    The two sites share one process and one Redis database, so each has its own keys
    in both: its pages are cached under its own host name (the page cache's key has the
    host), Django's cache under its own key prefix (``use_keys``), and its readers come
    from their own addresses (the rate limits' keys). Nothing one site cached is read by
    the other. (Clearing the caches before a cold request clears both: Django's
    ``cache.clear()`` empties the database, and the page cache's generation is one.)"""

    def __init__(self, number: int, articles: int) -> None:
        from django.contrib.auth import get_user_model
        from django.test import Client, RequestFactory

        from byline.wsgi import application

        self.app = application
        self.host = f"site-{articles}.localhost"
        self.network = 10 + number  # its readers' addresses: 10.x.y.z, 11.x.y.z
        self.factory = RequestFactory(HTTP_HOST=self.host)
        self.counter = 0
        self.first_byte: float | None = None  # of the last call; None: no call (the admin's)
        editor, _ = get_user_model().objects.get_or_create(
            username="scale-editor", defaults={"is_staff": True, "is_superuser": True}
        )
        self.admin = Client(HTTP_HOST=self.host)
        self.admin.force_login(editor)

    def environ(self, method: str, path: str, data=None, **extra) -> dict:
        self.counter += 1
        extra.setdefault(
            "REMOTE_ADDR",
            f"{self.network}.{self.counter // 65536 % 256}.{self.counter // 256 % 256}."
            f"{self.counter % 256}",
        )
        if method == "GET":
            request = self.factory.get(path, **extra)
        elif isinstance(data, dict):
            request = self.factory.post(path, data, **extra)
        else:
            request = self.factory.post(path, data, content_type="application/json", **extra)
        return request.environ

    def call(self, environ: dict) -> tuple[int, dict, bytes]:
        """The answer; ``self.first_byte`` is the ms from the call to its body's first
        bytes (a streamed answer sends them before the rest is written)."""
        answer: dict = {}

        def start_response(status, headers, exc_info=None):
            answer["status"] = int(status.split()[0])
            answer["headers"] = dict(headers)

        started = time.perf_counter()
        result = self.app(environ, start_response)
        chunks = []
        try:
            for chunk in result:
                if chunk and not chunks:
                    self.first_byte = (time.perf_counter() - started) * 1000
                chunks.append(chunk)
        finally:
            if hasattr(result, "close"):
                result.close()
        return answer["status"], answer["headers"], b"".join(chunks)


def clear_caches() -> None:
    from django.core.cache import cache

    from byline.pagecache.store import page_store

    page_store().invalidate()
    cache.clear()


@dataclass
class Step:
    """One row of the table for one site: what to request, how often, cold or not."""

    name: str
    kind: str
    run: Callable[[], tuple[int, bytes]]
    runs: int
    cold: bool
    warmup: bool = False  # one untimed request first (fills the page cache, loads models)
    prepare: Callable[[], None] | None = None  # before each request, outside the timings
    site: Site | None = None  # whose requests (their time to the first byte)
    figure: Figure = field(default_factory=lambda: Figure("", ""))


class FullCollections:
    """The full (oldest-generation) garbage collections of this process, timed: one can
    take tens of ms, and it falls on whichever request allocates when it is due."""

    def __init__(self) -> None:
        self.durations: list[float] = []
        self._started = 0.0
        gc.callbacks.append(self._note)

    def _note(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.durations.append((time.perf_counter() - self._started) * 1000)


FULL_COLLECTIONS: FullCollections | None = None


def schedstat(task: str) -> tuple[float, float]:
    """The scheduler's account of a task (``thread-self`` or a process id), in seconds:
    CPU time so far, and time spent runnable but waiting for a core (the run queue:
    what a loaded machine adds to a request's wall time). (0, 0) if it is gone."""
    try:
        cpu, queued, _ = Path(f"/proc/{task}/schedstat").read_text().split()
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(cpu) / 1e9, int(queued) / 1e9


def database_task() -> str:
    """The process id of the PostgreSQL backend serving this connection ('' on SQLite,
    where the database's work is this process's own)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return ""
    connection.ensure_connection()
    return str(connection.connection.info.backend_pid)


def accounts(backend: str) -> tuple[float, float, float, float]:
    """This thread's CPU and run-queue seconds, then its PostgreSQL backend's."""
    own = schedstat("thread-self")
    db = schedstat(backend) if backend else (0.0, 0.0)
    return (*own, *db)


def measure_once(step: Step) -> None:
    """One timed request; the first one's SQL queries, size and comments are recorded."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    figure = step.figure
    if step.prepare is not None:
        step.prepare()
    if step.cold:
        clear_caches()
    collections = FULL_COLLECTIONS.durations if FULL_COLLECTIONS else []
    seen = len(collections)
    backend = database_task()
    before = accounts(backend)
    if step.site is not None:
        step.site.first_byte = None
    with CaptureQueriesContext(connection) as captured:
        start, cpu_start = time.perf_counter(), time.process_time()
        status, body = step.run()
        elapsed = (time.perf_counter() - start) * 1000
        cpu = (time.process_time() - cpu_start) * 1000
    after = accounts(backend)
    if backend and not after[2]:  # the backend ended (Django closed the connection at its age)
        after = (*after[:2], *before[2:])
    parts = tuple((b - a) * 1000 for a, b in zip(before, after, strict=True))
    figure.parts.append(parts)  # type: ignore[arg-type]
    figure.full_gcs.extend(collections[seen:])
    if not figure.timings:
        figure.name, figure.kind = step.name, step.kind
        figure.queries = len(captured.captured_queries)
        figure.offsets = sum(" OFFSET " in q["sql"].upper() for q in captured.captured_queries)
        figure.status, figure.size = status, len(body)
        figure.comments = len(COMMENT_ITEM.findall(body))
        if step.name == EXPORT:  # the download: the comments in it
            figure.comments = len(json.loads(body)["comments"]) if status == 200 else 0
    figure.timings.append(elapsed)
    figure.cpu.append(cpu)
    first = step.site.first_byte if step.site else None
    figure.first.append(elapsed if first is None else first)
    figure.p50 = statistics.median(figure.timings)
    figure.p95, figure.cpu95 = p95(figure.timings), p95(figure.cpu)
    figure.first95 = p95(figure.first)
    db = [part[2] for part in figure.parts]
    figure.db = p95(db)
    figure.both95 = p95([a + b for a, b in zip(figure.cpu, db, strict=True)])


def p95(values: list[float]) -> float:
    return percentile(values, 95) or 0.0


# Each site's open connection while the other site's is in use: {database: (connection,
# when Django would close it)}.
_PARKED: dict[str, tuple[object, float | None]] = {}
# Each site's prefix of Django's cache keys: {database: prefix}.
_KEY_PREFIXES: dict[str, str] = {}


def use_keys(name: str) -> None:
    """Django's cache keys of the site in database ``name`` from now on: its own prefix,
    in Redis and in the process-memory cache that stands in when Redis fails."""
    from django.core.cache import caches

    prefix = _KEY_PREFIXES.setdefault(name, f"byline-site{len(_KEY_PREFIXES) + 1}")
    cache = caches["default"]
    for each in (cache, getattr(cache, "fallback", None)):
        if each is not None:
            each.key_prefix = prefix


def switch_to(name: str) -> None:
    """Send the next request to another site's database (outside the timings).

    Each site keeps its own connection, as a worker keeps its own (``CONN_MAX_AGE``):
    closing it at every switch made every timed request start on a new PostgreSQL
    backend, whose first plans read the catalogs afresh (about 6 ms of the backend's
    CPU on an article page, and its wall time with it), which no live site pays."""
    from django.db import connection

    current = connection.settings_dict["NAME"]
    if current == name:
        return
    if connection.in_atomic_block:  # never park a connection inside a transaction
        connection.close()
    else:
        _PARKED[current] = (connection.connection, connection.close_at)
    connection.connection, connection.close_at = _PARKED.pop(name, (None, None))
    connection.settings_dict["NAME"] = name
    use_keys(name)


def interleaved(sites: list[tuple[str, list[Step]]]) -> list[dict[str, Figure]]:
    """Run the sites' steps side by side, request by request (small, large, small, ...),
    so a change in the machine's load falls on both columns alike."""
    for index, _ in enumerate(sites[0][1]):
        pairs = [(name, steps[index]) for name, steps in sites]
        for name, step in pairs:
            if step.warmup:
                switch_to(name)
                if step.prepare is not None:
                    step.prepare()
                step.run()
                step.run()
        for _ in range(pairs[0][1].runs):
            for name, step in pairs:
                switch_to(name)
                measure_once(step)
    return [{step.name: step.figure for step in steps} for _, steps in sites]


def plan_site(number: int, facts: dict, runs: int) -> list[Step]:
    """What to measure on site ``number`` (0, 1: its database is in use now), in table
    order."""
    import scale_site
    from django.conf import settings

    from byline.discussion.forms import form_timestamp
    from byline.discussion.notifications import data_link_token

    site = Site(number, facts["articles"])
    per_page = settings.BYLINE_ARTICLES_PER_PAGE

    def deep(count: int) -> int:
        """Page 1,000, or the last page of a smaller listing (at least the second)."""
        return max(2, min(1000, -(-count // per_page)))

    from byline.articles.models import Article
    from byline.articles.sitemaps import ArticleSitemap

    def before(listing, page: int) -> str:
        """The address of the listing's page ``page``: a cursor, the article just before it
        (found here with an OFFSET, outside the timings; readers follow "Older" links)."""
        ids = listing.filter(featured=False).order_by("-published_at", "-pk")
        count = ids.count()
        if count < 2:
            return ""
        index = max(0, min((page - 1) * per_page - 1, count - 2))  # one article on it at least
        return f"?before={ids.values_list('pk', flat=True)[index]}"

    published = Article.objects.published()
    n = published.count()
    by_section, by_tag, by_author = (
        published.filter(section_id=1),
        published.filter(tags=1),
        published.filter(authors=1),
    )
    section_count, tag_count, author_count = (q.count() for q in (by_section, by_tag, by_author))
    sitemap_pages = ArticleSitemap().paginator.num_pages
    typical = f"/articles/{scale_site.slug_of('article', facts['typical_article'])}/"
    big_id = facts["big_article"]
    big = f"/articles/{scale_site.slug_of('article', big_id)}/"
    # The permalink of the deepest, latest reply of the long thread: where does it land?
    environ = site.environ("GET", f"/comments/{facts['deep_reply']}/")
    clear_caches()
    status, headers, _ = site.call(environ)
    permalink_target = headers.get("Location", big).split("#")[0] if status in (301, 302) else big

    pages = [
        ("article", typical),
        ("article, 5,000 comments", big),
        ("long thread (permalink)", permalink_target),
        ("front page", "/"),
        (f"front page {deep(n)}", f"/{before(published, deep(n))}"),
        ("section", "/section/section-1/"),
        (
            f"section page {deep(section_count)}",
            f"/section/section-1/{before(by_section, deep(section_count))}",
        ),
        ("tag", "/tag/tag-1/"),
        (f"tag page {deep(tag_count)}", f"/tag/tag-1/{before(by_tag, deep(tag_count))}"),
        ("author", "/author/author-1/"),
        (
            f"author page {deep(author_count)}",
            f"/author/author-1/{before(by_author, deep(author_count))}",
        ),
        ("search, common term", f"/search/?q={scale_site.COMMON_TERM}"),
        ("search, rare term", f"/search/?q={scale_site.RARE_TERM}"),
        # The last page of the ranked matches (at most 1,000: the page number is clamped)
        ("search, last page", f"/search/?q={scale_site.COMMON_TERM}&page=1000"),
        ("feed", "/feed/"),
        ("section feed", "/section/section-1/feed/"),
        ("comments feed, 5,000", f"{big}comments/feed/"),
        ("sitemap index", "/sitemap.xml"),
        ("sitemap, articles", "/sitemap-articles.xml"),
        (f"sitemap, articles page {sitemap_pages}", f"/sitemap-articles.xml?page={sitemap_pages}"),
        ("sitemap, tags", "/sitemap-tags.xml"),
        ("news sitemap", "/sitemap-news.xml"),
    ]
    steps: list[Step] = []

    def get(path: str):
        status, _, body = site.call(site.environ("GET", path))
        return status, body

    for name, path in pages:
        steps.append(Step(name, "reader", lambda p=path: get(p), runs, cold=True))

    # A data link works once: each download gets a new one (made outside the timings).
    link = {"path": ""}

    def new_link() -> None:
        token = data_link_token(scale_site.PROLIFIC, "export")
        link["path"] = f"/comments/data/{token}/?download=1"

    export = Step(EXPORT, "reader", lambda: get(link["path"]), runs, cold=True)
    export.prepare = new_link
    steps.append(export)
    for name, path in (("article, warm", typical), ("article 5,000, warm", big)):
        steps.append(Step(name, "warm", lambda p=path: get(p), runs, cold=False, warmup=True))

    for name, path in (
        ("admin: articles", "/admin/articles/article/"),
        ("admin: comments", "/admin/discussion/comment/"),
        ("admin: moderation queue", "/admin/discussion/comment/?status__exact=pending"),
    ):

        def admin_get(p=path):
            response = site.admin.get(p)
            return response.status_code, response.content

        steps.append(Step(name, "admin", admin_get, max(2, runs // 2), cold=True))

    for name, article_id in (("vote POST", facts["typical_article"]), ("vote POST, 5,000", big_id)):

        def vote(a=article_id):
            environ = site.environ(
                "POST",
                f"/api/articles/{a}/reaction/",
                '{"reaction": "happy"}',
                HTTP_SEC_FETCH_SITE="same-origin",
                HTTP_ACCEPT="application/json",
            )
            status, _, body = site.call(environ)
            return status, body

        steps.append(Step(name, "write", vote, runs, cold=False, warmup=True))

    for name, article_id in (
        ("comment POST", facts["typical_article"]),
        ("comment POST, 5,000", big_id),
    ):

        def post(a=article_id):
            number = site.counter
            form = {
                "article": a,
                "body": f"Bench comment {number} {time.time()}: a fair point about the story.",
                "name": "Prolific Reader",
                "email": scale_site.PROLIFIC,  # known, so approved: counts and pages move
                "website": "",
                "parent": "",
                "ts": form_timestamp(issued=time.time() - 60),  # handed out a minute ago
                "url_confirm": "",
            }
            environ = site.environ(
                "POST", "/comments/post/", form, HTTP_SEC_FETCH_SITE="same-origin"
            )
            status, _, body = site.call(environ)
            return status, body

        # (warmup: the first comment loads the spam filter's model, not what is measured)
        steps.append(Step(name, "write", post, max(2, runs // 2), cold=False, warmup=True))
    for step in steps:
        step.site = site
    return steps


# --- report ----------------------------------------------------------------------


def reference(small: dict[str, Figure], name: str) -> str:
    """The small site's row for this one: the same name, or for a deep page ("tag page
    1000") the small site's deep page of the same listing ("tag page 8")."""
    if name in small:
        return name
    kind = name.split(" page ")[0]
    deep = [k for k in small if " page " in k and k.split(" page ")[0] == kind]
    return deep[0] if deep else next((k for k in small if k.split(" page ")[0] == kind), "")


def print_table(
    small: dict[str, Figure], large: dict[str, Figure], small_n: int, large_n: int, judge=True
):
    """p50 and p95 of wall time; p95 of this process's CPU time (``cpu``), of the
    PostgreSQL backend's (``db``) and of both per request (``c+d``: what a page costs
    the server, which the load on a shared machine does not inflate); SQL."""
    print()
    head = (
        f"{'':28} {f'{small_n:,} articles':>41} {f'{large_n:,} articles':>49}  {'p95':>6}\n"
        f"{'page':28} {'p50':>7} {'p95':>7} {'cpu95':>6} {'db95':>5} {'c+d95':>5} {'SQL':>4} "
        f"{'p50':>7} {'p95':>7} {'cpu95':>6} {'db95':>5} {'c+d95':>5} {'SQL':>4} {'KB':>6} "
        f"{'cmts':>5}  {'ratio':>6}  target"
    )
    print(head)
    print("-" * len(head.splitlines()[1]))
    for name, big in large.items():
        key = reference(small, name)
        ref = small.get(key)
        limit = {"reader": READER_TARGET_MS, "admin": ADMIN_TARGET_MS}.get(big.kind)
        target = f"p95 <= {limit:.0f} ms" if limit else {"write": "no slower"}.get(big.kind, "")
        flag = ""
        if not judge:  # --quick: figures of tiny sites, printed only
            target = ""
        elif name == EXPORT and limit is not None:  # by its first byte: see export_note
            target = f"first byte <= {limit:.0f} ms"
            flag = "  MISSED" if big.first95 > limit else ""
        elif limit is not None and big.p95 > limit:
            # Over by CPU too (app + database, p95): the page is slow. Over by wall time
            # only: the machine's load.
            flag = "  MISSED" if big.both95 > limit else "  (wall only)"
        ratio = f"{big.p95 / ref.p95:6.2f}" if ref and ref.p95 else "     -"
        left = (
            f"{ref.p50:7.1f} {ref.p95:7.1f} {ref.cpu95:6.1f} {ref.db:5.1f} {ref.both95:5.1f} "
            f"{ref.queries:4}"
            if ref
            else " " * 39
        )
        label = name if key == name or not key else f"{name} (vs {key.split(' page ')[-1]})"
        print(
            f"{label:28.28} {left} {big.p50:7.1f} {big.p95:7.1f} {big.cpu95:6.1f} {big.db:5.1f} "
            f"{big.both95:5.1f} {big.queries:4} {big.size / 1024:6.0f} {big.comments:5}  "
            f"{ratio}  {target}{flag}"
            + ("" if big.status in (200, 201, 204, 302) else f"  status {big.status}")
        )
    where_wall_went(small, large, judge)
    for label, figures in (("small", small), ("large", large)):
        for figure in figures.values():
            if figure.full_gcs:
                durations = ", ".join(f"{ms:.0f}" for ms in figure.full_gcs)
                print(
                    f"  {label} site, {figure.name}: {len(figure.full_gcs)} full garbage "
                    f"collection(s) during its requests, ms: {durations}"
                )
    for figure in large.values():
        if figure.p95 > 5 and figure.first95 < figure.p95 / 2:
            print(
                f"  {figure.name}: streamed, first byte p95 {figure.first95:.1f} ms "
                f"(whole answer {figure.p95:.1f} ms)"
            )
    if judge and EXPORT in large and EXPORT in small:
        export_note(small[EXPORT], large[EXPORT])


def export_note(small: Figure, large: Figure) -> None:
    """Why the comment-data export is judged by its first byte: it is one reader's own
    comments, all of them, so its whole time is that reader's, not the site's (a reader
    with ten times the comments waits ten times as long for the end of the file, on any
    site). What the table's row says of the site is when the download starts; its whole
    cost is printed beside it, per comment on each site, to show it does not grow with
    the site."""

    def per_comment(figure: Figure) -> str:
        both = [cpu + part[2] for cpu, part in zip(figure.cpu, figure.parts, strict=True)]
        cost = statistics.median(both) * 1000 / max(1, figure.comments)
        return f"{cost:.0f} µs a comment ({figure.comments:,}, {statistics.median(both):.1f} ms)"

    print(
        f"  {EXPORT}: judged by its first byte (p95 {large.first95:.1f} ms; whole answer "
        f"{large.p95:.1f} ms, c+d95 {large.both95:.1f}): one reader's own comments, all of "
        f"them, so its whole time grows with that reader, not with the site. App + database "
        f"CPU, median: {per_comment(small)} on the small site, {per_comment(large)} on the "
        f"large one."
    )


def where_wall_went(small: dict[str, Figure], large: dict[str, Figure], judge: bool) -> None:
    """For each page over its target on either site: its slowest requests (those at and
    above the p95) taken apart, ms, mean: the app's CPU, its PostgreSQL backend's CPU,
    the time both were runnable and waited for a core (the run queue), and the rest
    (waiting on Redis, the network, the disk; never on a core)."""
    rows = []
    for label, figures in (("1k", small), ("large", large)):
        for figure in figures.values():
            limit = {"reader": READER_TARGET_MS, "admin": ADMIN_TARGET_MS}.get(figure.kind)
            if not judge or limit is None or figure.p95 <= limit or not figure.parts:
                continue
            slow = [
                (wall, part)
                for wall, part in zip(figure.timings, figure.parts, strict=True)
                if wall >= figure.p95 * 0.999
            ] or [max(zip(figure.timings, figure.parts, strict=True))]
            mean = [statistics.fmean(x) for x in zip(*[(w, *p) for w, p in slow], strict=True)]
            wall, cpu, queued, db, db_queued = mean
            rest = wall - cpu - queued - db - db_queued
            rows.append(
                f"  {label:5} {figure.name:28.28} {wall:6.1f} {cpu:6.1f} {db:5.1f} "
                f"{queued + db_queued:7.1f} {rest:6.1f}"
            )
    if rows:
        print(
            "\n  where the wall time of the slowest requests (>= p95) of the pages over their "
            "target went, ms:\n"
            f"  {'site':5} {'page':28} {'wall':>6} {'cpu':>6} {'db':>5} {'queued':>7} {'rest':>6}"
        )
        print("\n".join(rows))


def quick_checks(small: dict[str, Figure], large: dict[str, Figure], facts: dict) -> None:
    from django.conf import settings

    print("\nchecks (boundedness and query counts; never timings)")
    for name, figure in large.items():
        check(figure.status in (200, 204, 302), f"{name}: answered {figure.status}")
    for name, big in large.items():
        ref = small.get(reference(small, name))
        if ref is None or big.kind == "warm":
            continue
        check(
            big.queries == ref.queries,
            f"{name}: {big.queries} queries at the larger size, {ref.queries} at the smaller",
        )
    threads = settings.BYLINE_COMMENT_THREADS_PER_PAGE
    fold = settings.BYLINE_COMMENT_THREAD_FOLD
    thread_page = settings.BYLINE_COMMENT_THREAD_PAGE_SIZE
    bound = threads * (fold + 1)
    big = large["article, 5,000 comments"]
    check(
        0 < big.comments <= bound,
        f"the article with {facts['big_comments']:,} comments renders {big.comments} "
        f"(at most {threads} threads x {fold + 1})",
    )
    long = large["long thread (permalink)"]
    check(
        0 < long.comments <= max(bound, thread_page),
        f"the page a deep reply's permalink lands on renders {long.comments} comments "
        f"(thread of {facts['long_thread']:,} replies, at most {thread_page} a page)",
    )
    for name in ("article, 5,000 comments", "long thread (permalink)", "comments feed, 5,000"):
        check(large[name].size < 600_000, f"{name}: {large[name].size / 1024:.0f} KB, bounded")
    for name, figure in large.items():
        if " page " in name or name.startswith("sitemap"):
            check(figure.offsets == 0, f"{name}: read by cursor or id range, no OFFSET")
    for name, figure in large.items():
        if figure.kind == "warm":
            check(figure.queries == 0, f"{name}: a page cache hit runs no query")


def main() -> None:
    parser = bench_parser(__doc__, 0, 0, quick="small sizes; assert, no timings")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=0, help="default: 10 an article")
    parser.add_argument("--reference", type=int, default=1000, help="the small site beside it")
    parser.add_argument("--runs", type=int, default=20, help="requests per page (default 20)")
    parser.add_argument("--rebuild", action="store_true", help="build the sites again")
    parser.add_argument("--build-only", action="store_true", help="build (or find) the sites")
    args = parser.parse_args()

    with Bench("byline-scale-") as bench:
        measure(args, bench.work)
    sys.exit(bench.exit_code)


def measure(args, work: Path) -> None:
    """Build or find the two sites, measure them side by side, print the table (and, with
    ``--quick``, assert what must not grow; the quick sites are thrown away)."""
    global FULL_COLLECTIONS
    setup_django(str(work))
    import scale_site
    from django.db import connection

    base = connection.settings_dict["NAME"]
    vendor = connection.vendor
    if args.quick:
        sizes = [(60, 600, 5000, 1000), (240, 2400, 5000, 1000)]
        folder = work
        runs = 2
    else:
        comments = args.comments or args.articles * 10
        sizes = [
            (args.reference, args.reference * 10, 5000, 1000),
            (args.articles, comments, 5000, 1000),
        ]
        folder = ROOT / "var" / "bench-scale"
        runs = args.runs
    results, scratch, built = [], [], []
    try:
        for articles, comments, big, thread in sizes:
            plan = scale_site.Plan(articles, comments, big, thread)
            name = database_name(f"{base}_quick" if args.quick else base, articles, vendor, folder)
            if args.quick and vendor == "postgresql":
                url, drop = scratch_postgres(os.environ["DATABASE_URL"], f"quick_{articles}")
                scratch.append(drop)
                name = url.rpartition("/")[2]
            elif args.rebuild:
                drop_database(name)
            built.append((name, ensure_site(name, plan)))
        if args.build_only:
            return
        # Every site is built before any is planned: planning imports the production WSGI
        # app, which puts this process under the app's database deadline
        # (BYLINE_DATABASE_TIMEOUT, byline.postgres), and a big site's COPY takes longer.
        for number, (name, facts) in enumerate(built):
            use_database(name)
            use_keys(name)
            results.append((name, facts, plan_site(number, facts, runs)))
        from byline.gcfreeze import freeze_start_up

        freeze_start_up()  # as a worker does once started: the sites' build is not its
        FULL_COLLECTIONS = FullCollections()
        small, large = interleaved([(name, steps) for name, _, steps in results])
    finally:
        from django.db import connection

        connection.close()
        for parked, _ in _PARKED.values():
            if parked is not None:
                parked.close()  # type: ignore[attr-defined]
        _PARKED.clear()
        for drop in scratch:
            drop()
    small_facts, large_facts = results[0][1], results[1][1]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n{vendor}; cold = page cache and Django cache cleared before each request; "
        f"{runs} requests a page; times in ms; cpu95, db95, c+d95 = p95 of the app's, the "
        f"PostgreSQL backend's and both's CPU a request; load average {load} on "
        f"{os.cpu_count()} cores"
    )
    print_table(
        small, large, small_facts["articles"], large_facts["articles"], judge=not args.quick
    )
    if args.quick:
        quick_checks(small, large, large_facts)


if __name__ == "__main__":
    main()
