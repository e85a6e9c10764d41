"""The view folder's cost a line: nginx's view log replayed through ``viewlog.fold()``.

Writes a view log as nginx would (``--rate`` lines a second for ``--articles``
published articles read Zipf-like, and a draft whose lines must be dropped;
browsers with the User-Agents real browsers send, many sharing one; 0.5% of
lines from declared bots; one line in ten a reader coming back to an article
they have read) and replays it through the folder of this tree, one second of
log appended at a time and folded every ``--every`` seconds (2), paced to the
clock, as ``byline flush_views --every 2`` does. It prints the CPU a line of
the folder process, of its PostgreSQL backend and, with ``--redis-port`` (a
redis-server of the bench's own on that port, so its CPU is the bench's alone),
of Redis; and checks that the views added are exactly the lines the counting
rules count.

``--against <another checkout>`` replays the same log through that tree too
(its ``.venv`` if it has one), the two in turn A B B A, and prints the ratio;
``--against-every 1`` folds it every second (as deployed before the thirteenth round).
``--split`` replays a second log at a quarter of ``--rate`` too (the same order)
and splits each tree's CPU a second into a part a fold (whatever it read) and a
part a line: CPU a second = fold + line x lines a second, from the two rates.
``--vote-rate`` writes that many votes a second to the vote log beside it (reactions
and ratings of readers of their own, on the same articles), folded before the views
at each fold as ``flush_views`` does: the folder's own votes, then the look at the counts
files after them.
``--quick`` (CI): a few seconds, unpaced; asserts exact counts, never timings.

    DATABASE_URL=postgres://.../benchfold REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/fold.py --quick
    DATABASE_URL=... python bench/fold.py --redis-port 18201 --against ../other
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{m} like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/17.{m} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S91{m}B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_{m}) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.{m} Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{m} like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/4{m}0.0.0]",
]
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "python-requests/2.32.3",
]


def make_log(seconds: int, rate: int, articles: int, seed: int) -> tuple[list, int]:
    """The log, a list of seconds of ``[article index or -1 (the draft), address number,
    User-Agent]``, and the views the counting rules count in it."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(articles)]
    agents = [a.format(v=rng.randint(118, 131), m=rng.randint(0, 9)) for a in AGENTS * 8]
    browsers: list[tuple[int, str]] = []
    read: list[tuple[int, int]] = []  # (article, browser) pairs already counted
    log, expected = [], 0
    for _ in range(seconds):
        second = []
        for _ in range(rate):
            draw = rng.random()
            if draw < 0.005:  # a declared bot, never counted
                second.append([rng.randrange(articles), len(browsers), rng.choice(BOTS)])
                browsers.append((len(browsers), ""))
                continue
            if draw < 0.105 and read:  # a reader back within 30 minutes: not again
                article, browser = rng.choice(read)
            else:
                browser = len(browsers)
                browsers.append((browser, rng.choice(agents)))
                article = -1 if draw > 0.99 else rng.choices(range(articles), weights)[0]
                if article >= 0:
                    read.append((article, browser))
                    expected += 1
            second.append([article, browser, browsers[browser][1]])
        log.append(second)
    return log, expected


def make_votes(seconds: int, rate: int, articles: int, seed: int) -> list:
    """A vote log, a list of seconds of ``[article index, kind, choice]`` (an empty choice
    withdraws), each vote a reader of its own."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(articles)]
    choices = {"reaction": ["happy", "sad", "excited", ""], "rating": ["1", "3", "4", "5", ""]}
    log = []
    for _ in range(seconds):
        second = []
        for _ in range(rate):
            kind = rng.choice(sorted(choices))
            article = rng.choices(range(articles), weights)[0]
            second.append([article, kind, rng.choice(choices[kind])])
        log.append(second)
    return log


# The replay, run by the python of the tree being measured (``python -c``): argv is the
# tree, the log's JSON, the article ids (the draft's last), the views' folder, whether
# paced, the Redis server's pid (or 0), the seconds of warm-up (folded, not
# measured: the first look at every article), the seconds between folds and the vote
# log's JSON ("" for none). Prints its
# figures as JSON; "lines" are the measured ones, "added" every view added.
REPLAY = r"""
import json, os, resource, sys, time, secrets
tree, log_path, ids, folder, paced, redis_pid, warmup, every, votes_path = sys.argv[1:10]
sys.path.insert(0, tree)
import django
django.setup()
from django.db import connection
from django.db.models import Sum
from byline.engagement import viewlog, votelog
from byline.engagement.models import ArticleStats
from byline.engagement import countfiles

files_cpu = [0.0]  # the folder's CPU in countfiles.publish: the counts files
real_publish = countfiles.publish
def publish(*args):
    before = me()
    try:
        return real_publish(*args)
    finally:
        files_cpu[0] += me() - before
countfiles.publish = publish

def proc_cpu(pid):  # to the nanosecond (bench.harness.cpu_seconds), not /proc's 10 ms ticks
    return time.clock_gettime(((~pid) << 3) | 2) if pid else 0.0

def me():
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime

ids = [int(i) for i in ids.split(",")]
log = json.load(open(log_path))
votes = json.load(open(votes_path)) if votes_path else [[] for _ in log]

def fold():  # as ``flush_views`` folds: the votes, then the views and the counts files
    if votes_path:
        votelog.fold()
    viewlog.fold()
tag = secrets.token_hex(2)
def views():
    return ArticleStats.objects.filter(article_id__in=ids).aggregate(n=Sum("views"))["n"] or 0
before = views()
fold()  # anything left over, and the connection opened
try:  # what ``flush_views --every`` does after its first flush, in a tree whose does
    from byline.gcfreeze import freeze_start_up
except ImportError:  # an older tree: the command's own
    try:
        from byline.engagement.management.commands.flush_views import freeze_start_up
    except ImportError:
        freeze_start_up = None  # type: ignore[assignment]
if freeze_start_up is not None:
    freeze_start_up()
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_backend_pid()") if connection.vendor == "postgresql" else None
    backend = cursor.fetchone()[0] if connection.vendor == "postgresql" else 0
redis_pid = int(redis_pid)
folder_cpu = pg_cpu = redis_cpu = 0.0
lines = 0
start = time.time()
for n, second in enumerate(log):
    now = time.time()
    if paced == "1" and now < start + n:
        time.sleep(start + n - now)
        now = time.time()
    text = "".join(
        f"{now + i / len(second):.3f}\t{ids[a]}\t2001:db8:{tag}::{b:x}\t{agent}\t-\n"
        for i, (a, b, agent) in enumerate(second)
    )
    with open(os.path.join(folder, f"views-{int(now) // 100}.log"), "a") as f:
        f.write(text)
    if votes[n]:
        with open(os.path.join(folder, f"votes-{int(now) // 100}.log"), "a") as f:
            f.write("".join(
                f"{now:.3f}\t{ids[a]}\t{kind}\t={choice}\t10.{n % 250}.{i % 250}.1\t-\t"
                f"{secrets.token_hex(16)}\n"
                for i, (a, kind, choice) in enumerate(votes[n])
            ))
    if n < int(warmup):  # the first look at every article, the first files written
        fold()
        files_cpu[0] = 0.0
        continue
    lines += len(second)
    if (n - int(warmup) + 1) % int(every) and n != len(log) - 1:
        continue  # folded with the next seconds' lines
    c0, p0, r0 = me(), proc_cpu(backend), proc_cpu(redis_pid)
    fold()
    folder_cpu += me() - c0
    pg_cpu += proc_cpu(backend) - p0
    redis_cpu += proc_cpu(redis_pid) - r0
print(json.dumps({"lines": lines, "added": views() - before, "folder": folder_cpu,
                  "files": files_cpu[0], "postgresql": pg_cpu,
                  "redis": redis_cpu if redis_pid else None}))
"""


def python_of(tree: Path) -> str:
    venv = tree / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def replay(
    tree: Path,
    log_path: Path,
    ids: list[int],
    env: dict,
    paced: bool,
    redis_pid: int,
    warmup: int,
    every: int = 1,
    votes_path: Path | None = None,
):
    with tempfile.TemporaryDirectory(prefix="byline-fold-") as folder:
        env = {**env, "BYLINE_VIEW_LOG_DIR": folder}
        args = [str(tree), str(log_path), ",".join(map(str, ids)), folder, "1" if paced else "0"]
        result = subprocess.run(
            [python_of(tree), "-c", REPLAY, *args, str(redis_pid), str(warmup), str(every)]
            + [str(votes_path or "")],
            env=env,
            cwd=tree,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode:
        sys.exit(f"the replay through {tree} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def start_redis(port: int) -> subprocess.Popen:
    """A redis-server of the bench's own on ``port``, answering. Each replay empties it:
    when another server already holds the port (ours then exits), stop rather than empty
    that one's database 0 (and read the CPU of a server that is gone)."""
    import redis as redis_py

    server = subprocess.Popen(
        # on 127.0.0.1 alone: a bench's server has no business on other interfaces, and a
        # machine may hold the port on one of those (a wildcard bind then fails, and the
        # bench stops: "not a redis-server of the bench's own")
        [shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1"]
        + ["--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis_py.Redis(port=port, socket_timeout=2)
    answered = None
    for _ in range(100):
        try:
            answered = client.info("server")["process_id"]
            break
        except redis_py.ConnectionError:
            if server.poll() is not None:
                break
            time.sleep(0.05)
        except redis_py.RedisError:  # a server of another's, with a password
            break
    if answered != server.pid:
        server.terminate()
        server.wait()
        raise SystemExit(f"port {port}: not a redis-server of the bench's own (to be emptied)")
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--rate", type=int, default=300, help="lines a second")
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--against", type=Path, help="another checkout, replayed in turn")
    parser.add_argument("--redis-port", type=int, help="start a redis-server of our own here")
    # Past countfiles.SPARE_SECONDS: the counts files are written as in a folder running
    # for a while (into spare files swapped in, not new ones).
    parser.add_argument("--warmup", type=int, default=12, help="seconds folded, not measured")
    parser.add_argument(
        "--every", type=int, default=2, help="seconds of log a fold (flush_views --every)"
    )
    parser.add_argument(
        "--against-every", type=int, help="--every for the other checkout (default: the same)"
    )
    parser.add_argument(
        "--vote-rate", type=int, default=0, help="votes a second, in the vote log beside"
    )
    parser.add_argument(
        "--throwaway",
        action="store_true",
        help="a first replay, not counted (the first pays ~6-9 µs a line more, whichever tree)",
    )
    parser.add_argument("--quick", action="store_true", help="CI: exact counts, no timings")
    parser.add_argument(
        "--split", action="store_true", help="also at rate/4: CPU a fold and a line apart"
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rate, args.articles, args.warmup = 4, 200, 20, 1
    env = {key: value for key, value in os.environ.items() if not key.startswith("BYLINE_")}
    key = "bench-fold-" + "k" * 40  # the same in every replay: the readers' hashes agree
    env.update(DJANGO_SETTINGS_MODULE="byline.settings", BYLINE_SECRET_KEY=key)
    redis = start_redis(args.redis_port) if args.redis_port else None
    if redis:
        env["REDIS_URL"] = f"redis://127.0.0.1:{args.redis_port}/0"
    os.environ.update(env)
    from bench.harness import ensure_database

    ensure_database()
    import django
    import redis as redis_py

    django.setup()
    try:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        ids = make_articles(args.articles)
        rates = [args.rate, max(1, args.rate // 4)] if args.split else [args.rate]
        logs = []
        for rate in rates:
            log, expected = make_log(args.seconds, rate, args.articles, seed=21)
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
                json.dump(log, file)
            logs.append((rate, Path(file.name), expected))
        votes_path = None
        if args.vote_rate:
            votes = make_votes(args.seconds, args.vote_rate, args.articles, seed=22)
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
                json.dump(votes, file)
            votes_path = Path(file.name)
        trees = [("this", ROOT)]
        if args.against:
            trees = [("this", ROOT), ("against", args.against.resolve())]
            trees = [trees[0], trees[1], trees[1], trees[0]]
        if args.throwaway:
            trees = [("throwaway", ROOT), *trees]
        results: dict[tuple[str, int], list[dict]] = {}
        failed = []
        for name, tree in trees:
            for rate, log_path, expected in logs:
                pid = redis.pid if redis else 0
                if redis:  # each replay from an empty Redis of the bench's own: the same
                    # start (the one before left the minute's hashes of first lines full)
                    redis_py.Redis(port=args.redis_port).flushdb()
                every = args.every
                if name == "against" and args.against_every:
                    every = args.against_every
                result = replay(
                    tree, log_path, ids, env, not args.quick, pid, args.warmup, every, votes_path
                )
                if name != "throwaway":
                    results.setdefault((name, rate), []).append(result)
                lines = result["lines"]
                figures = "  ".join(
                    f"{role} {result[role] * 1e6 / lines:.1f}"
                    for role in ROLES
                    if result[role] is not None
                )
                print(
                    f"{name:8} {tree} at {rate}/s: {lines} lines measured, {result['added']}"
                    f" views added (expected {expected}); µs of CPU a line: {figures}",
                    flush=True,
                )
                if result["added"] != expected:
                    failed.append(f"{name}: {result['added']} views added, expected {expected}")
        for _, log_path, _ in logs:
            log_path.unlink()
        if votes_path:
            votes_path.unlink()
        if args.split and not args.quick:
            print_split(results, rates)
        if args.against and not args.quick:
            for role in ROLES:
                if results[("this", args.rate)][0][role] is None:
                    continue
                this = sum(r[role] for r in results[("this", args.rate)])
                other = sum(r[role] for r in results[("against", args.rate)])
                print(f"{role}: this / against = {this / other if other else float('nan'):.2f}")
        if failed:
            print("FAILED: " + "; ".join(failed))
            return 1
        print("views exact in every replay")
        return 0
    finally:
        if redis:
            redis.terminate()
            redis.wait()


ROLES = ("folder", "files", "postgresql", "redis")


def print_split(results: dict[tuple[str, int], list[dict]], rates: list[int]) -> None:
    """Each tree's CPU a second, split into a part a fold and a part a line, from its
    replays at the two rates (their means): fold + line x rate = CPU a second."""
    high, low = rates
    for name in sorted({name for name, _ in results}):
        parts = []
        for role in ROLES:
            if results[(name, high)][0][role] is None:
                continue
            per_second = {
                rate: sum(r[role] for r in results[(name, rate)])
                / sum(r["lines"] / rate for r in results[(name, rate)])
                for rate in rates
            }
            line = (per_second[high] - per_second[low]) / (high - low)
            fold = per_second[high] - line * high
            parts.append(f"{role} {fold * 1e6:.0f} + {line * 1e6:.1f}")
        print(f"{name:8} µs of CPU a fold (1 s) + a line: {'  '.join(parts)}")


def make_articles(count: int) -> list[int]:
    """``count`` published articles and a draft (last): their ids."""
    from tests.factory import make_article

    run = secrets.token_hex(3)  # the database may hold the articles of earlier runs
    ids = [make_article(slug=f"fold-{run}-{n}").pk for n in range(count)]
    return [*ids, make_article(slug=f"fold-{run}-draft", status="draft").pk]


if __name__ == "__main__":
    sys.exit(main())
