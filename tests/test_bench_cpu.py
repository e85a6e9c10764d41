"""What the benches count as their own on a shared machine, and how finely.

bench/harness.py's ``StackCPU`` counts a bench's servers by process group, the
PostgreSQL backends of its own database only and the Redis server on its own
port only: other helpers' databases and Redis servers run beside it on the
same 2 cores. It reads each thread's CPU to the nanosecond, where /proc's
``stat`` counts ticks of 10 ms. bench/readers.py's readers vote and comment
every 50th and 1000th session, not by a draw each, so a phase of a few
seconds holds the same share of these costly requests as the next.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from bench.harness import (
    ProcessCPU,
    StackCPU,
    cpu_seconds,
    database_of,
    free_ports,
    process_cpu,
    redis_port_of,
)
from tests.conftest import using_postgres


def record(pid: int) -> ProcessCPU:
    return next(p for p in process_cpu() if p.pid == pid)


def test_the_stack_is_named_by_its_urls():
    assert redis_port_of("redis://127.0.0.1:18294/0") == "18294"
    assert redis_port_of("redis://:secret@127.0.0.1:6380/3") == "6380"
    assert redis_port_of("redis://localhost/0") == "6379"
    assert redis_port_of("") == ""
    assert database_of("postgres://postgres@127.0.0.1:5432/bench_votes?sslmode=disable") == (
        "bench_votes"
    )
    assert database_of("sqlite:///x.db") == ""


def test_a_server_is_its_process_group_and_nothing_else_is_counted():
    """A server started in a session of its own counts with its children; a busy
    process of someone else's does not."""
    burn = "import os, sys\nos.fork()\nx = sum(range(3_000_000))\nsys.stdin.read()"
    ours = subprocess.Popen(
        [sys.executable, "-c", burn], stdin=subprocess.PIPE, start_new_session=True
    )
    theirs = subprocess.Popen([sys.executable, "-c", burn], stdin=subprocess.PIPE)
    stack = StackCPU({ours.pid: "app server"})
    try:
        for _ in range(200):  # the server and its forked worker
            group = [p.pid for p in process_cpu() if p.group == ours.pid]
            if len(group) == 2:
                break
            time.sleep(0.02)
        before = stack.snapshot()
        assert len(group) == 2
        assert all(stack.role_of(record(pid)) == "app server" for pid in group)
        assert stack.role_of(record(theirs.pid)) is None
        assert {role for role, _ in before} == {"app server"}
    finally:
        for process in (ours, theirs):
            process.communicate(b"")


def test_cpu_is_read_to_less_than_a_tick_and_counts_every_thread():
    """A fraction of a millisecond of CPU shows (/proc's stat would say 0 or 0.01), and
    a thread that has ended still counts: its process's clock keeps it."""
    me = os.getpid()
    before = cpu_seconds(me)
    sum(range(20_000))
    used = cpu_seconds(me) - before
    assert 0 < used < 0.01
    assert used * 100 != round(used * 100)
    spent = []

    def work() -> None:
        sum(range(200_000))
        spent.append(time.thread_time())

    before = cpu_seconds(me)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert cpu_seconds(me) - before >= spent[0] > 0


def redis_server(folder: Path) -> subprocess.Popen:
    """A Redis server of its own on a free port, up (its command line names the port)."""
    for _ in range(10):  # a free port may be taken before the server binds it
        (port,) = free_ports(1)
        server = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(port)]
            + ["--save", "", "--appendonly", "no"],
            cwd=folder,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            if server.poll() is not None:
                break
            if f":{port}".encode() in Path(f"/proc/{server.pid}/cmdline").read_bytes():
                server.port = port  # type: ignore[attr-defined]
                return server
            time.sleep(0.05)
        server.terminate()
        server.wait(10)
    raise RuntimeError("no Redis server started")


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")
def test_only_the_redis_on_our_port_is_ours(tmp_path: Path):
    servers = []
    try:
        servers = [redis_server(tmp_path), redis_server(tmp_path)]
        stack = StackCPU({}, redis_port=str(servers[0].port))
        assert stack.role_of(record(servers[0].pid)) == "Redis"
        assert stack.role_of(record(servers[1].pid)) is None
        assert StackCPU({}).role_of(record(servers[0].pid)) is None  # no Redis of its own
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)


@pytest.mark.postgres
@pytest.mark.skipif(not using_postgres(), reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
def test_only_our_databases_backends_are_ours():
    url = os.environ["DATABASE_URL"].split("?")[0]  # libpq's URL: no ?prepare_threshold=
    other = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(url) as mine, psycopg.connect(other) as theirs:
        ours_pid = mine.execute("SELECT pg_backend_pid()").fetchone()[0]
        theirs_pid = theirs.execute("SELECT pg_backend_pid()").fetchone()[0]
        stack = StackCPU({}, database=database_of(url))
        assert stack.role_of(record(ours_pid)) == "PostgreSQL"
        assert stack.role_of(record(theirs_pid)) is None


def test_readers_vote_and_comment_at_an_even_pace():
    from bench.readers import COMMENT_SHARE, VOTE_SHARE, Generator

    generator = Generator(0, [], "after", 60.0, seed=1)
    acts = [generator.act() for _ in range(100_000)]
    votes = [n for n, roll in enumerate(acts) if roll == 0.0]
    comments = [n for n, roll in enumerate(acts) if roll == VOTE_SHARE]
    assert abs(len(votes) - 100_000 * VOTE_SHARE) <= 1
    assert abs(len(comments) - 100_000 * COMMENT_SHARE) <= 1
    for start in range(0, 100_000, 2_000):  # every stretch of a phase's length alike
        assert sum(start <= n < start + 2_000 for n in comments) == 2
        assert 39 <= sum(start <= n < start + 2_000 for n in votes) <= 41


def test_readers_write_varied_genuine_comments_and_sign_them_variously():
    """The bench's comments are the corpus's genuine news comments (never its spam nor
    YouTube's), many different ones; readers sign with varied names and addresses; and
    the compressed clock does not make the filter hold them as sent too fast."""
    import json
    import random
    from pathlib import Path

    from bench.readers import CORPUS, commenter, reader_comments, site_environment

    texts = reader_comments()
    ham = {
        json.loads(line)["text"]
        for path in CORPUS.glob("*.jsonl")
        if not path.name.startswith("youtube")
        for line in path.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["label"] == "ham"
    }
    assert len(texts) > 3000 and set(texts) <= ham
    rng = random.Random(1)
    signed = [commenter(rng) for _ in range(200)]
    assert len({name for name, _ in signed}) > 100
    assert len({email for _, email in signed}) == 200
    reserved = {"example.com", "example.org", "example.net", "mail.example.com"}
    assert {email.rsplit("@", 1)[1] for _, email in signed} <= reserved
    environment = site_environment(Path("/nonexistent"))
    assert (
        environment["BYLINE_SPAM_MIN_SECONDS"] == environment["BYLINE_COMMENT_MIN_SECONDS"] == "0"
    )
