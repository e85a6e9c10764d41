"""How long `byline import-wxr` takes on a big WordPress export.

Generates a WXR file of 10,000 posts and 50,000 threaded comments (the
export of ``bench/wxr_scale.py``: realistic bodies with links, captioned images
and embeds; 12 authors, 40 categories, 2,000 tags), imports it in this process
(so its parts can be timed) into a fresh database and prints the time
beside the target: under a minute on this machine. The comments are stored
in the discussion app (threads, statuses, counts), in the same transaction;
the time they take is printed on its own line.

    .venv/bin/python bench/import.py                  # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/import.py
                                                      # PostgreSQL: uses NAME_bench_import
    .venv/bin/python bench/import.py --posts 1000     # a quicker run

On PostgreSQL a scratch database ``<name>_wxr`` is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import scratch_postgres  # noqa: E402
from wxr_scale import generate  # noqa: E402 (the same generated export)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--comments-per-post", type=int, default=5)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="byline-bench-import-"))
    cleanup = None
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        url, cleanup = scratch_postgres(url, "bench_import")
        os.environ["DATABASE_URL"] = url
        engine = "PostgreSQL"
    else:
        os.environ.pop("DATABASE_URL", None)
        engine = "SQLite"
    os.environ["BYLINE_DATA_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from tqdm import tqdm

    from byline.articles.models import Article
    from byline.discussion.models import Comment
    from byline.wordpress import importer
    from byline.wordpress.importer import import_export
    from byline.wordpress.reader import parse

    comment_seconds = []
    store_comments = importer.import_comments

    def timed_import_comments(*args, **kwargs):
        begun = time.perf_counter()
        try:
            return store_comments(*args, **kwargs)
        finally:
            comment_seconds.append(time.perf_counter() - begun)

    importer.import_comments = timed_import_comments

    export_file = work / "export.xml"
    started = time.perf_counter()
    generate(export_file, args.posts, args.comments_per_post)
    size_mb = export_file.stat().st_size / 1e6
    print(
        f"generated {export_file.name}: {size_mb:.1f} MB in {time.perf_counter() - started:.1f} s"
    )
    call_command("migrate", verbosity=0)

    try:
        show = not args.no_progress
        started, cpu_started = time.perf_counter(), time.process_time()
        with export_file.open("rb") as stream, tqdm(
            total=export_file.stat().st_size, unit="B", unit_scale=True, desc="Reading",
            disable=not show, leave=False,
        ) as bar:  # fmt: skip
            export = parse(stream, on_read=bar.update)
        parsed = time.perf_counter()
        bar = tqdm(total=0, unit=" posts", desc="Importing", disable=not show)

        def advance(done: int, total: int) -> None:
            bar.total, bar.n = total, done
            bar.refresh()

        summary = import_export(export, on_progress=advance)
        bar.close()
        finished, cpu = time.perf_counter(), time.process_time() - cpu_started
        assert Article.objects.count() == args.posts, "not every post was imported"
        stored_comments = Comment.objects.count()
        assert stored_comments == summary.comments.stored, "not every comment was stored"
    finally:
        if cleanup:
            cleanup()
        shutil.rmtree(work, ignore_errors=True)

    total = finished - started
    comments = export.comment_count
    print("\n".join(summary.lines()))
    print()
    print(f"engine: {engine}, {args.posts:,} posts, {comments:,} comments, {size_mb:.1f} MB")
    print(f"  parse (lxml, all comments included): {parsed - started:6.1f} s")
    print(f"  write (one transaction):             {finished - parsed:6.1f} s")
    print(
        f"    of which the {stored_comments:,} comments:  {sum(comment_seconds):6.1f} s "
        "(rendered, threaded, inserted, counted)"
    )
    print(f"  total:                               {total:6.1f} s wall clock")
    print(
        f"  CPU time of this process:            {cpu:6.1f} s (the database server's not counted)"
    )
    load = os.getloadavg()[0]
    print(f"  load average during the run:         {load:6.1f} on {os.cpu_count()} cores")
    if args.posts == 10_000:
        verdict = "meets" if total < TARGET_SECONDS else "MISSES"
        print(f"  target: under {TARGET_SECONDS:.0f} s for 10,000 posts: {verdict} it")
    else:
        print(
            f"  target: under {TARGET_SECONDS:.0f} s for 10,000 posts "
            "(run without --posts to compare against it)"
        )


if __name__ == "__main__":
    main()
