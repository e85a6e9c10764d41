"""``byline import-wxr FILE [FILE ...]``: bring a WordPress site's archive over in one command.

Newsrooms arrive from WordPress with years of posts. This reads the export
(Tools → Export in WordPress, WXR 1.0–1.2, WordPress.com exports too; a big
export split into several files is given all at once, in any order), checks
every file first, then writes everything in one transaction: a malformed file
stops with the line that is wrong and imports nothing. Running it again adds
nothing twice and updates what changed on WordPress since. It ends with a
report of what was imported and skipped, and every item readers will not see,
and why (``--report FILE`` writes that list whole).

With ``--copy-media`` the images the posts show, and their featured images,
are copied from the old site into the media folder first, so the articles no
longer depend on it; images that cannot be fetched are listed and stay where
they were, and the import goes ahead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from tqdm import tqdm

from byline.wordpress.importer import import_export
from byline.wordpress.reader import WxrError, WxrItem, iter_items, merge, parse

LEAN_ABOVE = 64 * 1024 * 1024  # bytes of WXR above which posts are not all held in memory


def reread_items(files: list[str]) -> Iterator[WxrItem]:
    """The items of every file in full, once each, in the files' order."""
    seen: set[tuple[str, int]] = set()
    for file in files:
        with Path(file).open("rb") as stream:
            for item in iter_items(stream):
                if (item.post_type, item.wp_id) not in seen:
                    seen.add((item.post_type, item.wp_id))
                    yield item


class Command(BaseCommand):
    help = "Import a WordPress export (WXR) file: posts, authors, categories, tags, comments."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "files",
            nargs="+",
            metavar="file",
            help="The .xml file WordPress exported (Tools → Export); several files of one "
            "split export may be given together, in any order.",
        )
        parser.add_argument(
            "--report",
            default="",
            metavar="FILE",
            help="Also write the whole report, with every item not published, to FILE.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and check everything, report what would be imported, save nothing.",
        )
        parser.add_argument(
            "--copy-media",
            action="store_true",
            help="Copy the images the posts use (and their featured images) from the old site "
            "into the media folder, and point the articles at the copies. With --dry-run: "
            "count them, fetch nothing.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show progress bars.")

    def handle(
        self,
        *args,
        files: list[str],
        dry_run: bool,
        copy_media: bool,
        no_progress: bool,
        report: str,
        **options,
    ) -> None:
        show = not no_progress and options.get("verbosity", 1) > 0
        # Big files are read twice rather than held: once to check everything and
        # plan, once to write the posts and their comments as they come.
        lean = sum(Path(file).stat().st_size for file in files if Path(file).is_file()) > LEAN_ABOVE
        exports = [self.read(file, show, lean) for file in files]
        try:
            export = merge(exports) if len(exports) > 1 else exports[0]
        except WxrError as error:
            raise CommandError(f"{error}. Nothing was imported.") from None
        file = ", ".join(files)
        bars: dict[str, tqdm] = {}

        def progress(name: str, unit: str):
            def advance(done: int, total: int) -> None:
                if name not in bars:
                    bars[name] = tqdm(total=total, unit=unit, desc=name, disable=not show)
                bar = bars[name]
                bar.total = total
                bar.n = done
                bar.refresh()

            return advance

        try:
            summary = import_export(
                export,
                dry_run=dry_run,
                copy_media=copy_media,
                on_progress=progress("Importing", " posts"),
                on_media_progress=progress("Copying media", " files"),
                reread=(lambda: reread_items(files)) if lean else None,
            )
        except DatabaseError as error:
            raise CommandError(
                f"{file}: the database refused the import ({error}). Nothing was imported."
            ) from None
        finally:
            for bar in bars.values():
                bar.close()
        for line in summary.lines():
            self.stdout.write(line)
        if report:
            try:
                Path(report).write_text(
                    "\n".join(summary.lines(shown=len(summary.not_published))) + "\n",
                    encoding="utf-8",
                )
            except OSError as error:
                raise CommandError(
                    f"{report}: {error.strerror} (the import itself is done)"
                ) from None

    def read(self, file: str, show: bool, lean: bool):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file. Nothing was imported.")
        with (
            path.open("rb") as stream,
            tqdm(
                total=path.stat().st_size,
                unit="B",
                unit_scale=True,
                desc="Reading",
                disable=not show,
                leave=False,
            ) as bar,
        ):
            try:
                return parse(stream, on_read=bar.update, lean=lean)
            except WxrError as error:
                raise CommandError(f"{file}, {error}. Nothing was imported.") from None
