"""Serve the site: migrate, load the demo into an empty site, then run a server.

Why: one command should take a fresh checkout (or a fresh `pip install`) to a
working site. Without ``--production`` it runs Django's development server on
the embedded tier; with it, granian with one worker per core, static files
through whitenoise and DEBUG off.

Sizing (``--production``): one granian worker process per core (the GIL
makes a process the unit of parallelism); each runs ``BYLINE_THREADS`` Python
threads (16). A vote waits for its batch in one (votes on PostgreSQL are cast
in batches, one batch per worker at a time), so threads bound the batch size;
on cache hits 16 threads serve about as fast as 4 (bench/pages.py: 0.50-0.53
of nginx against 0.48-0.56, one after the other). Start-up warns when
PostgreSQL's ``max_connections`` cannot hold a connection per thread.
Backpressure caps the requests a worker accepts at once (threads x 8): beyond
that, connections wait in the listen backlog (or in nginx) instead of piling
up as idle Python threads. Workers that die are respawned.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from byline.articles.demo import site_is_empty
from byline.demo import load_demo_site
from byline.pagecache.files import PageFiles


def worker_count() -> int:
    configured = settings.BYLINE_WORKERS
    return configured if configured > 0 else (os.cpu_count() or 1)


def granian_argv(host: str, port: int, workers: int, threads: int) -> list[str]:
    """The granian command line for production."""
    return [
        sys.executable, "-m", "granian",
        "--interface", "wsgi",
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
        "--blocking-threads", str(threads),
        "--backpressure", str(threads * 8),
        "--respawn-failed-workers",
        "--no-ws",
        "byline.wsgi:application",
    ]  # fmt: skip


def connection_shortfall(workers: int, threads: int) -> str | None:
    """A warning if PostgreSQL cannot hold this server's connections: one per request
    thread, one per worker's vote caster, and 10 for migrations and maintenance."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        (allowed,) = cursor.fetchone()
    needed = workers * (threads + 1) + 10
    if needed <= int(allowed):
        return None
    return (
        f"Warning: this server may open {needed} PostgreSQL connections"
        f" ({workers} workers x (BYLINE_THREADS={threads} + 1) + 10), more than"
        f" max_connections={allowed}: lower BYLINE_THREADS or BYLINE_WORKERS, or raise"
        " max_connections (docs/deploy.md)."
    )


@contextmanager
def start_up_lock() -> Iterator[None]:
    """One start-up at a time per data folder: servers started together would
    otherwise race on migrations and on collecting static files."""
    data_dir = Path(settings.DATA_DIR)
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".start-up.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class Command(BaseCommand):
    help = "Migrate, load the demo if the site is empty, and serve."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--production",
            action="store_true",
            help="granian workers, whitenoise static files, DEBUG off.",
        )
        parser.add_argument(
            "--no-demo", action="store_true", help="Do not load the demo into an empty site."
        )

    def handle(self, *args, host: str, port: int, production: bool, no_demo: bool, **options):
        if production and not settings.PRODUCTION:
            raise CommandError(
                "--production must be given before Django starts: use `byline run --production`."
            )
        with start_up_lock():
            call_command("migrate", interactive=False, verbosity=0)
            if not no_demo and site_is_empty():
                article = load_demo_site()
                self.stdout.write(f"Loaded the demo article: {article.headline}")
            if settings.PRODUCTION:
                call_command("collectstatic", interactive=False, verbosity=0)
        if settings.PRODUCTION:
            call_command("check", deploy=True, fail_level="ERROR")
            self.serve_production(host, port)
        else:
            self.stdout.write(f"Byline is serving http://{host}:{port}/ (Ctrl-C stops it)")
            call_command("runserver", f"{host}:{port}", use_reloader=False)

    def serve_production(self, host: str, port: int) -> None:
        if settings.BYLINE_PAGE_FILES_DIR:
            # Files from an earlier run may be out of date: nginx falls back to
            # the app until a worker has read the current generation.
            PageFiles(Path(settings.BYLINE_PAGE_FILES_DIR).expanduser().resolve()).reset()
        workers = worker_count()
        threads = settings.BYLINE_THREADS
        shortfall = connection_shortfall(workers, threads)
        if shortfall:
            self.stderr.write(shortfall)
        argv = granian_argv(host, port, workers, threads)
        self.stdout.write(
            f"Byline is serving http://{host}:{port}/ with {workers} granian workers"
            f" of {threads} threads"
        )
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606  (replace this process with granian)
