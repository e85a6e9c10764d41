"""The fault table: what readers get while Redis or PostgreSQL is broken on purpose.

For each tier — SQLite + Redis, and PostgreSQL + Redis — the bench starts its
own services (a redis-server, and for the second tier a PostgreSQL cluster
made by initdb; never the shared ones on 5432/6379) and the app under granian
(``byline run --production``, one worker per core), on ports of
``BYLINE_FAULT_PORTS`` (18100-18199; ``--port-base`` moves the range). Then, one
fault at a time:

- Redis stopped, frozen (SIGSTOP), restarted empty, refusing writes
  (``maxmemory`` + ``noeviction``, filled);
- PostgreSQL stopped, frozen (second tier only);
- and, second tier, the view log's folder (``byline flush_views --every 1``)
  through PostgreSQL stopped, frozen and restarted and Redis stopped and
  frozen: every new reader's view counted once, readers seen before not again,
  by the same process (``tests/faults/viewfold.py``; ``--quick`` asserts it);

``--clients`` threads send what readers send for ``--seconds``: pages (the
article and the front page), the counts JSON, votes (each from a new reader at
an address of its own, so each acknowledged vote is one row) and comments
(the no-JS form, each with words of its own). Then the fault is healed, the
site must take a vote again without a restart, and the database is asked
what it holds. Printed per fault: requests sent by kind, status counts, p99
latency, votes and comments acknowledged against stored.

``--quick`` (CI) asserts, never on timings: no 5xx other than a 503 with
``Retry-After`` while PostgreSQL is down (none at all during Redis faults),
acknowledged == stored (with PostgreSQL frozen, a write the client gave up on,
or one answered 503 when the app's deadline ran out, may still land once it
thaws: stored may exceed acknowledged by at most those), and
recovery without a restart. When a check fails, the bench's folder (bench/harness.py
``Bench``) is kept with each tier's app server log, and its path is printed.

Slow clients: when ``bench/slowclients.py`` (branch ``slow``) is present, its
``run_slow_clients`` measures one more row per tier, "500 slow clients"
straight at the app server (``--slow-clients N``; left out of ``--quick``
unless given; see ``slow_clients_row``).

    .venv/bin/python bench/faults.py [--quick] [--port-base N] [--tier sqlite|postgres|both]
"""

from __future__ import annotations

import os
import random
import sqlite3
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

from harness import Bench, bench_parser, check, percentile  # noqa: E402  (bench/ is on the path)

from tests.faults.clients import Reader  # noqa: E402
from tests.faults.servers import (  # noqa: E402
    AppServer,
    PostgresServer,
    RedisServer,
    missing_postgres,
    missing_redis,
    port_range,
)
from tests.faults.viewfold import FoldResult, FoldStack, fold_faults, fold_through  # noqa: E402

KINDS = ("page", "counts", "vote", "comment")
WEIGHTS = (45, 25, 20, 10)
REACTIONS = ["happy", "sad", "excited", "sleepy", "angry", "surprise"]


@dataclass
class Stack:
    tier: str
    app: AppServer
    redis: RedisServer
    postgres: PostgresServer | None = None
    article_id: int = 0
    article_path: str = "/"

    def value(self, sql: str, *params: object) -> Any:
        """The first column of the first row ``sql`` (with ``?`` placeholders) answers."""
        if self.postgres is not None:
            import psycopg

            with psycopg.connect(self.postgres.url(), connect_timeout=10) as connection:
                return connection.execute(sql.replace("?", "%s"), params).fetchone()[0]
        path = Path(self.app.env["BYLINE_DATA_DIR"]) / "byline.sqlite3"
        with sqlite3.connect(path, timeout=30) as connection:
            return connection.execute(sql, params).fetchone()[0]

    def query(self, sql: str, *params: object) -> int:
        return int(self.value(sql, *params))

    @property
    def database(self) -> PostgresServer:
        assert self.postgres is not None, "a fault of the PostgreSQL tier only"
        return self.postgres

    def find_article(self) -> None:
        self.article_id = self.query("SELECT min(id) FROM articles_article")
        slug = self.value("SELECT slug FROM articles_article WHERE id = ?", self.article_id)
        self.article_path = f"/articles/{slug}/"


@dataclass
class Fault:
    name: str
    start: Callable[[Stack], None]
    stop: Callable[[Stack], None]
    database_down: bool = False  # 503s with Retry-After are the intended answer
    # Writes given up on (by the client, or by the app's database deadline: a 503) may
    # still complete once the service thaws.
    may_hang: bool = False


@dataclass
class Row:
    tier: str
    fault: str
    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    votes_acknowledged: int = 0
    votes_stored: int = 0
    comments_acknowledged: int = 0
    comments_stored: int = 0
    gave_up: int = 0
    writes_503: int = 0  # votes and comments answered 503
    bad: list[str] = field(default_factory=list)
    p99_override: float | None = None
    fold: FoldResult | None = None  # a row of the view log's folder (fold_rows)

    @property
    def p99_ms(self) -> float:
        if self.p99_override is not None:
            return self.p99_override
        return 1000 * (percentile(self.latencies, 99) or 0.0)


def redis_faults() -> list[Fault]:
    return [
        Fault("none (reference)", lambda s: None, lambda s: None),
        Fault("Redis stopped", lambda s: s.redis.stop(), lambda s: s.redis.start()),
        Fault("Redis frozen (SIGSTOP)", lambda s: s.redis.freeze(), lambda s: s.redis.thaw()),
        Fault("Redis restarted empty", lambda s: s.redis.restart(), lambda s: None),
        Fault(
            "Redis refusing writes (maxmemory)",
            lambda s: s.redis.refuse_writes(),
            lambda s: s.redis.accept_writes(),
        ),
    ]


def database_faults() -> list[Fault]:
    return [
        Fault(
            "PostgreSQL stopped",
            lambda s: s.database.stop(),
            lambda s: s.database.start(),
            database_down=True,
        ),
        Fault(
            "PostgreSQL frozen (SIGSTOP)",
            lambda s: s.database.freeze(),
            lambda s: s.database.thaw(),
            database_down=True,
            may_hang=True,
        ),
    ]


def slow_clients_row(stack: Stack, seconds: float, clients: int) -> Row | None:
    """The "500 slow clients" row, measured by bench/slowclients.py's ``run_slow_clients``
    (branch ``slow``) straight at this tier's app server; None when that bench is absent.

    Its readers send the article page, the counts and a vote while ``clients``
    slow connections (slow headers, slow bodies, idle keep-alive) stay open.
    """
    try:
        import slowclients  # type: ignore[import-not-found]  # bench/slowclients.py
    except ImportError:
        return None
    run = getattr(slowclients, "run_slow_clients", None)
    if run is None:
        return None
    rating_path = f"/api/articles/{stack.article_id}/rating/"
    votes_before = stack.query("SELECT count(*) FROM engagement_rating WHERE stars IS NOT NULL")
    result = run(
        stack.app.base,
        clients=clients,
        seconds=seconds,
        reader_paths=[
            stack.article_path,
            f"/api/articles/{stack.article_id}/engagement/",
            slowclients.vote_request(stack.article_id),
        ],
        vote_path=rating_path,
        reference=False,
    )
    attack = result["attack"]
    row = Row(stack.tier, f"{clients} slow clients (no nginx)")
    for name, statuses in attack["per_path"].items():
        kind = "vote" if name.startswith("POST") else "counts" if "/api/" in name else "page"
        for status, count in statuses.items():
            row.sent[kind] += count
            row.statuses[status] += count
            if not status.isdigit():
                row.gave_up += count
            elif int(status) >= 500 and status != "503":
                row.bad.append(f"{kind} answered {status}")
        if kind == "vote":
            row.votes_acknowledged += statuses.get("200", 0)
    row.p99_override = attack["p99_ms"]
    time.sleep(1)
    row.votes_stored = (
        stack.query("SELECT count(*) FROM engagement_rating WHERE stars IS NOT NULL") - votes_before
    )
    if row.gave_up:
        row.bad.append(f"{row.gave_up} reader requests got no answer during the attack")
    if not row.votes_acknowledged <= row.votes_stored <= row.votes_acknowledged + row.gave_up:
        row.bad.append(f"votes: {row.votes_acknowledged} acknowledged, {row.votes_stored} stored")
    return row


def load(stack: Stack, row: Row, tag: str, seconds: float, clients: int) -> None:
    """``clients`` threads sending a reader's mix of requests for ``seconds``."""
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    serial = iter(range(10**9))

    def client(number: int) -> None:
        rng = random.Random(number)  # noqa: S311  (a load mix, not a secret)
        reader = Reader(base=stack.app.base, ip=f"10.9.{number}.1", timeout=10)
        while time.monotonic() < deadline:
            kind = rng.choices(KINDS, WEIGHTS)[0]
            with lock:
                n = next(serial)
            one = Reader(
                base=stack.app.base,
                ip=f"10.{100 + n // 60000 % 100}.{n // 250 % 240}.{n % 250 + 1}",
                timeout=10,
            )
            began = time.monotonic()
            try:
                if kind == "page":
                    reply = reader.page(stack.article_path if n % 2 else "/")
                elif kind == "counts":
                    reply = reader.counts(stack.article_id)
                elif kind == "vote":
                    reply = one.react(stack.article_id, rng.choice(REACTIONS))
                else:
                    reply = one.comment(
                        stack.article_id, f"[{tag}] comment {n} from the fault bench."
                    )
                status = str(reply.status)
            except OSError:  # the client gave up (timeout) or the connection broke
                reply, status = None, "gave up"
            except Exception as error:  # a bug of the bench itself: fail loudly
                with lock:
                    row.bad.append(f"{kind}: the bench failed: {error!r}")
                return
            elapsed = time.monotonic() - began
            with lock:
                row.sent[kind] += 1
                row.statuses[status] += 1
                row.latencies.append(elapsed)
                if reply is None:
                    row.gave_up += 1
                    continue
                if kind in ("vote", "comment") and reply.status == 503:
                    row.writes_503 += 1
                if kind == "vote" and reply.status == 200:
                    row.votes_acknowledged += 1
                if kind == "comment" and reply.status in (201, 302, 303):
                    row.comments_acknowledged += 1
                if reply.status >= 500 and not (
                    reply.status == 503 and "retry-after" in reply.headers
                ):
                    row.bad.append(f"{kind} answered {reply.status}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def wait_until_it_takes_votes(stack: Stack, seconds: float = 60) -> bool:
    """The site takes a vote again (after the fault is healed, without a restart)."""
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        reader = Reader(base=stack.app.base, ip=f"10.250.{n // 250 % 250}.{n % 250 + 1}")
        try:
            if reader.rate(stack.article_id, 5).status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.25)
    return False


def warm_up(stack: Stack) -> None:
    """What each worker does once (load the spam model, compile templates), before timing."""
    threads = [
        threading.Thread(
            target=lambda n=n: Reader(
                base=stack.app.base, ip=f"10.251.0.{n + 1}", timeout=120
            ).comment(stack.article_id, f"[warm-up] comment {n}.")
        )
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_fault(stack: Stack, fault: Fault, seconds: float, clients: int) -> Row:
    row = Row(stack.tier, fault.name)
    tag = f"{stack.tier}:{fault.name}"
    votes_before = stack.query("SELECT count(*) FROM engagement_reaction WHERE reaction != ''")
    fault.start(stack)
    try:
        load(stack, row, tag, seconds, clients)
    finally:
        fault.stop(stack)
    if not wait_until_it_takes_votes(stack):
        row.bad.append("the site did not take votes again after the fault was healed")
        return row
    time.sleep(0.5 if not fault.may_hang else 5)  # requests that waited on a frozen service
    votes_after = stack.query("SELECT count(*) FROM engagement_reaction WHERE reaction != ''")
    row.votes_stored = votes_after - votes_before
    row.comments_stored = stack.query(
        "SELECT count(*) FROM discussion_comment WHERE body LIKE ?", f"[{tag}]%"
    )
    slack = row.gave_up + row.writes_503 if fault.may_hang else 0
    for what, acknowledged, stored in (
        ("votes", row.votes_acknowledged, row.votes_stored),
        ("comments", row.comments_acknowledged, row.comments_stored),
    ):
        if not acknowledged <= stored <= acknowledged + slack:
            row.bad.append(f"{what}: {acknowledged} acknowledged, {stored} stored")
    if not fault.database_down and row.statuses.get("503"):
        row.bad.append(f"{row.statuses['503']} answers 503 while only Redis was in trouble")
    if row.gave_up and not fault.may_hang:
        row.bad.append(f"{row.gave_up} requests got no answer within 10 s")
    return row


def app_env(redis_server: RedisServer, postgres: PostgresServer | None) -> dict[str, str]:
    env = {
        "REDIS_URL": redis_server.url(),
        "BYLINE_CLIENT_IP_HEADER": "X-Forwarded-For",
        "BYLINE_COMMENT_MIN_SECONDS": "0",
        "BYLINE_COMMENT_RATE_LIMIT": "1000000",
        "BYLINE_PAGE_CACHE_SECONDS": "2",  # pages expire within a fault: stale copies count
    }
    if postgres is not None:
        env["DATABASE_URL"] = postgres.url()
    return env


def run_tier(
    tier: str, seconds: float, clients: int, slow_clients: int = 0, logs: Path | None = None
) -> list[Row]:
    """Every fault of one tier on servers of its own; the app server's log is kept in
    ``logs`` (the bench's folder, kept when a check fails)."""
    redis_server = RedisServer().start()
    postgres = None
    app = None
    try:
        if tier == "postgres":
            postgres = PostgresServer().start()
            postgres.create_database()
        app = AppServer(app_env(redis_server, postgres), workers=0, threads=16).start()
        stack = Stack(tier, app, redis_server, postgres)
        stack.find_article()
        warm_up(stack)
        faults = redis_faults() + (database_faults() if postgres else [])
        rows = []
        for fault in faults:
            print(f"  {tier}: {fault.name} ...", flush=True)
            rows.append(run_fault(stack, fault, seconds, clients))
        if slow_clients:
            print(f"  {tier}: {slow_clients} slow clients ...", flush=True)
            row = slow_clients_row(stack, seconds, slow_clients)
            if row is None:
                print("    (bench/slowclients.py is not here: no slow-clients row)")
            else:
                rows.append(row)
        tracebacks = app.log().count("Traceback")
        if tracebacks:
            rows[-1].bad.append(f"the app server logged {tracebacks} tracebacks (app-{tier}.log)")
        if postgres is not None:
            rows += fold_rows(postgres, redis_server, tier)
        return rows
    finally:
        if app is not None:
            if logs is not None:
                (logs / f"app-{tier}.log").write_text(app.log())
            app.close()
        redis_server.close()
        if postgres is not None:
            postgres.close()


def fold_rows(postgres: PostgresServer, redis_server: RedisServer, tier: str) -> list[Row]:
    """The view log's folder (``byline flush_views --every 1``) through each fault, on a
    database and Redis db of its own in the same servers (tests/faults/viewfold.py):
    views of new readers before, during and after, and readers seen before again."""
    postgres.create_database("fold")
    stack = FoldStack(postgres, redis_server, database="fold", redis_db=1).start()
    rows = []
    try:
        for name, break_it, heal, remembered in fold_faults(stack):
            print(f"  {tier}: the view log's folder, {name} ...", flush=True)
            result = fold_through(stack, break_it, heal, repeats=remembered)
            row = Row(tier, f"fold: {name}", fold=result)
            row.bad += result.problems
            rows.append(row)
    finally:
        stack.close()
    return rows


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'tier':<9} {'fault':<34} {'page':>5} {'counts':>6} {'vote':>5} {'comment':>7}  "
        f"{'statuses':<34} {'p99 ms':>7}  {'votes ack/stored':>16}  {'comments ack/stored':>19}"
    )
    print()
    print(header)
    print("-" * len(header))
    for row in rows:
        if row.fold is not None:
            continue
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(row.statuses.items()))
        print(
            f"{row.tier:<9} {row.fault:<34} {row.sent['page']:>5} {row.sent['counts']:>6} "
            f"{row.sent['vote']:>5} {row.sent['comment']:>7}  {statuses:<34} "
            f"{row.p99_ms:>7.0f}  {row.votes_acknowledged:>7}/{row.votes_stored:<8}  "
            f"{row.comments_acknowledged:>9}/{row.comments_stored:<9}"
        )
    print()
    print("The app: `byline run --production` (granian, one worker per core, 16 threads).")
    print("p99 is for all requests of the row; on a shared machine timings move a lot.")
    folds = [row for row in rows if row.fold is not None]
    if folds:
        print()
        print(
            "The view log's folder (`byline flush_views --every 1`): new readers' views"
            " written before, during and after the fault, and readers seen before again"
        )
        header = (
            f"{'tier':<9} {'fault':<34} {'sent':>5} {'repeats':>7} {'stored':>7}"
            f" {'2 s later':>9} {'caught up s':>11} {'same process':>12} {'log lines':>9}"
        )
        print(header)
        print("-" * len(header))
        for row in folds:
            f = row.fold
            print(
                f"{row.tier:<9} {row.fault[6:]:<34} {f.sent:>5} {f.repeats:>7} {f.stored:>7}"
                f" {f.stored_later:>9} {f.caught_up_seconds:>11.1f}"
                f" {'yes' if f.folder_alive else 'NO':>12} {f.warnings:>9}"
            )


def main() -> None:
    ports = port_range()
    parser = bench_parser(__doc__, ports.start, len(ports), quick="short, and assert (CI)")
    parser.add_argument("--tier", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=None, help="load per fault")
    parser.add_argument("--clients", type=int, default=None, help="concurrent clients")
    parser.add_argument(
        "--slow-clients",
        type=int,
        default=None,
        help="slow connections for the slow-clients row (bench/slowclients.py); "
        "default 500, 0 leaves the row out; --quick leaves it out unless given",
    )
    args = parser.parse_args()
    # The servers (tests/faults/servers.py) take their ports from this range.
    os.environ["BYLINE_FAULT_PORTS"] = f"{args.port_base}-{args.port_base + len(ports) - 1}"
    seconds = args.seconds or (2.0 if args.quick else 8.0)
    clients = args.clients or (8 if args.quick else 32)
    if (reason := missing_redis()) is not None:
        sys.exit(f"bench/faults.py needs Redis: {reason}")
    tiers = ["sqlite", "postgres"] if args.tier == "both" else [args.tier]
    if "postgres" in tiers and (reason := missing_postgres()) is not None:
        print(f"skipping the PostgreSQL tier: {reason}")
        tiers.remove("postgres")
    slow = args.slow_clients if args.slow_clients is not None else (0 if args.quick else 500)
    with Bench("byline-faults-") as bench:
        rows: list[Row] = []
        for tier in tiers:
            rows += run_tier(tier, seconds, clients, slow, bench.logs)
        print_table(rows)
        problems = [f"{row.tier} / {row.fault}: {bad}" for row in rows for bad in row.bad]
        for problem in problems:
            print(f"  FAIL  {problem}")
        check(
            not problems,
            "no 5xx but 503 + Retry-After, acknowledged == stored, recovered unaided",
        )
    if args.quick:  # CI fails on a problem; a longer run reports it
        sys.exit(bench.exit_code)


if __name__ == "__main__":
    main()
