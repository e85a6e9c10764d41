"""``byline export-wxr``: every article and comment as a WordPress export file.

So nobody is locked in: WordPress's own importer (Tools → Import → WordPress)
reads the file, and so does ``byline import-wxr``.
"""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from byline.articles.models import Article
from byline.conf import parse_site_url
from byline.wordpress.exporter import write_export

DEFAULT_SITE_URL = "http://localhost:8000"


class Command(BaseCommand):
    help = "Write all articles and comments as a WordPress export (WXR 1.2) file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "-o", "--output", default="-", help="File to write (default: standard output)."
        )
        parser.add_argument(
            "--site-url",
            default="",
            help="The site's public origin for links (default: BYLINE_SITE_URL, else "
            f"{DEFAULT_SITE_URL}).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show a progress bar."
        )

    def handle(self, *args, output: str, site_url: str, no_progress: bool, **options) -> None:
        try:
            origin = parse_site_url(site_url) or settings.BYLINE_SITE_URL
        except ValueError as error:
            raise CommandError(f"--site-url {site_url!r}: {error}") from None
        if not origin:
            # Links need an address; without one, the address `byline run` serves on.
            origin = DEFAULT_SITE_URL
            self.stderr.write(
                f"BYLINE_SITE_URL is not set: links in the export use {origin} "
                "(set it, or pass --site-url https://news.example)."
            )
        to_file = output != "-"
        show = to_file and not no_progress and options.get("verbosity", 1) > 0
        total = Article.objects.count()
        with tqdm(total=total, unit=" articles", desc="Exporting", disable=not show) as bar:
            if to_file:
                try:
                    stream = open(output, "w", encoding="utf-8")  # noqa: SIM115
                except OSError as error:
                    raise CommandError(f"{output}: {error.strerror}") from None
                with stream:
                    written = write_export(stream, origin, on_progress=bar.update)
            else:
                self.stdout.ending = ""
                try:
                    written = write_export(self.stdout, origin)
                except BrokenPipeError:
                    # Whoever read the output (`| head`) stopped early: nothing to report.
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                    raise SystemExit(1) from None
        self.stderr.write(f"Exported {written} articles" + (f" to {output}." if to_file else "."))
