"""Benchmark: a cold render of an article page with many threaded comments.

Prints the median and 90th-percentile time to render the whole article page
(view, two discussion queries, tree building, markup; no page cache) for 0,
200 and 300 approved comments, beside the product target (a median under
20 ms with 200 threaded comments), the SQL queries each render ran, and the
median of the discussion's own share (queries, tree and markup alone); then the
300 comments newest first and by most replies (``?sort=``). On a
shared, busy machine the best time is the steadiest figure.

    .venv/bin/python bench/comments.py            # a few seconds
    .venv/bin/python bench/comments.py --runs 200 # steadier figures

Runs on a throwaway SQLite database in a temporary folder unless DATABASE_URL
is set (then it uses, and cleans up after itself in, that database).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import percentile, timed_gets  # (bench/ is on the path)

TARGET_MS = 20.0


def setup_django(data_dir: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("BYLINE_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")
    os.environ["BYLINE_DEBUG"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def add_comments(article, count: int) -> None:
    """Threads of a root and up to four nested replies, as in a lively discussion."""
    from django.utils import timezone

    from byline.discussion.markup import render_body
    from byline.discussion.models import Comment

    made = 0
    now = timezone.now()
    while made < count:
        parent = None
        for depth in range(min(5, count - made)):
            body = f"Comment {made}: a reasonable point about https://example.org/{made} and more."
            comment = Comment.objects.create(
                article=article,
                parent=parent,
                depth=depth,
                thread_id=parent.thread_id if parent else None,
                status=Comment.Status.APPROVED,
                body=body,
                body_html=render_body(body),
                author_name=f"Reader {made}",
                author_email=f"reader{made}@example.org",
                author_url="https://example.org/" if made % 3 == 0 else "",
                submitted_at=now,
            )
            if parent is None:
                comment.thread_id = comment.pk
                comment.save(update_fields=["thread_id"])
            parent = comment
            made += 1


def count_queries(client, url: str) -> int:
    from django.db import connection

    executed = []

    def counter(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        client.get(url)
    return len(executed)


def discussion_only(article, runs: int) -> float:
    """Median ms of the discussion's own work: its two queries, the tree, the markup."""
    from byline.discussion.markup import comment_list
    from byline.discussion.threads import page_of_threads

    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        comment_list(page_of_threads(article.pk, 1).nodes)
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def measure(client, url: str, runs: int) -> tuple[float, float, float, int]:
    client.get(url)  # warm templates and the navigation cache
    queries = count_queries(client, url)
    timings = timed_gets(client, url, runs)
    return min(timings), statistics.median(timings), percentile(timings, 90), queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="renders per case (default 40)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        setup_django(data_dir)
        from django.test import Client, override_settings

        from byline.articles.models import Article
        from byline.discussion.models import Comment

        article = Article.objects.create(
            headline="Benchmark article",
            slug=f"benchmark-{int(time.time())}",
            body="A paragraph.\n\n" * 40,
            status=Article.Status.PUBLISHED,
        )
        client = Client(HTTP_HOST="localhost")
        url = article.get_absolute_url()
        print(f"article page, cold render (no page cache), {args.runs} runs per case")
        print(
            f"{'comments':>8}  {'best ms':>7}  {'median ms':>9}  {'p90 ms':>7}  {'queries':>7}  "
            f"{'discussion ms':>13}  target"
        )
        try:
            with override_settings(BYLINE_COMMENT_THREADS_PER_PAGE=1000):
                have = 0
                for count in (0, 200, 300):
                    add_comments(article, count - have)
                    have = count
                    best, median, p90, queries = measure(client, url, args.runs)
                    own = discussion_only(article, args.runs)
                    target = f"median < {TARGET_MS:.0f} ms (200 comments)" if count == 200 else ""
                    print(
                        f"{count:>8}  {best:>7.2f}  {median:>9.2f}  {p90:>7.2f}  {queries:>7}  "
                        f"{own:>13.2f}  {target}"
                    )
                # The orders readers choose (?sort=), on the 300 comments, beside oldest first.
                for sort in ("newest", "top"):
                    best, median, p90, queries = measure(client, f"{url}?sort={sort}", args.runs)
                    print(
                        f"{'300 ' + sort:>8}  {best:>7.2f}  {median:>9.2f}  {p90:>7.2f}  "
                        f"{queries:>7}  {'':>13}  same as 300 oldest first"
                    )
        finally:
            Comment.objects.filter(article=article).delete()
            article.delete()


if __name__ == "__main__":
    main()
