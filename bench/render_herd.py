"""Benchmark: readers arriving at once for an article page a comment just purged.

Purges an article's pages (as an approved comment does), then sends ``--readers``
requests for its page (or ``--path``: ``/``, a listing the purge redraws) at once
(threads behind a barrier) through the page layer and Django in this process,
``--purges`` times. Prints how each was answered
(``X-Page-Cache``: miss = rendered, hit, stale), the renders a purge and the
process's CPU a purge. With one render at a time (``byline.pagecache.flights``) a
purge costs one render; without it, up to one a reader.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/render_herd.py
    .venv/bin/python bench/render_herd.py --tree ../main   # another tree's code, same data

Uses the newest published article of the database DATABASE_URL names (a scratch
one: bench/readers.py leaves 100 there); on SQLite without DATABASE_URL, a throwaway
database with the demo article. Timings never fail.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from harness import django_in_process  # (bench/ is on the path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--purges", type=int, default=20)
    parser.add_argument(
        "--path", default="", help="the page read (default: the article's; / for the front page)"
    )
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parent.parent))
    args = parser.parse_args()
    tree = str(Path(args.tree).resolve())
    django_in_process(tree)
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command

    from byline.articles.models import Article
    from byline.pagecache.invalidation import comments_changed
    from byline.pagecache.page_layer import PageCacheApp
    from tests.pagecache.wsgi_client import call

    if not os.environ.get("DATABASE_URL"):
        from byline.demo import load_demo_site

        call_command("migrate", verbosity=0)
        load_demo_site()
    article = Article.objects.published().order_by("-pk").first()
    if article is None:
        print("no published article in this database")
        return 1
    url = args.path or article.get_absolute_url()
    app = PageCacheApp(WSGIHandler())
    for _ in range(3):
        call(app, url)
    answers: Counter = Counter()
    cpu = 0.0
    for _ in range(args.purges):
        comments_changed(article.pk)
        barrier = threading.Barrier(args.readers)

        def read(barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            answers[call(app, url).headers.get("x-page-cache", "none")] += 1

        threads = [threading.Thread(target=read) for _ in range(args.readers)]
        started = time.process_time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cpu += time.process_time() - started
    print(
        f"{tree}: {args.readers} readers at once after each of {args.purges} purges:"
        f" {dict(answers)}; renders a purge {answers['miss'] / args.purges:.1f};"
        f" CPU a purge {cpu / args.purges * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
