"""Votes per second through the HTTP API with 64 concurrent clients, then the recount.

Needs PostgreSQL (DATABASE_URL=postgres://...); uses Redis too when REDIS_URL
is set, as production does. Starts its own granian server on 127.0.0.1 (port
8100 by default), creates its own articles, and deletes them afterwards.

The load comes from wrk (``bench/votes.lua``): ``--clients`` keep-alive
connections, each request a vote by one of as many readers (each with a
signed reader cookie and an address of its own in X-Real-IP) picked at
random, casting, moving and withdrawing reactions and ratings as the page's
script sends them. Before the votes, the same connections read the cacheable
counts endpoint for the same time: that is the reference, a request that
writes nothing, on the same server in the same run. Then the same votes again
on a server with ``BYLINE_VOTE_BATCHES=off`` (one statement and one commit per
vote), side by side. For each phase, the CPU each request cost the app
server, PostgreSQL, Redis and wrk is printed.

``--against <another checkout>`` measures votes only, through this tree's server
and that one's (its ``.venv`` if it has one) in turn, A B B A, on the same
database: before each run the vote statement is created from that tree's
``votesql`` (the tables are the same; the function is what differs), and this
tree's is put back at the end. It prints each run's CPU per vote of the app
server, PostgreSQL and Redis, then this / against for each. ``--spaced MS``
makes each connection wait that long between its requests (with ``--clients
1``: votes that come alone, as readers send them, each one cold).

Before the server starts, a database-only phase: ``--db-clients`` threads
cast votes straight through ``actions.cast``
(the vote function and the figures, one round trip each), first all on one
hot article, then each on an article of its own (the reference: no row is
shared). Their ratio shows whether votes on a popular article queue for
locks; the vote totals are sharded so that they do not.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_engagement \\
    REDIS_URL=redis://127.0.0.1:6379/1 .venv/bin/python bench/votes.py [--seconds 4]

Target (PRODUCT.md): thousands of votes per second on a 2-core machine, and
every total equal to a recount of the vote rows.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import (  # noqa: E402  (bench/ is on the path)
    Server,
    StackCPU,
    database_of,
    ensure_database,
    ensure_tools,
    redis_port_of,
    stop_process_group,
    wait_for,
)

from byline.conf import CORE_SETTINGS  # noqa: E402

PRODUCTION_THREADS = next(s.default for s in CORE_SETTINGS if s.name == "BYLINE_THREADS")

REACTIONS = ["happy", "sad", "excited", "sleepy", "angry", "surprise"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each phase")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--articles", type=int, default=1, help="articles voted on (1: one hot)")
    parser.add_argument("--port", type=int, default=8100, help="a free port on 127.0.0.1")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--threads",
        type=int,
        default=int(PRODUCTION_THREADS),
        help="granian blocking threads per worker (votes wait for their batch in them);"
        " the default is production's",
    )
    parser.add_argument(
        "--db-clients",
        type=int,
        default=32,
        help="connections for the database-only phase (0 skips it)",
    )
    parser.add_argument("--against", type=Path, help="another checkout: votes A B B A")
    parser.add_argument(
        "--spaced", type=float, default=0.0, help="ms each connection waits between requests"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 s phases and 8 database-only threads: checks every answer and the recount (CI)",
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.db_clients = 1.0, min(args.db_clients, 8)
    return args


def voting_settings() -> dict[str, str]:
    """The site's settings in a votes benchmark: production's, on 127.0.0.1, every client
    its own reader at its own address (as behind nginx), the limit lifted so the
    benchmark measures votes."""
    return {
        "DJANGO_SETTINGS_MODULE": "byline.settings",
        "BYLINE_PRODUCTION": "1",
        "BYLINE_SECRET_KEY": os.environ.get("BYLINE_SECRET_KEY") or secrets.token_urlsafe(50),
        "BYLINE_ALLOWED_HOSTS": "127.0.0.1",
        "BYLINE_CLIENT_IP_HEADER": "X-Real-IP",
        "BYLINE_VOTES_PER_MINUTE": "1000000000",
    }


def stack_cpu(server_group: int) -> StackCPU:
    """CPU seconds of the app server (its process group), our database's PostgreSQL
    backends and the Redis REDIS_URL names (by its port): not the other databases and
    Redis servers of a shared machine (give the bench a Redis of its own for its figure)."""
    return StackCPU(
        {server_group: "app server"},
        database_of(os.environ.get("DATABASE_URL", "")),
        redis_port_of(os.environ.get("REDIS_URL", "")),
    )


def wrk_phase(
    port: int,
    clients: int,
    seconds: float,
    readers: Path,
    ids: list[int],
    mode: str,
    spaced: float = 0.0,
):
    """Run wrk with bench/votes.lua; (2xx per second, statuses, p50 ms, p99 ms, CPU per role)."""
    threads = min(clients, 2)
    command = [
        "wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "10s",
        "-s", str(ROOT / "bench" / "votes.lua"), f"http://127.0.0.1:{port}",
        "--", str(readers), ",".join(map(str, ids)), mode,
    ]  # fmt: skip
    env = {**os.environ, "BYLINE_BENCH_SPACED_MS": f"{spaced:g}"} if spaced > 0 else None
    stack = stack_cpu(SERVER_GROUP[0])
    before = stack.snapshot()
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = stack.since(before, stack.snapshot())
    cpu["wrk (load generator)"] = (wrk_after.ru_utime + wrk_after.ru_stime) - (
        wrk_before.ru_utime + wrk_before.ru_stime
    )
    statuses: dict[int, int] = {}
    figures: dict[str, float] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "status":
            statuses[int(parts[1])] = int(parts[2])
        elif len(parts) == 2 and parts[0] in ("seconds", "p50_ms", "p99_ms"):
            figures[parts[0]] = float(parts[1])
    if "seconds" not in figures:
        sys.exit(f"wrk gave no summary:\n{out}")
    ok = sum(count for status, count in statuses.items() if 200 <= status < 300)
    return ok / figures["seconds"], statuses, figures["p50_ms"], figures["p99_ms"], cpu


SERVER_GROUP = [0]  # the app server's process group, once started


def database_phase(clients: int, seconds: float, article_for) -> int:
    """Votes cast straight through the vote functions by ``clients`` threads, no HTTP.

    ``article_for(n)`` is the article client ``n`` votes on: the same one for
    all (one hot article: do concurrent votes queue for its totals' row
    locks?) or one each (the reference: nothing shared).
    """
    import threading

    from django.db import connections

    from byline.engagement import actions

    done = 0
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def work(n: int) -> None:
        nonlocal done
        rng, reader, article = random.Random(n), secrets.token_hex(16), article_for(n)
        count = 0
        try:
            barrier.wait(timeout=30)
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                if rng.random() < 0.5:
                    actions.cast("reaction", article, reader, rng.choice(REACTIONS))
                else:
                    actions.cast("rating", article, reader, rng.randint(1, 5))
                count += 1
        finally:
            connections.close_all()
        with lock:
            done += count

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done


def python_of(tree: Path) -> str:
    venv = tree / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


# Run by ``tree``'s python in ``tree``: (re)create its vote statement in the database.
CREATE_FUNCTIONS = """
import django
django.setup()
from django.db import connection
from byline.engagement import votesql
with connection.schema_editor() as editor:
    votesql.create_functions(editor)
"""


def use_functions_of(tree: Path, env: dict[str, str]) -> None:
    """The database's vote statement as ``tree`` creates it."""
    subprocess.run([python_of(tree), "-c", CREATE_FUNCTIONS], env=env, cwd=tree, check=True)


@contextlib.contextmanager
def serving(args: argparse.Namespace, env: dict[str, str], tree: Path = ROOT):
    """A granian server of ``tree`` with ``env`` on ``args.port``, stopped afterwards;
    yields the port."""
    server = subprocess.Popen(
        [
            python_of(tree), "-m", "granian", "--interface", "wsgi",
            "--host", "127.0.0.1", "--port", str(args.port),
            "--workers", str(args.workers), "--blocking-threads", str(args.threads),
            "--backpressure", str(args.threads * 8),  # as `byline run --production`
            "--no-ws", "--log-level", "error", "byline.wsgi:application",
        ],
        env=env,
        cwd=tree,
        start_new_session=True,
    )  # fmt: skip
    SERVER_GROUP[0] = server.pid
    try:
        path = f"/api/articles/{args.ids[0]}/engagement/"
        wait_for(f"http://127.0.0.1:{args.port}{path}", Server(server, args.port, "the server"))
        yield args.port
    finally:
        stop_process_group(server, signal.SIGINT, seconds=20)


def main() -> None:
    args = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("bench/votes.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    if not 1024 <= args.port <= 65535:
        sys.exit("--port must be an unprivileged port (1024-65535)")
    env = {**os.environ, **voting_settings()}
    os.environ.update(env)
    ensure_tools()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    from byline.engagement.recount import recount
    from byline.engagement.stats import figures_for
    from tests.factory import make_article

    call_command("migrate", verbosity=0)
    tag = secrets.token_hex(4)
    articles = [
        make_article(f"Bench {tag} {i}", slug=f"bench-{tag}-{i}") for i in range(args.articles)
    ]
    ids = [article.pk for article in articles]
    args.ids = ids
    db_figures = None
    if args.db_clients > 0:
        own = [
            make_article(f"Bench {tag} own {i}", slug=f"bench-{tag}-own-{i}")
            for i in range(args.db_clients)
        ]
        hot = database_phase(args.db_clients, args.seconds, lambda n: ids[0])
        spread = database_phase(args.db_clients, args.seconds, lambda n: own[n].pk)
        db_figures = (hot / args.seconds, spread / args.seconds)
        articles += own
    from django.conf import settings

    from byline import readers

    # One line per reader for bench/votes.lua: a signed reader cookie (as the
    # server would set it on a first vote) and the address nginx would pass.
    reader_file = Path(tempfile.mkstemp(prefix="byline-bench-readers-")[1])
    cookie = settings.BYLINE_READER_COOKIE
    reader_file.write_text(
        "".join(
            f"{cookie}={readers.cookie_value(readers.new_reader_id())}"
            f" 10.{n // 250}.{n % 250}.{n % 7 + 1}\n"
            for n in range(args.clients)
        )
    )
    if args.against:
        # Votes mark their articles' counts changed (``XADD``) as behind nginx, where the
        # view folder reads the marks.
        views = tempfile.mkdtemp(prefix="byline-bench-views-")
        try:
            failed = against(args, {**env, "BYLINE_VIEW_LOG_DIR": views}, reader_file, ids)
        finally:
            reader_file.unlink()
            shutil.rmtree(views, ignore_errors=True)
            use_functions_of(ROOT, env)
        drifts = recount()
        print(f"recount: {'exact' if not drifts else f'{len(drifts)} totals DRIFTED'}")
        for article in articles:
            article.delete()
        sys.exit(1 if drifts or failed else 0)
    try:
        with serving(args, env) as port:
            wrk_phase(port, args.clients, 1, reader_file, ids, "votes")  # warm up
            reads = wrk_phase(port, args.clients, args.seconds, reader_file, ids, "counts")
            votes = wrk_phase(port, args.clients, args.seconds, reader_file, ids, "votes")
        # The same votes cast one statement and one commit each, side by side.
        with serving(args, {**env, "BYLINE_VOTE_BATCHES": "off"}) as port:
            wrk_phase(port, args.clients, 1, reader_file, ids, "votes")  # warm up
            alone = wrk_phase(port, args.clients, args.seconds, reader_file, ids, "votes")
    finally:
        reader_file.unlink()
    drifts = recount()
    figures = [figures_for(article_id) for article_id in ids]
    redis = "yes" if os.environ.get("REDIS_URL") else "no"
    print(
        f"clients: {args.clients}, articles: {args.articles}, granian: {args.workers} workers"
        f" x {args.threads} threads, redis: {redis}, {args.seconds:g} s per phase"
    )
    for name, (rate, statuses, p50, p99, cpu) in (
        ("reference, counts GET (writes nothing)", reads),
        ("votes through the API (batched)", votes),
        ("votes, one commit each (batches off)", alone),
    ):
        done = max(sum(statuses.values()), 1)
        split = ", ".join(f"{role} {1e6 * used / done:.0f}" for role, used in cpu.items())
        print(f"{name + ':':<40}{rate:8.0f} /s  p50 {p50:.1f} ms  p99 {p99:.1f} ms  {statuses}")
        print(f"{'':<6}CPU per request (µs): {split}")
    print(
        f"votes / reference: {votes[0] / max(reads[0], 1):.2f}; batched / one commit each:"
        f" {votes[0] / max(alone[0], 1):.2f}; target: thousands of votes/s (2,000 or more)"
    )
    if db_figures is not None:
        hot_rate, spread_rate = db_figures
        print(
            f"database alone, {args.db_clients} threads calling the vote functions (no HTTP):\n"
            f"  reference, one article per thread: {spread_rate:8.0f} votes/s\n"
            f"  one hot article for all:           {hot_rate:8.0f} votes/s"
            f"  ({hot_rate / max(spread_rate, 1):.2f} of the reference)"
        )
    print(f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    shown = sum(f.reaction_total + f.rating_count for f in figures)
    print(f"recount: {'exact' if not drifts else f'{len(drifts)} totals DRIFTED'} "
          f"({shown} reactions and ratings standing)")  # fmt: skip
    for drift in drifts:
        print(f"  {drift}")
    refused = {
        f"{name} {status}": count
        for name, (_, statuses, *_) in (("GET", reads), ("vote", votes), ("vote alone", alone))
        for status, count in statuses.items()
        if not 200 <= status < 300
    }
    if refused:
        print(f"requests that were not answered 2xx: {refused}")
    for article in articles:
        article.delete()
    sys.exit(1 if drifts or refused else 0)


def against(args: argparse.Namespace, env: dict[str, str], readers: Path, ids: list[int]) -> bool:
    """Votes through this tree's server and ``args.against``'s, A B B A; prints each run's
    CPU per vote by role and this / against. True if a vote was not answered 2xx."""
    trees = [("this", ROOT), ("against", args.against.resolve())]
    used: dict[str, dict[str, float]] = {"this": {}, "against": {}}
    failed = False
    for name, tree in [trees[0], trees[1], trees[1], trees[0]]:
        use_functions_of(tree, env)
        with serving(args, env, tree) as port:
            wrk_phase(port, args.clients, 1, readers, ids, "votes", args.spaced)  # warm up
            rate, statuses, p50, p99, cpu = wrk_phase(
                port, args.clients, args.seconds, readers, ids, "votes", args.spaced
            )
        done = max(sum(statuses.values()), 1)
        failed |= any(not 200 <= status < 300 for status in statuses)
        used[name]["votes"] = used[name].get("votes", 0) + done
        for role, seconds in cpu.items():
            used[name][role] = used[name].get(role, 0.0) + seconds
        split = ", ".join(f"{role} {1e6 * seconds / done:.0f}" for role, seconds in cpu.items())
        print(
            f"{name:8} {tree}: {rate:.0f} votes/s  p50 {p50:.1f} ms  {statuses}\n"
            f"{'':9}CPU per vote (µs): {split}",
            flush=True,
        )
    for role in used["this"]:
        if role == "votes":
            continue
        this = used["this"][role] / used["this"]["votes"]
        other = used["against"][role] / used["against"]["votes"]
        print(f"{role}: this / against = {this / other if other else float('nan'):.2f}"
              f" ({1e6 * this:.0f} / {1e6 * other:.0f} µs a vote)")  # fmt: skip
    print(f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return failed


if __name__ == "__main__":
    main()
