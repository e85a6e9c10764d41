"""Throwaway Redis, PostgreSQL and Byline servers to break on purpose.

The fault tests (and ``bench/faults.py``) start their own services on spare
ports, then stop, freeze (SIGSTOP) and restart them. The shared services on
5432 and 6379 are never touched. Ports come from ``BYLINE_FAULT_PORTS``
(``first-last``, default 18100-18199).

- ``RedisServer``: ``redis-server`` without persistence (a restart comes back
  empty), optionally with ``maxmemory`` and ``noeviction`` (refusing writes).
- ``PostgresServer``: a fresh cluster made by ``initdb`` and run by
  ``pg_ctl`` (as the ``postgres`` user when this runs as root, since
  PostgreSQL refuses to run as root).
- ``AppServer``: ``byline run --production`` (granian) against them.

``missing_redis()`` / ``missing_postgres()`` say why a test must skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench.harness import stop_process_group

PG_BIN = Path(os.environ.get("BYLINE_PG_BIN", "/usr/lib/postgresql/15/bin"))
ROOT = Path(__file__).resolve().parents[2]


def port_range() -> range:
    """The ports of ``BYLINE_FAULT_PORTS``; under pytest-xdist, this worker's share of them."""
    first, _, last = os.environ.get("BYLINE_FAULT_PORTS", "18100-18199").partition("-")
    ports = range(int(first), int(last) + 1)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        index, count = int(worker[2:]), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        share = len(ports) // max(count, 1)
        ports = ports[index * share : (index + 1) * share]
    return ports


_taken: set[int] = set()


def free_port() -> int:
    """A port of the range that nothing listens on (and this process has not handed out)."""
    for port in port_range():
        if port in _taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _taken.add(port)
        return port
    raise RuntimeError(f"no free port in {port_range()}")


def missing_redis() -> str | None:
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server)"
    return None


def missing_postgres() -> str | None:
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        return f"PostgreSQL server binaries not found in {PG_BIN} (set BYLINE_PG_BIN)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: cannot start PostgreSQL as another user"
    return None


def until(condition, seconds: float = 30, every: float = 0.2) -> bool:
    """Whether ``condition()`` came true within ``seconds``, asking every ``every`` s."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def _wait(condition, seconds: float, what: str) -> None:
    if not until(condition, seconds, every=0.05):
        raise RuntimeError(f"{what} within {seconds} s")


def _children(pid: int) -> list[int]:
    """``pid``'s descendants, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                found.append(child)
                frontier.append(child)
    return found


class RedisServer:
    """A redis-server of our own: no persistence, so a restart comes back empty."""

    def __init__(self, maxmemory: str | None = None, options: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.maxmemory = maxmemory
        self.options = options  # more of redis-server's arguments
        self.dir = Path(tempfile.mkdtemp(prefix="byline-redis-"))
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        argv = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.dir),
        ]  # fmt: skip
        if self.maxmemory:
            argv += ["--maxmemory", self.maxmemory, "--maxmemory-policy", "noeviction"]
        argv += self.options
        self.process = subprocess.Popen(
            argv, stdout=(self.dir / "log").open("w"), stderr=subprocess.STDOUT
        )
        _wait(self.answers, 10, f"redis-server did not answer on {self.port}")
        return self

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a frozen server cannot stop
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Stopped and started again: empty (no persistence)."""
        self.stop()
        self.start()

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def fill(self) -> None:
        """Fill it to its maxmemory, so it refuses every write that needs memory."""
        import redis

        client = redis.Redis(port=self.port)
        chunk = "x" * 65536
        try:
            for n in range(1_000_000):
                client.set(f"filler:{n}", chunk)
        except redis.ResponseError:  # OOM: full
            pass
        finally:
            client.close()

    def refuse_writes(self) -> None:
        """Turn on ``maxmemory`` with ``noeviction`` at what it holds now, then fill it:
        from now on every write that needs memory is refused (OOM)."""
        import redis

        client = redis.Redis(port=self.port)
        try:
            used = int(client.info("memory")["used_memory"])
            client.config_set("maxmemory-policy", "noeviction")
            client.config_set("maxmemory", str(used + 2 * 1024 * 1024))
        finally:
            client.close()
        self.fill()

    def accept_writes(self) -> None:
        """Undo ``refuse_writes()``: no memory limit, the filler gone."""
        import redis

        client = redis.Redis(port=self.port)
        try:
            client.config_set("maxmemory", "0")
            for key in client.scan_iter(match="filler:*", count=1000):
                client.delete(key)
        finally:
            client.close()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresServer:
    """A PostgreSQL cluster of our own, made by initdb and run by pg_ctl."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="byline-pg-"))
        self.data = self.dir / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.dir}'\nfsync = off\n"
                "max_connections = 60\nshared_buffers = 32MB\n"
            )

    def _run(self, *argv: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *argv] if self.as_root else list(argv)
        subprocess.run(command, check=True, capture_output=True, cwd=self.dir)

    def url(self, name: str = "byline") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def start(self) -> PostgresServer:
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "start"
        )
        return self

    def create_database(self, name: str = "byline") -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            if not connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone():
                connection.execute(f'CREATE DATABASE "{name}"')

    def stop(self, mode: str = "fast") -> None:
        self.thaw()
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def _pids(self) -> list[int]:
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return []
        postmaster = int(pid_file.read_text().split()[0])
        return [postmaster, *_children(postmaster)]

    def freeze(self) -> None:
        """SIGSTOP the postmaster and every backend: connections hang, nothing answers."""
        for pid in self._pids():
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:  # a backend that just ended
                pass

    def thaw(self) -> None:
        for pid in self._pids():
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        try:
            self.stop("immediate")
        except (subprocess.CalledProcessError, FileNotFoundError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def secret_key() -> str:
    """The servers' SECRET_KEY: this process's when Django is set up, so that a comment
    form token the tests sign here (``clients.comment_fields``) is one the server handed
    out, as a page's would be."""
    from django.apps import apps

    if apps.ready:
        from django.conf import settings

        return settings.SECRET_KEY
    return "fault-tests-" + "k" * 40


class AppServer:
    """``byline run --production`` (granian) with ``env``, on a port of the range."""

    def __init__(self, env: dict[str, str], workers: int = 1, threads: int = 8) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="byline-app-"))
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("BYLINE_", "DATABASE_"))},
            "BYLINE_SECRET_KEY": secret_key(),
            "BYLINE_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "BYLINE_DATA_DIR": str(self.dir),
            "BYLINE_WORKERS": str(workers),
            "BYLINE_THREADS": str(threads),
            "BYLINE_SECURE_COOKIES": "false",
            "REDIS_URL": "",
            **env,
        }
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AppServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "byline", "run", "--production", "--port", str(self.port)],
            env=self.env,
            cwd=ROOT,
            stdout=(self.dir / "log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def up() -> bool:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the app server stopped: see {self.dir / 'log'}")
            try:
                urllib.request.urlopen(self.base + "/", timeout=2).close()
                return True
            except (urllib.error.URLError, OSError):
                return False

        _wait(up, 120, "the app server did not answer")
        return self

    def log(self) -> str:
        return (self.dir / "log").read_text(errors="replace")

    def shell(self, code: str) -> str:
        """Run ``code`` in ``manage.py shell`` with this server's settings; its output."""
        return subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def own_postgres_and_redis() -> Iterator[tuple[PostgresServer, RedisServer]]:
    """A PostgreSQL cluster (with its ``byline`` database) and a redis-server of our own,
    closed afterwards; the test is skipped when either cannot be run here."""
    import pytest

    for reason in (missing_postgres(), missing_redis()):
        if reason is not None:
            pytest.skip(reason)
    postgres = PostgresServer().start()
    redis_server = RedisServer().start()
    try:
        postgres.create_database()
        yield postgres, redis_server
    finally:
        redis_server.close()
        postgres.close()


@contextlib.contextmanager
def app_on_own_postgres_and_redis(
    **env: str,
) -> Iterator[tuple[PostgresServer, RedisServer, AppServer]]:
    """``own_postgres_and_redis()`` with an ``AppServer`` on them (``env`` added to its
    environment), comments taken at once; all closed afterwards."""
    with own_postgres_and_redis() as (postgres, redis_server):
        app = AppServer(
            {
                "DATABASE_URL": postgres.url(),
                "REDIS_URL": redis_server.url(),
                "BYLINE_COMMENT_MIN_SECONDS": "0",
                **env,
            }
        ).start()
        try:
            yield postgres, redis_server, app
        finally:
            app.close()
