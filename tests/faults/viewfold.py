"""The view log's folder through a broken service: the test's and bench/faults.py's.

``FoldStack`` runs ``byline flush_views --every 1`` (deploy/byline-views.service)
against a PostgreSQL cluster and a redis-server of its own, folding a view log
folder that ``write_views()`` fills as nginx would. ``fold_through()`` writes
views before the fault, breaks the service, writes more (new readers, and
readers seen before, who must not count again), heals it, and reports what the
database holds once the folder has caught up: exactly the new readers' views,
from the same folder process, never restarted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.servers import ROOT, PostgresServer, RedisServer, secret_key

SLOT_SECONDS = 100  # byline.engagement.viewlog.SLOT_SECONDS
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"


@dataclass
class FoldResult:
    """What one fault did to the folding."""

    sent: int = 0  # new readers' views written to the log
    repeats: int = 0  # views of readers seen before (not to be counted)
    stored: int = 0  # views the database holds for them once caught up
    stored_later: int = 0  # the same, read again two folds later (nothing twice)
    caught_up_seconds: float = 0.0
    folder_alive: bool = True  # the same process all along
    warnings: int = 0  # lines the folder logged meanwhile (why it waits)
    problems: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return self.stored == self.stored_later == self.sent


class FoldStack:
    """A migrated database with one published article, a view log folder, and the
    folder process (``byline flush_views --every 1``)."""

    def __init__(
        self,
        postgres: PostgresServer,
        redis_server: RedisServer,
        database: str = "byline",
        redis_db: int = 0,
    ) -> None:
        self.postgres = postgres
        self.redis = redis_server
        self.database = database
        self.dir = Path(tempfile.mkdtemp(prefix="byline-fold-"))
        self.views = self.dir / "views"
        self.views.mkdir()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("BYLINE_", "DATABASE_"))},
            "DATABASE_URL": postgres.url(database),
            "REDIS_URL": redis_server.url(redis_db),
            "BYLINE_SECRET_KEY": secret_key(),
            "BYLINE_DATA_DIR": str(self.dir),
            "BYLINE_VIEW_LOG_DIR": str(self.views),
            "DJANGO_SETTINGS_MODULE": "byline.settings",
        }
        self.article_id = 0
        self.folder: subprocess.Popen | None = None
        self.browsers = 0

    def start(self) -> FoldStack:
        self._byline("migrate", "--no-input", "-v", "0")
        made = self._byline(
            "shell",
            "-c",
            "from byline.articles.demo import load_demo; print(load_demo()[0].pk)",
        )
        self.article_id = int(made.split()[-1])
        self.folder = subprocess.Popen(
            [sys.executable, "-m", "byline", "flush_views", "--every", "1"],
            env=self.env,
            cwd=ROOT,
            stdout=(self.dir / "folder.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def _byline(self, *argv: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "byline", *argv],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode:
            raise RuntimeError(f"byline {argv[0]} failed: {done.stderr[-2000:]}")
        return done.stdout

    def log(self) -> str:
        return (self.dir / "folder.log").read_text(errors="replace")

    def stored(self) -> int:
        import psycopg

        with psycopg.connect(self.postgres.url(self.database), connect_timeout=10) as connection:
            row = connection.execute(
                "SELECT views FROM engagement_articlestats WHERE article_id = %s",
                [self.article_id],
            ).fetchone()
        return int(row[0]) if row else 0

    def write_views(self, count: int) -> list[str]:
        """``count`` views of new readers (each its own browser), as nginx logs them; their
        User-Agents, to send again as repeats."""
        agents = []
        for _ in range(count):
            self.browsers += 1
            agents.append(f"{BROWSER} fold-{self.browsers}")
        self.write_lines(agents)
        return agents

    def write_lines(self, agents: list[str]) -> None:
        """One line each, from the reader's own address (one address is counted at most
        ``BYLINE_VIEWS_PER_MINUTE`` times a minute)."""
        now = time.time()
        path = self.views / f"views-{int(now) // SLOT_SECONDS}.log"
        with path.open("a") as file:
            for agent in agents:
                n = int(agent.rsplit("-", 1)[1])
                address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
                file.write(f"{now:.3f}\t{self.article_id}\t{address}\t{agent}\t-\n")

    def until_stored(self, expected: int, seconds: float) -> float:
        """Seconds until the database holds ``expected`` views (or ``seconds`` passed)."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            try:
                if self.stored() >= expected:
                    break
            except Exception:  # noqa: S110  (the database is still coming back)
                pass
            time.sleep(0.2)
        return time.monotonic() - started

    def close(self) -> None:
        if self.folder is not None and self.folder.poll() is None:
            self.folder.terminate()
            try:
                self.folder.wait(15)
            except subprocess.TimeoutExpired:
                self.folder.kill()
                self.folder.wait()
        import shutil

        shutil.rmtree(self.dir, ignore_errors=True)


def fold_faults(stack: FoldStack) -> list[tuple[str, Callable[[], None], Callable[[], None], bool]]:
    """(name, break it, heal it, whether readers seen before are remembered) of each fault."""
    postgres, redis_server = stack.postgres, stack.redis

    def restart() -> None:
        postgres.stop()
        postgres.start()

    return [
        ("PostgreSQL stopped", postgres.stop, postgres.start, True),
        ("PostgreSQL frozen (SIGSTOP)", postgres.freeze, postgres.thaw, True),
        ("PostgreSQL restarted", restart, lambda: None, True),
        ("Redis stopped (back empty)", redis_server.stop, redis_server.start, False),
        ("Redis frozen (SIGSTOP)", redis_server.freeze, redis_server.thaw, True),
    ]


def fold_through(
    stack: FoldStack,
    break_it: Callable[[], None],
    heal: Callable[[], None],
    views: int = 20,
    broken_seconds: float = 3.0,
    repeats: bool = True,
) -> FoldResult:
    """Views before, during (new readers and repeats) and after the fault; what was stored.

    ``repeats=False`` for a Redis that comes back empty: it has forgotten who was
    seen (the 30-minute marks), so readers seen before it went count again
    (``appendonly yes`` keeps them; docs/deploy.md)."""
    result = FoldResult()
    base = stack.stored()
    seen = stack.write_views(views)
    stack.until_stored(base + views, 60)
    log_before = len(stack.log().splitlines())
    break_it()
    try:
        stack.write_views(views)
        if repeats:
            stack.write_lines(seen[: views // 4])  # the same readers again: not counted
        time.sleep(broken_seconds)
    finally:
        heal()
    stack.write_views(views)
    result.sent = 3 * views
    result.repeats = views // 4 if repeats else 0
    result.caught_up_seconds = stack.until_stored(base + result.sent, 90)
    result.stored = stack.stored() - base
    time.sleep(2.5)  # two more folds: nothing may be counted twice
    result.stored_later = stack.stored() - base
    assert stack.folder is not None
    result.folder_alive = stack.folder.poll() is None
    result.warnings = len(stack.log().splitlines()) - log_before
    if not result.exact:
        result.problems.append(
            f"{result.sent} views sent, {result.stored} then {result.stored_later} stored"
        )
    if not result.folder_alive:
        result.problems.append("the folder process stopped")
    return result
