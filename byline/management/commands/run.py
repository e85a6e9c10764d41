"""Serve the site: migrate, load the demo into an empty site, then run a server.

Why: one command should take a fresh checkout (or a fresh `pip install`) to a
working site. Without ``--production`` it runs Django's development server on
the embedded tier; with it, granian with one worker per core, static files
through whitenoise and DEBUG off.

Sizing (``--production``): one granian worker process per core (the GIL
makes a process the unit of parallelism); each runs ``BYLINE_THREADS`` Python
threads, enough to overlap a database round trip without contending for the
GIL on cache hits. Backpressure caps the requests a worker accepts at once
(threads x 8): beyond that, connections wait in the listen backlog (or in
nginx) instead of piling up as idle Python threads. Workers that die are
respawned.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from byline.articles.demo import load_demo, site_is_empty
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
        call_command("migrate", interactive=False, verbosity=0)
        if not no_demo and site_is_empty():
            article, _ = load_demo()
            self.stdout.write(f"Loaded the demo article: {article.headline}")
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
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
        argv = granian_argv(host, port, workers, threads)
        self.stdout.write(
            f"Byline is serving http://{host}:{port}/ with {workers} granian workers"
            f" of {threads} threads"
        )
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606  (replace this process with granian)
