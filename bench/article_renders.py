"""Benchmark: the app's CPU to draw an article page again after a comment purged it.

Each render is what follows a reader's approved comment: the article's pages purged
(``comments_changed``), then the page asked for through the page layer and Django in
this process: the view's lists, the template, the page stored in the cache and
written as a file beside its gzip copy (``BYLINE_PAGE_FILES_DIR``). The CPU of each
render alone (``time.process_time``, the purge before it left out) is kept; the
median is printed, for two articles: the demo article with ``--small`` threaded
comments and a copy of it (its section, authors, tags, so the same related stories)
with ``--large``, both with comment reactions, votes and two notes (a correction, an
update).

    DATABASE_URL=postgres://... REDIS_URL=redis://... \\
        .venv/bin/python bench/article_renders.py --against ../main --rounds 5

``--against TREE`` alternates this tree and TREE's code (the same database) in
fresh processes, A-B-B-A a round, and prints each tree's median, the ratio B/A
(the first tree is A) a round and their median, and whether both trees drew the
same bytes (each article's page and the demo article's, and the gzip file of each
once decompressed).
``--profile FILE`` writes cProfile statistics of one tree's renders instead.

Without DATABASE_URL: a SQLite database in a scratch folder (kept for the rounds).
The articles are made once and found again (slugs ``bench-render-*``). Timings never
fail; different bytes exit 1.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import django_in_process  # (bench/ is on the path)

HERE = Path(__file__).resolve()
SLUG = "bench-render-{}"
DEMO_SLUG = "iraqs-attack-against-isis-catches-us-by-surprise"


def seed(small: int, large: int) -> None:
    """The demo site, and the two articles with their comments, reactions and votes."""
    from django.core.management import call_command
    from django.db.models import F

    from byline.articles.models import Article
    from byline.demo import load_demo_site
    from byline.discussion.demo import add_demo_comments
    from byline.discussion.models import Comment
    from byline.engagement.demo import add_demo_votes

    call_command("migrate", verbosity=0)
    demo = load_demo_site()
    for count in (small, large):
        slug = SLUG.format(count)
        if Article.objects.filter(slug=slug).exists():
            continue
        article = Article.objects.create(
            headline=f"{demo.headline} ({count} comments)",
            slug=slug,
            standfirst=demo.standfirst,
            body=Article.objects.get(pk=demo.pk).body,
            section=demo.section,
            status=Article.Status.PUBLISHED,
            published_at=demo.published_at,
        )
        article.authors.set(demo.authors.all())
        article.tags.set(demo.tags.all())
        comments = add_demo_comments(article, count)
        # Reactions on every third comment (the counts the buttons show).
        Comment.objects.filter(pk__in=[c.pk for c in comments[::3]]).update(
            reactions=F("pk") % 17 + 1
        )
        add_demo_votes(article)
        article.notes.create(kind="correction", text="An earlier version misspelt a name.")
        article.notes.create(kind="update", text="Updated with the ministry's answer.")


def render(article, renders: int, pages: Path | None) -> list[float]:
    """The CPU of each render of the article's page after a purge, in ms."""
    from django.core.handlers.wsgi import WSGIHandler

    from byline.pagecache.invalidation import comments_changed
    from byline.pagecache.page_layer import PageCacheApp
    from tests.pagecache.wsgi_client import call

    app = PageCacheApp(WSGIHandler())
    url = article.get_absolute_url()
    for _ in range(3):  # warm: imports, templates, connections
        comments_changed(article.pk)
        call(app, url)
    cpu = []
    for _ in range(renders):
        comments_changed(article.pk)
        started = time.process_time()
        response = call(app, url)
        cpu.append((time.process_time() - started) * 1000)
        if response.headers.get("x-page-cache") != "miss":
            raise SystemExit(f"not rendered: {response.status} {response.headers}")
    if pages is not None:
        (pages / f"{article.slug}.html").write_bytes(response.body)
        written = list(Path(os.environ["BYLINE_PAGE_FILES_DIR"]).glob(f"*/*/*/*/{article.slug}/"))
        if written:
            folder = max(written, key=lambda p: p.stat().st_mtime)
            shutil.copy(folder / "index.html.gz", pages / f"{article.slug}.html.gz")
    return cpu


def child(args: argparse.Namespace) -> int:
    """One tree's renders of both articles, as JSON on stdout."""
    data = django_in_process(str(Path(args.tree).resolve()))
    try:
        import django

        django.setup()
        from byline.articles.models import Article

        if args.seed:
            seed(args.small, args.large)
            return 0
        pages = Path(args.pages) if args.pages else None
        articles = [Article.objects.get(slug=SLUG.format(n)) for n in (args.small, args.large)]
        if args.profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
        result = {str(a.slug): render(a, args.renders, pages) for a in articles}
        if pages is not None:  # the demo article as it is, for the comparison of bytes
            render(Article.objects.get(slug=DEMO_SLUG), 1, pages)
        if args.profile:
            profiler.disable()
            profiler.dump_stats(args.profile)
        print(json.dumps(result))
        return 0
    finally:
        shutil.rmtree(data, ignore_errors=True)


def run_child(tree: str, args: argparse.Namespace, *extra: str) -> dict:
    command = [sys.executable, str(HERE), "--child", "--tree", tree]
    command += ["--small", str(args.small), "--large", str(args.large)]
    command += ["--renders", str(args.renders), *extra]
    done = subprocess.run(command, env=os.environ, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: exit {done.returncode}\n{done.stderr[-3000:]}")
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def digest(folder: Path, name: str) -> tuple[str, str]:
    page = (folder / f"{name}.html").read_bytes()
    packed = folder / f"{name}.html.gz"
    unpacked = gzip.decompress(packed.read_bytes()) if packed.exists() else b"(no gzip file)"
    return hashlib.sha256(page).hexdigest(), hashlib.sha256(unpacked).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=60, help="renders an article a process")
    parser.add_argument("--rounds", type=int, default=3, help="A-B-B-A rounds with --against")
    parser.add_argument("--small", type=int, default=20, help="comments of the first article")
    parser.add_argument("--large", type=int, default=200, help="comments of the second")
    parser.add_argument("--tree", default=str(HERE.parent.parent))
    parser.add_argument("--against", help="another tree to alternate with (B)")
    parser.add_argument("--profile", help="cProfile statistics of --tree's renders to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pages", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    scratch = None
    if not os.environ.get("DATABASE_URL"):
        scratch = tempfile.mkdtemp(prefix="byline-renders-")
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/db.sqlite3"
    try:
        return measure(args)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def measure(args: argparse.Namespace) -> int:
    run_child(args.tree, args, "--seed")
    if args.profile:
        run_child(args.tree, args, "--profile", str(Path(args.profile).resolve()))
        print(f"profile written to {args.profile}")
        return 0
    trees = [args.tree] + ([args.against] if args.against else [])
    names = [SLUG.format(n) for n in (args.small, args.large)]
    samples: dict[str, dict[str, list[float]]] = {t: {n: [] for n in names} for t in trees}
    ratios: dict[str, list[float]] = {n: [] for n in names}
    pages = {t: Path(tempfile.mkdtemp(prefix="byline-render-pages-")) for t in trees}
    order = trees + trees[::-1]
    for number in range(1, args.rounds + 1):
        this_round: dict[str, dict[str, list[float]]] = {t: {n: [] for n in names} for t in trees}
        for tree in order:
            found = run_child(tree, args, "--pages", str(pages[tree]))
            for name in names:
                samples[tree][name] += found[name]
                this_round[tree][name] += found[name]
        line = [f"round {number}:"]
        for name in names:
            a = statistics.median(this_round[trees[0]][name])
            text = f"{name} A {a:.2f} ms"
            if args.against:
                b = statistics.median(this_round[trees[1]][name])
                ratios[name].append(b / a)
                text += f", B {b:.2f} ms, B/A {b / a:.3f}"
            line.append(text)
        print("  ".join(line), flush=True)
    print(f"A = {trees[0]}" + (f", B = {trees[1]}" if args.against else ""))
    for name in names:
        for label, tree in zip("AB", trees, strict=False):
            values = samples[tree][name]
            q = statistics.quantiles(values, n=4)
            print(
                f"{name} {label}: median {statistics.median(values):.2f} ms a render"
                f" (quartiles {q[0]:.2f}-{q[2]:.2f}, {len(values)} renders)"
            )
        if args.against:
            r = ratios[name]
            spread = f"rounds {min(r):.3f}-{max(r):.3f}"
            print(f"{name}: B/A median {statistics.median(r):.3f} ({spread})")
    same = True
    if args.against:
        for name in [*names, DEMO_SLUG]:
            a, b = (digest(pages[t], name) for t in trees)
            print(
                f"{name}: page bytes {'same' if a[0] == b[0] else 'DIFFERENT'},"
                f" gzip file's page {'same' if a[1] == b[1] else 'DIFFERENT'}"
            )
            same = same and a == b
    for folder in pages.values():
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
