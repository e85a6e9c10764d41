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
``--parts`` prints, for each tree, where a render's CPU goes (the mean ms of each part a
render, timed with ``time.process_time`` around the functions named in ``PARTS``; the
parts nest as printed, "rest" is the part's own work outside the parts below it), and
what is left of a render once the parts a comment does not change are taken out: the
share a page frame kept a generation (the head, navigation, header, story, related
stories, footer and scripts drawn once, only the counters, JSON-LD, engagement figures
and discussion drawn at each redraw) could save at most, through Django's request or
without it. ``--aged SECONDS``: each render comes that long after the one before (as
comments on one article come minutes apart in situ): what the article's page kept for
its renders (its story, its related stories) and would have expired by then is dropped
before the render, as the tree's own cache times say (``--aged 0``: nothing dropped).

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
ORIGIN = "http://testserver"  # BYLINE_SITE_URL (``harness.django_in_process``)


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


# The parts of a render ``--parts`` times: name | its parent | module | attribute path.
# An include is timed by the template it includes (``IncludeNode``), a tag by its node.
PARTS_TIMED = """
render | | |
django request | render | django.core.handlers.base | BaseHandler.get_response
view: the article row | django request | byline.articles.views | ArticleDetailView.get_object
view: article_context | django request | byline.articles.views | article_context
story (cached) | view: article_context | byline.articles.views | story_of
related stories | view: article_context | byline.articles.views | related_section
template | django request | django.template.response | SimpleTemplateResponse.render
seo head (JSON-LD) | template | include | seo_head
engagement block | template | include | engagement/block.html
discussion | template | include | discussion/discussion_include.html
threads (page_of_threads) | discussion | byline.discussion.templatetags.discussion | page_of_threads
comments' markup | discussion | byline.discussion.templatetags.discussion | comment_list
page scripts and style | template | include | page_scripts_tag page_style_tag
next publication time | render | byline.pagecache.page_layer | PageCacheApp.next_publication
page stored (gzip, files, Redis) | render | byline.pagecache.store | PageStore.set
"""
PARTS = [
    (name, parent or None, module, attribute)
    for name, parent, module, attribute in (
        [field.strip() for field in line.split("|")] for line in PARTS_TIMED.strip().splitlines()
    )
]
# What a comment changes nothing of: a frame kept a generation would not draw them again.
FRAME = {"story (cached)", "related stories", "page scripts and style"}


def time_parts() -> dict[str, float]:
    """Wrap the functions of ``PARTS`` with CPU timers; the totals (seconds) so far."""
    import importlib

    from django.template.library import InclusionNode, SimpleNode
    from django.template.loader_tags import IncludeNode
    from vote_phases import timed  # (bench/ is on the path)

    totals = {name: 0.0 for name, *_ in PARTS}

    by_node: dict[str, str] = {}
    for name, _, module, attribute in PARTS:
        if module == "include":
            by_node.update(dict.fromkeys(attribute.split(), name))
        elif module:
            owner = importlib.import_module(module)
            *path, last = attribute.split(".")
            for step in path:
                owner = getattr(owner, step)
            setattr(owner, last, timed(totals, name, getattr(owner, last)))
    for node in (IncludeNode, InclusionNode, SimpleNode):

        def render(self, context, _render=node.render):
            template = getattr(getattr(self, "template", None), "var", None)
            function = getattr(getattr(self, "func", None), "__name__", None)
            name = by_node.get(str(template)) or by_node.get(str(function))
            if name is None:
                return _render(self, context)
            return timed(totals, name, _render)(self, context)

        node.render = render
    return totals


def report_parts(slug: str, totals: dict[str, float], renders: int) -> list[str]:
    """The parts as a tree, ms a render, each parent's own rest below its children."""
    ms = {name: totals[name] * 1000 / renders for name in totals}
    children: dict[str | None, list[str]] = {}
    for name, parent, *_ in PARTS:
        children.setdefault(parent, []).append(name)
    lines = [f"{slug}: ms of CPU a render (mean of {renders})"]

    def show(name: str, depth: int) -> None:
        lines.append(f"  {'  ' * depth}{name:<{44 - 2 * depth}} {ms[name]:6.2f}")
        below = children.get(name, [])
        for child in below:
            show(child, depth + 1)
        if below:
            rest = ms[name] - sum(ms[c] for c in below)
            lines.append(f"  {'  ' * (depth + 1)}{'rest':<{42 - 2 * depth}} {rest:6.2f}")

    show("render", 0)
    template_rest = ms["template"] - sum(ms[c] for c in children["template"])
    frame = sum(ms[n] for n in FRAME) + template_rest
    django = ms["django request"] - ms["template"] - ms["view: article_context"]
    whole = ms["render"]
    lines.append(
        f"  a frame through Django's request saves at most {frame:.2f} ms"
        f" ({frame / whole:.0%}); without Django's request (its middleware, view, URL),"
        f" the article still read, at most {frame + django - ms['view: the article row']:.2f}"
        f" ms ({(frame + django - ms['view: the article row']) / whole:.0%})"
    )
    return lines


def time_left(key: str) -> float | None:
    """The seconds the cache keeps ``key`` yet (None: not kept, or for ever)."""
    from django.core.cache import cache

    full = cache.make_key(key)
    expiries = getattr(cache, "_expire_info", None)
    if expiries is not None:  # process memory
        at = expiries.get(full)
        return None if at is None else at - time.time()
    seconds = cache._cache.get_client(full).ttl(full)
    return None if seconds is None or seconds < 0 else seconds


def age(article, seconds: float) -> None:
    """Drop what the article's page keeps for its renders and would have expired
    ``seconds`` from now (its story, its related stories)."""
    from django.core.cache import cache

    from byline.articles import related, story

    for key in (related.cache_key(article.pk), story.cache_key(article.pk, ORIGIN)):
        left = time_left(key)
        if left is not None and left <= seconds:
            cache.delete(key)


def render(
    article, renders: int, pages: Path | None, aged: float = 0, parts: dict | None = None
) -> list[float]:
    """The CPU of each render of the article's page after a purge, in ms (``parts``: the
    part timers' totals, counted from the measured renders only)."""
    from django.core.handlers.wsgi import WSGIHandler

    from byline.pagecache.invalidation import comments_changed
    from byline.pagecache.page_layer import PageCacheApp
    from tests.pagecache.wsgi_client import call

    app = PageCacheApp(WSGIHandler())
    url = article.get_absolute_url()
    if aged:  # what the other tree kept (the same Redis) is kept for this tree's time
        age(article, float("inf"))
    for _ in range(3):  # warm: imports, templates, connections
        comments_changed(article.pk)
        call(app, url)
    cpu = []
    if parts is not None:
        parts.update(dict.fromkeys(parts, 0.0))
    for _ in range(renders):
        comments_changed(article.pk)
        if aged:
            age(article, aged)
        started = time.process_time()
        response = call(app, url)
        cpu.append((time.process_time() - started) * 1000)
        if parts is not None:
            parts["render"] += cpu[-1] / 1000
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
        parts = time_parts() if args.parts else None
        result, lines = {}, []
        for article in articles:
            result[str(article.slug)] = render(article, args.renders, pages, args.aged, parts)
            if parts is not None:
                lines += report_parts(str(article.slug), parts, args.renders)
        if lines:
            print("\n".join(lines), file=sys.stderr)
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
    command += ["--aged", str(args.aged)]
    command += ["--parts"] if args.parts and "--seed" not in extra else []
    done = subprocess.run(command, env=os.environ, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: exit {done.returncode}\n{done.stderr[-3000:]}")
    if args.parts and "--seed" not in extra:
        print(f"{tree}:\n" + done.stderr.strip(), flush=True)
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
    parser.add_argument(
        "--parts", action="store_true", help="print where a render's CPU goes, part by part"
    )
    parser.add_argument(
        "--aged",
        type=float,
        default=0,
        help="seconds between two renders of an article (what expired by then is dropped)",
    )
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
