"""WordPress import and export at newsroom scale: 100,000 posts and 1,000,000 comments.

Generates a WXR export (streamed to a file, never held: 12 authors, 40
categories, 2,000 tags, realistic bodies with links, captions and embeds, ten
comments a post in threads up to five levels, 85% approved, some pending and
spam), then runs ``byline import-wxr`` on it and ``byline export-wxr`` of the
result, each in its own process, and prints wall time and peak resident memory
(the child's ``ru_maxrss``) beside the targets (issue 19 point 6):

    import of 100,000 posts + 1,000,000 comments   < 600 s, peak RSS < 1 GB
    export of the same site                        peak RSS bounded (< 1 GB)

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/wxr_scale.py
        the full size, on PostgreSQL (a scratch database NAME_wxr, dropped after)
    ... bench/wxr_scale.py --posts 10000        a 10% run
    .venv/bin/python bench/wxr_scale.py --quick  CI: 400 posts, 4,000 comments on SQLite (or
        DATABASE_URL); asserts every post and comment arrived and came back out and memory
        stayed under 400 MB; never asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import scratch_postgres

ROOT = Path(__file__).resolve().parent.parent
TARGET_IMPORT_SECONDS = 600.0  # for 100,000 posts and 1,000,000 comments
TARGET_RSS_MB = 1024.0
QUICK_RSS_MB = 400.0
WORDS = (
    "the council said on tuesday that budget talks would continue after officials failed to "
    "agree on spending for schools roads and hospitals while residents waited for answers "
    "about rising costs in the city where the harbour froze and elections loom next spring "
    "river flood bridge court ruling appeal mayor ward turnout strike nurses teachers"
).split()
DEPTH = 5  # threads up to the default depth limit


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def body(rng: random.Random, post: int) -> str:
    paragraphs = [" ".join(sentence(rng, rng.randint(8, 18)) for _ in range(3)) for _ in range(5)]
    paragraphs[1] += f' See <a href="https://example.org/report/{post}">the report</a>.'
    if post % 3 == 0:
        paragraphs.insert(
            2,
            f'[caption id="attachment_{post}" align="alignright" width="640"]<img src="https://'
            f'scale.example/wp-content/uploads/{post}.jpg" alt="Photo {post}" width="640" '
            'height="400"> The scene[/caption]',
        )
    if post % 7 == 0:
        paragraphs.append("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    if post % 5 == 0:
        paragraphs = [
            f"<!-- wp:paragraph -->\n<p>{p}</p>\n<!-- /wp:paragraph -->" for p in paragraphs
        ]
    return "\n\n".join(paragraphs)


def comments(rng: random.Random, count: int, next_id: int) -> tuple[str, int]:
    out, depth_of = [], {}
    for _ in range(count):
        candidates = [c for c, d in depth_of.items() if d < DEPTH - 1]
        parent = rng.choice(candidates) if candidates and rng.random() < 0.6 else 0
        depth_of[next_id] = depth_of[parent] + 1 if parent else 0
        status = rng.choices(["1", "0", "spam"], weights=[85, 10, 5])[0]
        out.append(
            f"<wp:comment><wp:comment_id>{next_id}</wp:comment_id>"
            f"<wp:comment_author>{cdata(f'Reader {next_id % 9973}')}</wp:comment_author>"
            f"<wp:comment_author_email>{cdata(f'r{next_id % 9973}@example.org')}"
            "</wp:comment_author_email><wp:comment_author_url></wp:comment_author_url>"
            "<wp:comment_author_IP>192.0.2.7</wp:comment_author_IP>"
            "<wp:comment_date>2015-01-02 10:00:00</wp:comment_date>"
            "<wp:comment_date_gmt>2015-01-02 09:00:00</wp:comment_date_gmt>"
            f"<wp:comment_content>{cdata(sentence(rng, rng.randint(5, 40)))}</wp:comment_content>"
            f"<wp:comment_approved>{status}</wp:comment_approved>"
            "<wp:comment_type></wp:comment_type>"
            f"<wp:comment_parent>{parent}</wp:comment_parent>"
            "<wp:comment_user_id>0</wp:comment_user_id></wp:comment>"
        )
        next_id += 1
    return "".join(out), next_id


def generate(path: Path, posts: int, comments_per_post: int, seed: int = 19) -> int:
    """Write the export to ``path`` one item at a time; returns the number of comments."""
    rng = random.Random(seed)
    next_comment = 1
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
            "<title>Scale Gazette</title><link>https://scale.example</link>"
            "<wp:wxr_version>1.2</wp:wxr_version>"
            "<wp:base_site_url>https://scale.example</wp:base_site_url>"
            "<wp:base_blog_url>https://scale.example</wp:base_blog_url>\n"
        )
        for n in range(12):
            out.write(
                f"<wp:author><wp:author_id>{n + 1}</wp:author_id><wp:author_login>"
                f"{cdata(f'writer{n}')}</wp:author_login><wp:author_display_name>"
                f"{cdata(f'Writer {n}')}</wp:author_display_name></wp:author>\n"
            )
        for n in range(40):
            parent = f"section-{n % 8}" if n >= 8 else ""
            out.write(
                f"<wp:category><wp:term_id>{n + 1}</wp:term_id><wp:category_nicename>"
                f"section-{n}</wp:category_nicename><wp:category_parent>{parent}"
                f"</wp:category_parent><wp:cat_name>{cdata(f'Section {n}')}</wp:cat_name>"
                "</wp:category>\n"
            )
        for post in range(1, posts + 1):
            day = (
                f"{2008 + post % 17}-{1 + post % 12:02d}-{1 + post % 28:02d} 10:{post % 60:02d}:00"
            )
            slug = f"story-{post}"
            tags = "".join(
                f'<category domain="post_tag" nicename="tag-{t}">{cdata(f"Tag {t}")}</category>'
                for t in rng.sample(range(2000), 3)
            )
            thread, next_comment = comments(rng, comments_per_post, next_comment)
            out.write(
                f"<item><title>{cdata(sentence(rng, 8))}</title>"
                f"<link>https://scale.example/{day[:10].replace('-', '/')}/{slug}/</link>"
                f"<dc:creator>{cdata(f'writer{post % 12}')}</dc:creator>"
                f'<guid isPermaLink="false">https://scale.example/?p={post}</guid>'
                f"<content:encoded>{cdata(body(rng, post))}</content:encoded>"
                f"<excerpt:encoded>{cdata(sentence(rng, 15))}</excerpt:encoded>"
                f"<wp:post_id>{post}</wp:post_id><wp:post_date>{day}</wp:post_date>"
                f"<wp:post_date_gmt>{day}</wp:post_date_gmt><wp:post_name>{slug}</wp:post_name>"
                "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>"
                "<wp:post_password></wp:post_password>"
                f"<wp:is_sticky>{1 if post % 5000 == 0 else 0}</wp:is_sticky>"
                f'<category domain="category" nicename="section-{post % 40}">'
                f"{cdata(f'Section {post % 40}')}</category>{tags}{thread}</item>\n"
            )
        out.write("</channel>\n</rss>\n")
    return next_comment - 1


class DatabaseCpu(threading.Thread):
    """CPU seconds of the PostgreSQL backends serving one database, sampled each 0.5 s.

    A backend's CPU is read from /proc (the server runs on this machine); the last
    sample of each backend counts, so up to half a second at the end is missed.
    Zero when the server is elsewhere or /proc is not readable.
    """

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.seen, self.done = url, {}, threading.Event()

    def run(self) -> None:
        import psycopg

        tick = os.sysconf("SC_CLK_TCK")
        with psycopg.connect(self.url, autocommit=True) as watch:
            while not self.done.wait(0.5):
                pids = watch.execute(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchall()
                for (pid,) in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / tick

    def stop(self) -> float:
        self.done.set()
        self.join()
        return sum(self.seen.values())


def run(args: list[str], env: dict[str, str], quiet: bool) -> tuple[float, float, float, float]:
    """Run ``byline <args>`` in a child process: its wall seconds, CPU seconds (what a
    loaded machine does not distort), the database server's CPU seconds for it (on
    PostgreSQL), and peak RSS in MB."""
    started = time.perf_counter()
    url = env.get("DATABASE_URL", "")
    database = DatabaseCpu(url) if url.startswith("postgres") else None
    if database:
        database.start()
    child = subprocess.Popen(
        [sys.executable, "-m", "byline", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL if quiet else None,
        stderr=subprocess.DEVNULL if quiet else None,
    )
    _, status, usage = os.wait4(child.pid, 0)
    database_cpu = database.stop() if database else 0.0
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"byline {' '.join(args)} failed ({child.returncode})")
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, cpu, database_cpu, usage.ru_maxrss / 1024  # KB → MB


def count(env: dict[str, str]) -> tuple[int, int]:
    code = (
        "import django; django.setup()\n"
        "from byline.articles.models import Article\n"
        "from byline.discussion.models import Comment\n"
        "print(Article.objects.count(), Comment.objects.count())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]), int(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--comments-per-post", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="small sizes, assertions, for CI")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.posts, args.comments_per_post = 400, 10

    work = Path(tempfile.mkdtemp(prefix="byline-wxr-scale-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="byline.settings", BYLINE_DATA_DIR=str(work))
    url, cleanup, engine = os.environ.get("DATABASE_URL", ""), None, "SQLite"
    if url.startswith(("postgres://", "postgresql://")):
        url, cleanup = scratch_postgres(url, "wxr")
        env["DATABASE_URL"], engine = url, "PostgreSQL"
    try:
        export_file = work / "big.xml"
        started = time.perf_counter()
        comment_total = generate(export_file, args.posts, args.comments_per_post)
        generated = time.perf_counter() - started
        size_mb = export_file.stat().st_size / 1e6
        print(
            f"generated {args.posts:,} posts, {comment_total:,} comments: "
            f"{size_mb:,.0f} MB in {generated:.0f} s",
            flush=True,
        )
        subprocess.run(
            [sys.executable, "-m", "byline", "migrate", "-v0"], env=env, cwd=ROOT, check=True
        )
        progress = ["--no-progress"] if args.no_progress or args.quick else []
        command = ["import-wxr", str(export_file), *progress]
        load_before = os.getloadavg()[0]
        import_s, import_cpu, import_db, import_mb = run(command, env, args.quick)
        load_after = os.getloadavg()[0]
        articles, stored = count(env)
        out_file = work / "out.xml"
        export_s, export_cpu, export_db, export_mb = run(
            ["export-wxr", "-o", str(out_file)], env, True
        )
        exported_items = exported_comments = 0
        with out_file.open(encoding="utf-8") as back:
            for line in back:
                exported_items += line.startswith("\t<item>")
                exported_comments += line.count("<wp:comment>")
    finally:
        if cleanup:
            cleanup()
        shutil.rmtree(work, ignore_errors=True)

    scale = (args.posts / 100_000 + comment_total / 1_000_000) / 2
    print()
    print(f"engine: {engine}; {args.posts:,} posts, {comment_total:,} comments, {size_mb:,.0f} MB")
    print(f"{'':28}{'measured':>12}{'target':>26}")
    print(f"{'import wall time':28}{import_s:>10.0f} s{'< 600 s at full size':>26}")
    print(f"{'import CPU time':28}{import_cpu:>10.0f} s")
    if engine == "PostgreSQL":
        print(f"{'  database server CPU':28}{import_db:>10.0f} s")
    if scale < 1:
        print(f"{'  wall, linear to full size':28}{import_s / scale:>10.0f} s{'< 600 s':>26}")
        print(f"{'  CPU, linear to full size':28}{import_cpu / scale:>10.0f} s")
        if engine == "PostgreSQL":
            print(f"{'  database CPU, linear':28}{import_db / scale:>10.0f} s")
    print(f"{'import peak RSS':28}{import_mb:>9.0f} MB{'< 1,024 MB':>26}")
    print(f"{'export wall time':28}{export_s:>10.0f} s{'(none)':>26}")
    print(f"{'export CPU time':28}{export_cpu:>10.0f} s")
    if engine == "PostgreSQL":
        print(f"{'  database server CPU':28}{export_db:>10.0f} s")
    print(f"{'export peak RSS':28}{export_mb:>9.0f} MB{'< 1,024 MB (bounded)':>26}")
    print(
        f"load average (1 min) before / after the import: {load_before:.1f} / {load_after:.1f}"
        f" on {os.cpu_count()} cores"
    )
    print(f"articles stored {articles:,}, comments stored {stored:,} of {comment_total:,}")
    print(f"exported back: {exported_items:,} posts, {exported_comments:,} comments")
    if args.quick:
        assert articles == args.posts, f"{articles} of {args.posts} posts imported"
        assert stored == comment_total, f"{stored} of {comment_total} comments stored"
        assert exported_items == args.posts and exported_comments == comment_total
        assert import_mb < QUICK_RSS_MB, f"import used {import_mb:.0f} MB"
        assert export_mb < QUICK_RSS_MB, f"export used {export_mb:.0f} MB"
        print("quick: every post and comment imported and exported back, memory bounded")


if __name__ == "__main__":
    main()
