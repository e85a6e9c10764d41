"""Benchmark: where a lone vote's app CPU goes, back to back and spaced as readers send them.

Sends same-origin JSON votes (reactions and ratings, each by one of ``--readers``
signed reader cookies at an address of its own, on one of ``--articles``
articles) through the site's WSGI application (``byline.wsgi.application``: the
vote layer, as the site answers them) in one thread of one process, with the
rate limits lifted. Each vote comes alone, so its own request thread casts it
(``batches.cast_checked``). Prints the app's CPU a vote (``time.process_time``)
and its split by phase: the rate limits' Redis round trip
(``readers.hits_and_reads``), the vote's statement and figures
(``stats.cast_votes`` / ``cast_published_votes``, the mark excluded), the
counts mark after the commit (``stats.mark_changed``: one ``XADD`` round trip),
the reader cookie's signature, the answer's JSON, and the rest (the layer,
the request cycle, the cookie and body parsing, the hand-over). First with the
votes back to back (warm), then ``--spaced`` ms apart (each vote cold, as a
reader's vote arrives among other requests: the same code costs about twice as
much), side by side in the same run:

    DATABASE_URL=postgres://... REDIS_URL=redis://... \\
        .venv/bin/python bench/vote_phases.py [--votes 400] [--spaced 20]

Needs PostgreSQL (votes are cast by its function); with ``REDIS_URL``, as
production (the marks are sent only with a view log folder: one is made in a
temporary directory). The articles are deleted at the end. For exact figures on
a noisy machine run it under ``valgrind --tool=callgrind`` with two ``--votes``
and divide the difference of the instructions by the difference of the votes.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import ensure_database  # noqa: E402  (bench/ is on the path)
from votes import voting_settings  # noqa: E402

REACTIONS = ["happy", "sad", "excited", "sleepy", "angry", "surprise"]
# (module, function) timed as one phase each; the cast's time excludes the mark's.
PHASES = [
    ("byline.readers", "hits_and_reads", "rate limits (Redis)"),
    ("byline.engagement.stats", "cast_votes", "cast"),
    ("byline.engagement.stats", "cast_published_votes", "cast"),
    ("byline.engagement.stats", "mark_changed", "mark (Redis XADD)"),
    ("byline.readers", "reader_from_cookie", "reader cookie"),
    ("byline.engagement.actions", "vote_json", "answer JSON"),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=int, default=400, help="votes timed in each phase")
    parser.add_argument("--spaced", type=float, default=20.0, help="ms between spaced votes")
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--readers", type=int, default=200)
    return parser.parse_args()


def timed(spent: Counter[str], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - started

    return wrapper


def main() -> None:
    args = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("bench/vote_phases.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    views = tempfile.mkdtemp(prefix="byline-bench-views-")
    # Votes mark their articles (``stats.mark_changed``) as behind nginx.
    os.environ.update({**voting_settings(), "BYLINE_VIEW_LOG_DIR": views})
    ensure_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from byline import readers
    from byline.wsgi import application
    from tests.factory import make_article

    call_command("migrate", verbosity=0)
    tag = secrets.token_hex(4)
    articles = [
        make_article(f"Vote phases {tag} {i}", slug=f"vote-phases-{tag}-{i}")
        for i in range(args.articles)
    ]
    cookies = [
        f"{settings.BYLINE_READER_COOKIE}={readers.cookie_value(readers.new_reader_id())}"
        for _ in range(args.readers)
    ]
    rng = random.Random(1)

    def vote() -> None:
        article = rng.choice(articles).pk
        if rng.random() < 0.5:
            path, body = f"/api/articles/{article}/reaction/", {"reaction": rng.choice(REACTIONS)}
        else:
            path, body = f"/api/articles/{article}/rating/", {"stars": rng.randint(1, 5)}
        data = repr(body).replace("'", '"').encode()
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(data),
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data)),
            "HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_COOKIE": rng.choice(cookies),
            "HTTP_X_REAL_IP": f"10.1.{rng.randint(0, 250)}.{rng.randint(1, 250)}",
            "REMOTE_ADDR": "127.0.0.1",
        }  # fmt: skip
        statuses: list[str] = []
        b"".join(application(environ, lambda status, headers, *exc: statuses.append(status)))
        if not statuses[0].startswith("200"):
            sys.exit(f"a vote was answered {statuses[0]}")

    spent: Counter[str] = Counter()
    import importlib

    for module_name, function_name, phase in PHASES:
        module = importlib.import_module(module_name)
        setattr(module, function_name, timed(spent, phase, getattr(module, function_name)))
    try:
        for _ in range(200):  # warm up: connections, compiled queries, scripts
            vote()
        print(f"{args.votes} lone votes a phase, one thread, {args.articles} articles")
        for name, pause in (("back to back", 0.0), (f"spaced {args.spaced:g} ms", args.spaced)):
            spent.clear()
            started = time.process_time()
            for _ in range(args.votes):
                vote()
                if pause:
                    time.sleep(pause / 1000)
            total = time.process_time() - started
            spent["cast"] -= spent["mark (Redis XADD)"]  # the mark runs inside the cast
            spent["rest (layer, cycle, parsing)"] = total - sum(spent.values())
            split = ", ".join(f"{k} {1e6 * v / args.votes:.0f}" for k, v in spent.most_common())
            print(f"{name + ':':<16}app CPU a vote {1e6 * total / args.votes:5.0f} µs = {split}")
        print(f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        for article in articles:
            article.delete()
        shutil.rmtree(views, ignore_errors=True)


if __name__ == "__main__":
    main()
