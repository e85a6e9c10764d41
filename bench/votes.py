"""Votes per second through the HTTP API with 64 concurrent clients, then the recount.

Needs PostgreSQL (DATABASE_URL=postgres://...); uses Redis too when REDIS_URL
is set, as production does. Starts its own granian server on 127.0.0.1 (port
8100 by default), creates its own articles, and deletes them afterwards.

Each client is its own reader (its own cookie and X-Real-IP) on one
keep-alive connection, and casts, moves and withdraws reactions and ratings
at random. Before the votes, the same clients read the cacheable counts
endpoint for the same time: that is the reference, a request that writes
nothing, on the same server in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_engagement \\
    REDIS_URL=redis://127.0.0.1:6379/1 .venv/bin/python bench/votes.py [--seconds 4]

Target (PRODUCT.md): thousands of votes per second on a 2-core machine, and
every total equal to a recount of the vote rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REACTIONS = ["happy", "sad", "excited", "sleepy", "angry", "surprise"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each phase")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--articles", type=int, default=1, help="articles voted on (1: one hot)")
    parser.add_argument("--port", type=int, default=8100, help="within 8100-8199")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=16, help="granian blocking threads")
    return parser.parse_args()


class Client:
    """One reader on one keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int, n: int) -> None:
        self.port = port
        self.ip = f"10.{n // 250}.{n % 250}.{n % 7 + 1}"
        self.cookie = ""
        self.reader = None
        self.writer = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        headers = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            "User-Agent: Mozilla/5.0 (bench) Firefox/130.0",
            "Sec-Fetch-Site: same-origin",
            f"X-Real-IP: {self.ip}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
        ]
        if self.cookie:
            headers.append(f"Cookie: {self.cookie}")
        self.writer.write(("\r\n".join(headers) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "set-cookie" and value.startswith("byline_reader="):
                self.cookie = value.split(";", 1)[0]
        if chunked:
            data = b""
            while (size := int((await self.reader.readline()).strip(), 16)) != 0:
                data += await self.reader.readexactly(size + 2)
            await self.reader.readline()
            return status, data
        return status, await self.reader.readexactly(length)


async def phase(port: int, clients: int, seconds: float, make_request) -> tuple[int, dict]:
    """Run ``clients`` connections for ``seconds``; the number of 2xx answers and all statuses."""
    done = 0
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    async def run(n: int) -> None:
        nonlocal done
        client = Client(port, n)
        await client.connect()
        rng = random.Random(n)
        while time.perf_counter() < deadline:
            status, _ = await client.request(*make_request(rng))
            statuses[status] = statuses.get(status, 0) + 1
            done += 200 <= status < 300
        client.writer.close()

    await asyncio.gather(*(run(n) for n in range(clients)))
    return done, statuses


def vote_request(article_ids: list[int]):
    def make(rng: random.Random) -> tuple[str, str, bytes]:
        article = rng.choice(article_ids)
        roll = rng.random()
        if roll < 0.45:
            body = json.dumps({"reaction": rng.choice(REACTIONS)}).encode()
            return "POST", f"/api/articles/{article}/reaction/", body
        if roll < 0.5:
            return "DELETE", f"/api/articles/{article}/reaction/", b""
        if roll < 0.95:
            body = json.dumps({"stars": rng.randint(1, 5)}).encode()
            return "POST", f"/api/articles/{article}/rating/", body
        return "DELETE", f"/api/articles/{article}/rating/", b""

    return make


def wait_until_up(port: int, path: str, server: subprocess.Popen) -> None:
    for _ in range(100):
        if server.poll() is not None:
            sys.exit("the server stopped while starting; see its output above")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("the server did not answer within 20 seconds")


def main() -> None:
    args = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("bench/votes.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    if not 8100 <= args.port <= 8199:
        sys.exit("--port must be within 8100-8199")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "byline.settings",
        "BYLINE_PRODUCTION": "1",
        "BYLINE_SECRET_KEY": os.environ.get("BYLINE_SECRET_KEY") or secrets.token_urlsafe(50),
        "BYLINE_ALLOWED_HOSTS": "127.0.0.1",
        # Every client is its own reader at its own address, as on a real site
        # behind nginx; the limit is lifted so the benchmark measures votes.
        "BYLINE_CLIENT_IP_HEADER": "X-Real-IP",
        "BYLINE_VOTES_PER_MINUTE": "1000000000",
    }
    os.environ.update(env)
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
    server = subprocess.Popen(
        [
            sys.executable, "-m", "granian", "--interface", "wsgi",
            "--host", "127.0.0.1", "--port", str(args.port),
            "--workers", str(args.workers), "--blocking-threads", str(args.threads),
            "--no-ws", "--log-level", "warning", "byline.wsgi:application",
        ],
        env=env,
        cwd=ROOT,
    )  # fmt: skip
    try:
        wait_until_up(args.port, f"/api/articles/{ids[0]}/engagement/", server)
        asyncio.run(phase(args.port, args.clients, 0.5, vote_request(ids)))  # warm up
        reads, read_statuses = asyncio.run(
            phase(
                args.port,
                args.clients,
                args.seconds,
                lambda rng: ("GET", f"/api/articles/{rng.choice(ids)}/engagement/", b""),
            )
        )
        cpu_before = time.process_time()
        votes, vote_statuses = asyncio.run(
            phase(args.port, args.clients, args.seconds, vote_request(ids))
        )
        generator_cpu = (time.process_time() - cpu_before) / args.seconds
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    drifts = recount()
    figures = [figures_for(article_id) for article_id in ids]
    redis = "yes" if os.environ.get("REDIS_URL") else "no"
    print(
        f"clients: {args.clients}, articles: {args.articles}, granian: {args.workers} workers"
        f" x {args.threads} threads, redis: {redis}, {args.seconds:g} s per phase"
    )
    read_rate, vote_rate = reads / args.seconds, votes / args.seconds
    print(f"reference, counts GET (writes nothing): {read_rate:8.0f} requests/s  {read_statuses}")
    print(f"votes through the API:                  {vote_rate:8.0f} votes/s     {vote_statuses}")
    print(f"votes / reference: {votes / max(reads, 1):.2f}; target: thousands of votes/s")
    print(
        f"the load generator itself used {generator_cpu:.0%} of a core; "
        f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    shown = sum(f.reaction_total + f.rating_count for f in figures)
    print(f"recount: {'exact' if not drifts else f'{len(drifts)} totals DRIFTED'} "
          f"({shown} reactions and ratings standing)")  # fmt: skip
    for drift in drifts:
        print(f"  {drift}")
    for article in articles:
        article.delete()
    sys.exit(1 if drifts else 0)


if __name__ == "__main__":
    main()
