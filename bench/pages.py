"""How close Byline's article page comes to a static file, measured side by side.

Starts Byline in production mode (PostgreSQL when DATABASE_URL is set, else
SQLite in a scratch folder; Redis when REDIS_URL is set), loads the demo
article (plus 200 threaded comments, reactions and ratings when those apps
provide their demo hooks), then runs wrk against four cases, alternating,
each several times:

  a  nginx serving the saved HTML of that page from a file (the physical limit)
  b  Byline's app server (granian, one worker per core), page cache hit
  c  through the shipped nginx configuration (deploy/nginx.conf), which
     serves the page file the app wrote (BYLINE_PAGE_FILES_DIR)
  d  Byline's app server with the page cache off: a cold render every request

It prints requests per second, p50 and p99 latency, the ratios b/a and c/a
beside their targets, the cold-render median and query count (in-process),
and the memory of one app worker after the run. Before measuring it checks
that every case serves the right bytes, that 304s, the session bypass and an
invalidation through nginx work; a failed check exits 1. Timings never fail.

    python bench/pages.py            # 3 rounds x 5 s a case
    python bench/pages.py --quick    # CI: 2 rounds x 2 s, correctness asserted
    python bench/pages.py --long     # 5 rounds x 10 s

Use a scratch PostgreSQL database (created if missing): the bench migrates it
and adds the demo.
Ports 8500-8503 on 127.0.0.1 (--port-base to move them).
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from pathlib import Path

from harness import (
    Bench,
    Run,
    bench_parser,
    check,
    check_shipped_config_as_is,
    ensure_database,
    ensure_tools,
    fetch,
    find,
    nginx_config,
    production_environment,
    start_app,
    start_nginx,
    timed_gets,
    wait_for,
    wrk,
)

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"b/a": 0.33, "c/a": 0.9}
COLD_RENDER_TARGET_MS = 20.0
WORKER_RSS_TARGET_MB = 150.0
SECURITY_HEADERS = (
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "cross-origin-opener-policy",
)


# --- the site ----------------------------------------------------------------


def site_environment(data_dir: Path) -> dict[str, str]:
    # As in production, links in pages do not depend on the port a request came in on
    # (the app's own for b, nginx's for c), so both serve one page. The reference page
    # shows its 200 comments on one page; so does the bench's.
    return production_environment(data_dir, BYLINE_COMMENT_THREADS_PER_PAGE="1000")


def prepare_site(comments: int, page_kb: int = 0):
    """Migrate, load the demo article and its discussion; return it and what was added.

    With ``page_kb``, measure instead a copy of the demo article whose body is
    repeated until its page is about that size (the reference page with 200
    comments is 104 KB), for when the discussion app cannot add comments.
    """
    import django

    ensure_database()
    django.setup()
    from django.core.management import call_command

    from byline.articles.demo import load_demo

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    article, _ = load_demo()
    added = add_discussion(article, comments)
    if page_kb:
        article = padded_copy(article, page_kb)
        added = {}
    return article, added


def padded_copy(demo, page_kb: int):
    from byline.articles.models import Article

    repeats = max(1, page_kb * 1024 // max(1, len(demo.body_html)))
    article, _ = Article.objects.update_or_create(
        slug=f"bench-page-{page_kb}kb",
        defaults={
            "headline": f"{demo.headline} ({page_kb} KB)",
            "standfirst": demo.standfirst,
            "body": "\n\n".join([demo.body] * repeats),
            "section": demo.section,
            "status": Article.Status.PUBLISHED,
            "published_at": demo.published_at,
        },
    )
    article.authors.set(demo.authors.all())
    article.tags.set(demo.tags.all())
    print(f"  measuring a copy of the demo article with its body {repeats} times")
    return article


def add_discussion(article, comments: int) -> dict[str, int]:
    """Comments, reactions and ratings through the apps' own demo hooks, when they exist.

    Returns how many comments, reactions and ratings the article has.
    """
    import importlib

    from byline.engagement.stats import figures_for

    hooks = [
        ("byline.discussion.demo", "add_demo_comments", {"count": comments}, "threaded comments"),
        ("byline.engagement.demo", "add_demo_votes", {}, "reactions and ratings"),
    ]
    for module_name, function, kwargs, what in hooks:
        try:
            module = importlib.import_module(module_name)
            hook = getattr(module, function)
        except (ImportError, AttributeError):
            print(
                f"  note: {module_name}.{function}() does not exist yet:"
                f" page measured without {what}"
            )
            continue
        hook(article, **kwargs)
        print(f"  added {what} with {module_name}.{function}()")
    figures = figures_for(article.pk)
    added = {
        "comments": figures.comments,
        "reactions": figures.reaction_total,
        "ratings": figures.rating_count,
    }
    print("  the article has " + ", ".join(f"{n} {what}" for what, n in added.items()))
    return added


def cold_render(article, renders: int) -> tuple[float, float, int, int]:
    """Median and fastest milliseconds, and SQL queries, of rendering the page in-process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    url = article.get_absolute_url()
    client.get(url)  # templates compiled, connection open
    timings = timed_gets(client, url, renders)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return (
        statistics.median(timings),
        min(timings),
        len(queries.captured_queries),
        len(response.content),
    )


# --- the checks ------------------------------------------------------------------


def check_correctness(urls: dict[str, str], page: bytes, article, headline: str) -> None:
    for _ in range(20):  # each worker keeps its own copy in memory: let each render once
        fetch(urls["b"])
    status, headers, body = fetch(urls["b"])
    check(status == 200 and body == page, "b: the app server serves the saved bytes")
    check(
        headers.get("x-page-cache") == "hit",
        f"b: ... from the page cache ({headers.get('x-page-cache')})",
    )
    page_headers = headers
    for name in SECURITY_HEADERS:
        check(name in headers, f"b: a cache hit carries {name}")
    check("set-cookie" not in headers, "b: no Set-Cookie on an anonymous page")
    status, _, body = fetch(urls["b"], {"If-None-Match": headers["etag"]})
    check(status == 304 and body == b"", "b: If-None-Match gets a 304")
    status, _, body = fetch(urls["a"])
    check(status == 200 and body == page, "a: nginx serves the saved file")
    fetch(urls["c"])
    # The page file is written when the app stores a page it rendered; a render that
    # began before a generation or purge it did not see is served but not kept (it may
    # be stale), so on a loaded machine the file may come a request or two later.
    # Until then nginx serves its 1 s proxy-cache copy (HIT): give it 10 s, and say what
    # each request got if the file never comes.
    seen = []
    while len(seen) < 30:
        status, headers, body = fetch(urls["c"])
        seen.append(headers.get("x-cache"))
        if seen[-1] == "FILE":
            break
        time.sleep(0.3)
    check(status == 200 and body == page, "c: the shipped nginx config serves the same bytes")
    check(
        headers.get("x-cache") == "FILE",
        f"c: ... from the page file (after {len(seen)} requests: {' '.join(map(str, seen))})",
    )
    for name in SECURITY_HEADERS:
        check(headers.get(name) == page_headers[name], f"c: the page file carries {name}")
    check("set-cookie" not in headers, "c: no Set-Cookie on an anonymous page")
    status, _, _ = fetch(urls["c"], {"If-None-Match": headers["etag"]})
    check(status == 304, "c: If-None-Match through nginx gets a 304")
    tracked = urls["c"] + "?utm_source=bench"
    fetch(tracked)
    status, headers, body = fetch(tracked)
    check(status == 200 and body == page, "c: a URL with a query string gets the same bytes")
    check(
        headers.get("x-cache") in {"HIT", "UPDATING", "REVALIDATED"},
        f"c: ... from nginx's proxy cache ({headers.get('x-cache')})",
    )
    _, headers, _ = fetch(urls["c"], {"Cookie": "sessionid=x"})
    check(headers.get("x-cache") == "BYPASS", "c: a session cookie bypasses nginx's cache")
    _, headers, _ = fetch(urls["c"].rsplit("/articles/", 1)[0] + "/api/csrf/")
    check(
        headers.get("x-cache") in {None, "MISS", "BYPASS"} and "x-page-cache" not in headers,
        "c: JSON endpoints are not cached",
    )
    status, headers, body = fetch(urls["d"])
    check(
        status == 200 and "x-page-cache" not in headers,
        "d: with the cache off every request renders",
    )
    check(headline.encode() in body, "d: the cold render is the article")


def check_invalidation(urls: dict[str, str], article) -> None:
    """An edit reaches the app server's cache and nginx's within 2 s; then it is undone."""
    original = article.headline
    article.headline = original + " (edited by the bench)"
    article.save()
    try:
        for case in ("b", "c"):
            deadline = time.monotonic() + 2.0
            seen = False
            while time.monotonic() < deadline and not seen:
                seen = article.headline.encode() in fetch(urls[case])[2]
                time.sleep(0.05)
            check(seen, f"{case}: an edit is served within 2 s")
    finally:
        article.headline = original
        article.save()


# --- main ------------------------------------------------------------------------


def main() -> int:
    parser = bench_parser(__doc__, 8500, 4, quick="CI: 2 rounds of 2 s a case")
    parser.add_argument("--long", action="store_true", help="5 rounds of 10 s a case")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--comments", type=int, default=200)
    parser.add_argument(
        "--page-kb",
        type=int,
        default=0,
        help="measure a copy of the demo article padded to about this size (e.g. 104)",
    )
    parser.add_argument(
        "--cases", default="abcd", help="which cases to measure, in order (default abcd)"
    )
    args = parser.parse_args()
    rounds, seconds = (2, 2) if args.quick else (5, 10) if args.long else (3, 5)

    ensure_tools()
    bench = Bench("byline-bench-")
    work = bench.work
    data_dir = work / "data"
    env = site_environment(data_dir)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("BYLINE_", "DJANGO_"))})
    sys.path.insert(0, str(ROOT))
    database = (
        "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    )
    cache = "Redis" if os.environ.get("REDIS_URL") else "process memory"
    print(
        f"Byline page benchmark: {database}, {cache}, {os.cpu_count()} cores,"
        f" wrk -c{args.connections}, {rounds} rounds x {seconds} s"
    )

    article, added = prepare_site(args.comments, args.page_kb)
    ports = {name: args.port_base + n for n, name in enumerate("bdac")}
    path = article.get_absolute_url()
    urls = {case: f"http://127.0.0.1:{port}{path}" for case, port in ports.items()}
    with bench:
        cached = bench.add(start_app(env, ports["b"], "app-cached", bench.logs))
        # One at a time: each runs collectstatic into the same folder as it starts.
        wait_for(urls["b"], cached)
        cold = bench.add(
            start_app(
                env,
                ports["d"],
                "app-cold",
                bench.logs,
                BYLINE_PAGE_CACHE="0",
                BYLINE_PAGE_FILES_DIR="",
            )
        )
        wait_for(urls["d"], cold)
        fetch(urls["b"])
        status, _, page = fetch(urls["b"])
        check(
            status == 200 and article.headline.encode() in page,
            f"the article page renders ({len(page) / 1024:.0f} KB)",
        )
        if added.get("comments"):
            # Long threads fold ("N more replies in this thread"): every comment is
            # either on the page or counted in one of those links.
            shown = page.count(b'class="comment depth-')
            folded = sum(
                int(n.replace(b",", b""))
                for n in re.findall(rb'class="more-replies"><a [^>]*>([0-9,]+) more repl', page)
            )
            check(
                shown + folded == added["comments"],
                f"the page shows all {added['comments']} comments ({shown} shown, "
                f"{folded} behind 'more replies')",
            )
        saved = work / "page" / "index.html"
        saved.parent.mkdir()
        saved.write_bytes(page)
        nginx = bench.add(
            start_nginx(
                nginx_config(work, ports["a"], ports["c"], ports["b"], saved, data_dir / "static"),
                bench.logs,
            )
        )
        wait_for(urls["a"], nginx)
        wait_for(urls["c"], nginx)

        print("Correctness")
        if find("openssl"):
            check_shipped_config_as_is(work)
        check_correctness(urls, page, article, article.headline)
        check_invalidation(urls, article)
        for case in ("b", "c"):  # warm again after the edit
            for _ in range(20):
                fetch(urls[case])

        cases = args.cases
        print(f"Measuring ({rounds} rounds, cases alternate {' '.join(cases)})")
        runs: dict[str, list[Run]] = {case: [] for case in cases}
        for number in range(1, rounds + 1):
            for case in cases:
                run = wrk(urls[case], seconds, args.connections)
                runs[case].append(run)
                print(
                    f"  round {number} {case}: {run.rps:9.0f} rps"
                    f"  p50 {run.p50_ms:6.2f} ms  p99 {run.p99_ms:6.2f} ms"
                )
        errors = {case: sum(r.errors for r in rs) for case, rs in runs.items()}
        check(not any(errors.values()), f"every wrk request got a 2xx/3xx answer ({errors})")
        rss = cached.worker_rss_mb()

        median = {case: statistics.median(r.rps for r in rs) for case, rs in runs.items()}
        names = {
            "a": "nginx, the saved HTML from a file",
            "b": "Byline app server, page cache hit",
            "c": "shipped nginx config in front",
            "d": "Byline app server, cold render",
        }
        print("\nResults (median of rounds)")
        print(f"  {'case':38} {'rps':>9} {'p50 ms':>8} {'p99 ms':>8}")
        for case in cases:
            p50 = statistics.median(r.p50_ms for r in runs[case])
            p99 = statistics.median(r.p99_ms for r in runs[case])
            print(f"  {case} {names[case]:36} {median[case]:9.0f} {p50:8.2f} {p99:8.2f}")
        # Each round's ratio compares runs seconds apart, so load from other
        # processes on the machine cancels out better than in a ratio of medians.
        for ratio, target in TARGETS.items():
            top, bottom = ratio.split("/")
            if top not in runs or bottom not in runs:
                continue
            per_round = [t.rps / b.rps for t, b in zip(runs[top], runs[bottom], strict=True)]
            value = statistics.median(per_round)
            verdict = "meets" if value >= target else "MISSES"
            print(
                f"  {ratio} = {value:.2f}   (target >= {target}: {verdict};"
                f" median of rounds, range {min(per_round):.2f}-{max(per_round):.2f})"
            )

        ms, fastest, queries, size = cold_render(article, renders=20 if args.quick else 50)
        verdict = "meets" if ms < COLD_RENDER_TARGET_MS else "MISSES"
        content = ", ".join(f"{n} {what}" for what, n in added.items()) or "no discussion"
        print(
            f"  cold render, in-process: median {ms:.1f} ms"
            f" (target < {COLD_RENDER_TARGET_MS:.0f}: {verdict}; fastest {fastest:.1f} ms),"
            f" {queries} SQL queries (the same with 0, 10 or 200 comments:"
            f" tests/discussion/test_query_count.py), {size / 1024:.0f} KB; {content}"
        )
        if rss:
            verdict = "meets" if max(rss) < WORKER_RSS_TARGET_MB else "MISSES"
            print(
                f"  app worker memory after the run: {max(rss):.0f} MB RSS"
                f" (target < {WORKER_RSS_TARGET_MB:.0f}: {verdict}; {len(rss)} workers)"
            )
    return bench.exit_code


if __name__ == "__main__":
    sys.exit(main())
