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
Backpressure caps the connections a worker holds open at once
(``CONNECTIONS_PER_WORKER``, or threads x 8 if more): beyond that, connections
wait in the listen backlog (or in nginx). granian counts connections, not
requests, so the cap must leave room for idle keep-alive connections and ones
still sending headers, which cost no Python thread; requests beyond the
threads queue inside granian. Workers that die are respawned.

Slow clients (docs/deploy.md, "Slow and abusive clients"): granian 2.8 hands a
request to a Python thread as soon as its headers are in, and the thread then
waits for the body with no timeout, so a few dozen clients sending their
bodies a byte at a time hold every thread (measured: bench/slowclients.py).
granian offers no body timeout and no way to read the body first, so the app
server must sit behind nginx (deploy/nginx.conf), which reads every request
whole and times out slow ones. It binds to loopback unless ``--host`` says
otherwise, and says so at start. What granian does offer is used: a header
read timeout (``HEADER_READ_TIMEOUT_MS``), which also closes keep-alive
connections left idle that long, and room for 512 connections per worker, so
500 slow-header and idle connections leave readers served (measured).
"""

from __future__ import annotations

import fcntl
import ipaddress
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
from byline.pagecache import codeversion
from byline.pagecache.files import PageFiles

# granian closes a connection whose request headers are not all in after this
# long, and one left idle between requests as long (measured with
# bench/slowclients.py). deploy/nginx.conf keeps its idle connections to the
# app for less (upstream keepalive_timeout 5s), so it never reuses one the app
# is closing.
HEADER_READ_TIMEOUT_MS = 10_000

# Open connections a worker accepts (granian's backpressure). With threads x 8
# (128), 256 idle or slow-header connections stopped two workers accepting
# anyone for 10 s; with 512 each, readers were served through 500 of them
# (bench/slowclients.py). Under the usual 1,024 open files per process.
CONNECTIONS_PER_WORKER = 512

# How long granian keeps a request thread that has nothing to do (its default: 30 s;
# 600 its most). A thread holds its own PostgreSQL connection for its life
# (conn_max_age=None in byline/settings.py), so each thread stopped and started again later
# costs the server a new backend (a fork, ~4-5 ms of CPU warming its caches). Kept
# 10 minutes, the threads a worker started at its busiest stay, each with its
# connection: at most BYLINE_THREADS a worker, what connection_shortfall() counts.
THREAD_IDLE_SECONDS = 600

BEHIND_NGINX = (
    "granian cannot time out slow request bodies: a few dozen clients sending"
    " them a byte at a time stop it serving anyone, so it must sit behind nginx"
    " (deploy/nginx.conf, docs/deploy.md)."
)


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.1, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
        "--backpressure", str(max(CONNECTIONS_PER_WORKER, threads * 8)),
        "--blocking-threads-idle-timeout", str(THREAD_IDLE_SECONDS),
        "--http1-header-read-timeout", str(HEADER_READ_TIMEOUT_MS),
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
        parser.add_argument(
            "--host",
            default=os.environ.get("HOST", "127.0.0.1"),
            help=(
                "Address to bind (default 127.0.0.1, or $HOST). With --production, bind"
                " another address only for an nginx on another machine: granian alone"
                " cannot time out slow request bodies (docs/deploy.md)."
            ),
        )
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
            # the app until a worker has read the current generation. The code
            # started last owns the folder: the workers of another version (a
            # rolling deploy) stop pointing nginx at their pages.
            root = Path(settings.BYLINE_PAGE_FILES_DIR).expanduser().resolve()
            files = PageFiles(root, codeversion.code_version())
            files.claim()
            files.reset()
        # Hashed once, here, for every worker (``codeversion``).
        os.environ[codeversion.ENVIRON] = codeversion.code_version()
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
        if is_loopback(host):
            self.stdout.write(f"Loopback only: put nginx in front. {BEHIND_NGINX}")
        else:
            self.stderr.write(
                f"Warning: bound to {host}, reachable by other machines. {BEHIND_NGINX}"
                " Allow only the nginx servers to reach this port (firewall), or bind"
                " 127.0.0.1 when nginx runs on this machine."
            )
        sys.stderr.flush()
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606  (replace this process with granian)
