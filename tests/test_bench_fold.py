"""bench/fold.py's redis-server of its own: each replay empties it, so it must be its own."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import redis

from bench import fold
from bench.harness import free_ports

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")


def test_a_port_another_redis_server_holds_is_not_taken_for_the_benchs_own():
    """``--redis-port`` of a server already running (another session's, or the shared
    one): the bench's own cannot bind it, and the bench stops before a replay empties
    the other's database."""
    (port,) = free_ports(1)
    other = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.set("someone's", "data")
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        with pytest.raises(SystemExit, match="not a redis-server of the bench's own"):
            fold.start_redis(port)
        assert client.get("someone's") == b"data"
        assert client.info("server")["process_id"] == other.pid
    finally:
        other.terminate()
        other.wait(10)


def test_the_benchs_own_redis_server_answers_when_started():
    (port,) = free_ports(1)
    server = fold.start_redis(port)
    try:
        assert redis.Redis(port=port).info("server")["process_id"] == server.pid
    finally:
        server.terminate()
        server.wait(10)
