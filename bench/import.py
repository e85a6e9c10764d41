"""How long `byline import-wxr` takes on a big WordPress export.

Generates a WXR file of 10,000 posts and 50,000 threaded comments (realistic
bodies: paragraphs, links, captioned images, embeds; 12 authors, 25
categories, 400 tags), imports it into a fresh database and prints the time
beside the target: under a minute on this machine. The comments are stored
in the discussion app (threads, statuses, counts), in the same transaction;
the time they take is printed on its own line.

    .venv/bin/python bench/import.py                  # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/import.py
                                                      # PostgreSQL: uses NAME_bench_import
    .venv/bin/python bench/import.py --posts 1000     # a quicker run

On PostgreSQL a scratch database ``<name>_bench_import`` is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0
ROOT = Path(__file__).resolve().parent.parent
WORDS = (
    "the council said on tuesday that budget talks would continue after officials failed to "
    "agree on spending for schools roads and hospitals while residents waited for answers "
    "about rising costs in the city where the harbour froze and elections loom next spring"
).split()


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def cdata(value: str) -> str:
    return "<![CDATA[" + value + "]]>"


def body(rng: random.Random, post: int) -> str:
    paragraphs = [" ".join(sentence(rng, rng.randint(8, 20)) for _ in range(4)) for _ in range(6)]
    paragraphs[1] += f' See <a href="https://example.org/{post}">the report</a> for more.'
    if post % 3 == 0:
        paragraphs.insert(
            2,
            f'[caption id="attachment_{post}" width="640"]<img src="/wp-content/uploads/'
            f'{post}.jpg" alt="Photo {post}" width="640" height="400"> A caption[/caption]',
        )
    if post % 7 == 0:
        paragraphs.append('<iframe src="https://www.youtube.com/embed/abc" width="560"></iframe>')
    return "\n\n".join(paragraphs)


def comments(rng: random.Random, post: int, count: int, next_id: int) -> tuple[str, int]:
    out, ids = [], []
    for _ in range(count):
        parent = rng.choice(ids) if ids and rng.random() < 0.5 else 0
        status = rng.choices(["1", "0", "spam"], weights=[85, 10, 5])[0]
        out.append(
            f"<wp:comment><wp:comment_id>{next_id}</wp:comment_id>"
            f"<wp:comment_author>{cdata(f'Reader {next_id % 997}')}</wp:comment_author>"
            f"<wp:comment_author_email>{cdata(f'r{next_id % 997}@example.org')}"
            "</wp:comment_author_email><wp:comment_author_url></wp:comment_author_url>"
            f"<wp:comment_author_IP>{cdata('192.0.2.7')}</wp:comment_author_IP>"
            f"<wp:comment_date>{cdata('2015-01-02 10:00:00')}</wp:comment_date>"
            f"<wp:comment_date_gmt>{cdata('2015-01-02 09:00:00')}</wp:comment_date_gmt>"
            f"<wp:comment_content>{cdata(sentence(rng, rng.randint(5, 40)))}</wp:comment_content>"
            f"<wp:comment_approved>{cdata(status)}</wp:comment_approved>"
            f"<wp:comment_type>{cdata('')}</wp:comment_type>"
            f"<wp:comment_parent>{parent}</wp:comment_parent>"
            "<wp:comment_user_id>0</wp:comment_user_id></wp:comment>"
        )
        ids.append(next_id)
        next_id += 1
    return "".join(out), next_id


def generate(path: Path, posts: int, comments_per_post: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    next_comment = 1
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
            "<title>Bench Gazette</title><link>https://bench.example</link>"
            "<wp:wxr_version>1.2</wp:wxr_version>"
            "<wp:base_site_url>https://bench.example</wp:base_site_url>\n"
        )
        for n in range(12):
            out.write(
                f"<wp:author><wp:author_id>{n + 1}</wp:author_id><wp:author_login>"
                f"{cdata(f'writer{n}')}</wp:author_login><wp:author_display_name>"
                f"{cdata(f'Writer {n}')}</wp:author_display_name></wp:author>\n"
            )
        for n in range(25):
            out.write(
                f"<wp:category><wp:term_id>{n + 1}</wp:term_id><wp:category_nicename>"
                f"section-{n}</wp:category_nicename><wp:cat_name>{cdata(f'Section {n}')}"
                "</wp:cat_name></wp:category>\n"
            )
        for post in range(1, posts + 1):
            day = (
                f"{2010 + post % 12}-{1 + post % 12:02d}-{1 + post % 28:02d} 10:{post % 60:02d}:00"
            )
            slug = f"story-{post}"
            tags = "".join(
                f'<category domain="post_tag" nicename="tag-{t}">{cdata(f"Tag {t}")}</category>'
                for t in rng.sample(range(400), 3)
            )
            thread, next_comment = comments(rng, post, comments_per_post, next_comment)
            out.write(
                f"<item><title>{cdata(sentence(rng, 8))}</title>"
                f"<link>https://bench.example/{day[:10].replace('-', '/')}/{slug}/</link>"
                f"<dc:creator>{cdata(f'writer{post % 12}')}</dc:creator>"
                f"<content:encoded>{cdata(body(rng, post))}</content:encoded>"
                f"<excerpt:encoded>{cdata(sentence(rng, 15))}</excerpt:encoded>"
                f"<wp:post_id>{post}</wp:post_id><wp:post_date>{day}</wp:post_date>"
                f"<wp:post_date_gmt>{day}</wp:post_date_gmt><wp:post_name>{slug}</wp:post_name>"
                "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>"
                f'<category domain="category" nicename="section-{post % 25}">'
                f"{cdata(f'Section {post % 25}')}</category>{tags}{thread}</item>\n"
            )
        out.write("</channel>\n</rss>\n")


def scratch_postgres(url: str) -> tuple[str, callable]:
    import psycopg

    base, _, name = url.rpartition("/")
    scratch = f"{name.split('?')[0]}_bench_import"
    admin = psycopg.connect(f"{base}/postgres", autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
    admin.execute(f'CREATE DATABASE "{scratch}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin.close()

    return f"{base}/{scratch}", drop


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
        url, cleanup = scratch_postgres(url)
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
