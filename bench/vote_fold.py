"""The vote folder's cost a vote: nginx's vote log cast through ``votelog.fold()``.

Writes a vote log as nginx would (``--votes`` lines, reactions and ratings, changes
and withdrawals, by readers with a minted id or the app's signed cookie, over
``--articles`` published articles read Zipf-like), folds it every ``--every`` lines
(a fold's batch, as ``flush_views --every 2`` meets about 2 s of votes), and prints the
CPU a vote of the folder process and of its PostgreSQL backend (and of Redis, with
``--redis-pid``), beside what a vote through the app costs (``bench/votes.py``).
It checks that every vote was cast once: the votes in the tables are those the log
leaves (the last of each reader on each article, withdrawals none).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/benchvotes REDIS_URL=redis://... \\
        .venv/bin/python bench/vote_fold.py [--votes 20000] [--every 100] [--quick]

The database is migrated first; the bench's articles are deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def me() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def proc_cpu(pid: int) -> float:
    """A process's CPU to the nanosecond (its CPU clock), 0 without one."""
    return time.clock_gettime(((~pid) << 3) | 2) if pid else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--votes", type=int, default=20000)
    parser.add_argument("--every", type=int, default=100, help="lines a fold")
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--readers", type=int, default=5000)
    parser.add_argument("--redis-pid", type=int, default=0)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI: 600 votes by 200 readers over 10 articles, folded 12 lines at a time;"
        " asserts every reader's vote is the log's last, never timings",
    )
    options = parser.parse_args()
    if options.quick:
        options.votes, options.every, options.articles, options.readers = 600, 12, 10, 200
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL=postgres://... please")
    folder = Path(tempfile.mkdtemp(prefix="byline-votefold-"))
    os.environ.update(
        BYLINE_SECRET_KEY="bench-" + "x" * 50,
        BYLINE_DATA_DIR=str(folder),
        BYLINE_VIEW_LOG_DIR=str(folder / "views"),
        BYLINE_VOTES_PER_MINUTE="1000000",
        DJANGO_SETTINGS_MODULE="byline.settings",
    )
    (folder / "views").mkdir()
    from harness import ensure_database  # (bench/ is on the path)

    ensure_database()
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], check=True, cwd=ROOT
    )
    import django

    django.setup()
    from django.db import connection

    from byline import readers
    from byline.articles.models import Article
    from byline.engagement import actions, votelog
    from byline.engagement.models import Rating, Reaction
    from tests.factory import make_article

    random.seed(7)
    articles = [make_article(f"Vote fold bench {n}") for n in range(options.articles)]
    ids = [article.pk for article in articles]
    weights = [1 / (n + 1) for n in range(len(ids))]
    keys = actions.reaction_keys()
    people = [secrets.token_hex(16) for _ in range(options.readers)]
    cookies = [each if n % 2 else readers.cookie_value(each) for n, each in enumerate(people)]
    expected: dict[tuple[str, int, str], str | None] = {}
    lines = []
    for _ in range(options.votes):
        who = random.randrange(len(people))
        article = random.choices(ids, weights)[0]
        kind = random.choice(("reaction", "rating"))
        if random.random() < 0.1:
            value = ""
        else:
            value = random.choice(keys) if kind == "reaction" else str(random.randint(1, 5))
        expected[(kind, article, people[who])] = value or None
        address = f"2001:db8::{who:x}"
        lines.append(
            f"{time.time():.3f}\t{article}\t{kind}\t={value}\t{address}\tMozilla/5.0\t{cookies[who]}\n"
        )
    path = folder / "views" / f"votes-{int(time.time()) // votelog.SLOT_SECONDS}.log"
    votelog.fold()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    folder_cpu = pg_cpu = redis_cpu = 0.0
    cast = 0
    for start in range(0, len(lines), options.every):
        with path.open("a") as file:
            file.write("".join(lines[start : start + options.every]))
        before = (me(), proc_cpu(backend), proc_cpu(options.redis_pid))
        cast += votelog.fold()
        folder_cpu += me() - before[0]
        pg_cpu += proc_cpu(backend) - before[1]
        redis_cpu += proc_cpu(options.redis_pid) - before[2]
    got = {
        ("reaction", a, r): v or None
        for a, r, v in Reaction.objects.filter(article_id__in=ids).values_list(
            "article_id", "reader", "reaction"
        )
    }
    got.update(
        {
            ("rating", a, r): None if v is None else str(v)
            for a, r, v in Rating.objects.filter(article_id__in=ids).values_list(
                "article_id", "reader", "stars"
            )
        }
    )
    wrong = {key for key, value in expected.items() if got.get(key) != value}
    Article.objects.filter(pk__in=ids).delete()
    n = len(lines)
    print(f"{n} vote lines, a fold every {options.every} lines; cast {cast}")
    print(f"folder  {1e6 * folder_cpu / n:7.1f} us CPU a vote")
    print(f"postgres{1e6 * pg_cpu / n:7.1f} us CPU a vote")
    if options.redis_pid:
        print(f"redis   {1e6 * redis_cpu / n:7.1f} us CPU a vote")
    total = folder_cpu + pg_cpu + redis_cpu
    print(f"total   {1e6 * total / n:7.1f} us CPU a vote")
    print("(a vote through the app, bench/votes.py: ~1,500-2,000 us of app CPU")
    print(" and ~500-700 us of PostgreSQL's)")
    if wrong:
        print(f"WRONG: {len(wrong)} readers' votes are not the log's last")
        return 1
    print("every reader's vote is the log's last: exact")
    return 0


if __name__ == "__main__":
    sys.exit(main())
