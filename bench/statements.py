"""The CPU of a discussion's and the counts files' reads written once (``db.Statement``,
``db.AnyOf``) against the ways they replaced, in one process, in turn A B B A: the
approved roots (ids alone against an instance a root), the shape of a page's threads
(a statement against the ORM's ``thread_id__in``), of one thread (the statement of any
number of threads against one of a single thread), a page's comments (the statement
that says its database against one statement per database), and what checking
``Ids``' elements costs. Each pair's answers are compared first; prints the CPU of a
call and the ratio new/old. (``stats.figures_of_many``: ``bench/among.py --against``,
its ``counts_bodies``.)

    DATABASE_URL=postgres://.../bench python bench/statements.py [--calls 2000] [--quick]
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 python bench/statements.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from harness import bench_parser, django_in_process  # (bench/ is on the path)

ROOT = Path(__file__).resolve().parent.parent


def per_call(call: Callable[[], object], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        call()
    return (time.process_time() - start) / calls


def main() -> int:
    parser = bench_parser(__doc__, 0, 0, "a few calls, the answers compared")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=200)
    options = parser.parse_args()
    calls = 50 if options.quick else options.calls
    django_in_process(str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, router

    call_command("migrate", verbosity=0)
    from byline.articles.models import Article
    from byline.db import Ids, Statement, are_ids
    from byline.discussion import sorting, threads
    from byline.discussion.models import Comment
    from tests.discussion.factory import make_comment
    from tests.factory import make_article

    article = make_article(headline="Statements bench")
    roots = [make_comment(article) for _ in range(options.threads)]
    for root in roots[:20]:
        make_comment(article, parent=make_comment(article, parent=root))
    page = [root.pk for root in roots[:20]]
    shown = list(Comment.objects.filter(article=article).values_list("pk", flat=True)[:60])

    old_roots = Statement(lambda pk: Comment.objects.thread_roots(pk).only("pk"), int)
    old_one = Statement(
        lambda article_id, thread_id: threads._shape_rows(
            Comment.objects.in_discussion().filter(thread_id=thread_id).on_article(article_id)
        ),
        int,
        int,
    )
    per_alias: dict[str, Statement] = {}

    def old_shown() -> list:
        db = router.db_for_read(Comment)
        statement = per_alias.get(db)
        if statement is None:
            statement = per_alias[db] = Statement(threads._shown_rows, Ids, using=db)
        return [threads._shown_comment(row, db) for row in statement.rows(shown)]

    def new_shown() -> list:
        rows, db = threads._SHOWN_ROWS.rows_and_db(shown)
        return [threads._shown_comment(row, db) for row in rows]

    def old_threads() -> list:
        found = Comment.objects.in_discussion().filter(thread_id__in=page)
        return list(threads._shape_rows(found.on_article(article.pk)))

    seventy = list(range(10**6, 10**6 + 70))
    pairs: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        (
            "approved roots",
            lambda: [root.pk for root in old_roots.rows(article.pk)],
            lambda: sorting.APPROVED_ROOTS.rows(article.pk),
        ),
        (
            "20 threads' shape",
            old_threads,
            lambda: threads.THREADS.rows(article.pk, page),
        ),
        (
            "one thread's shape",
            lambda: old_one.rows(article.pk, page[0]),
            lambda: threads.THREADS.rows(article.pk, page[:1]),
        ),
        ("60 shown comments", old_shown, new_shown),
        ("70 ids' check", lambda: None, lambda: are_ids(seventy)),  # old: nothing checked
    ]
    try:
        for name, old, new in pairs:
            a, b = old(), new()
            if name == "60 shown comments":
                a, b = ([{**vars(c), "_state": c._state.db} for c in x] for x in (a, b))  # type: ignore[union-attr]
            if a != b and name != "70 ids' check":
                raise SystemExit(f"{name}: the answers differ: {a!r:.300} {b!r:.300}")
            for _ in range(50):
                old(), new()
            times: dict[str, list[float]] = {"old": [], "new": []}
            for which in ("old", "new", "new", "old", "old", "new", "new", "old"):
                call = old if which == "old" else new
                times[which].append(per_call(call, calls))
            best_old, best_new = min(times["old"]), min(times["new"])
            print(
                f"{name:20} {connection.vendor:10} new {best_new * 1e6:7.1f} µs  "
                f"old {best_old * 1e6:7.1f} µs  ratio new/old "
                f"{best_new / best_old if best_old else float('nan'):.2f}  "
                f"(min of 4 A B B A; new {[round(t * 1e6, 1) for t in times['new']]}"
                f" old {[round(t * 1e6, 1) for t in times['old']]})"
            )
    finally:
        Article.objects.filter(pk=article.pk).delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
