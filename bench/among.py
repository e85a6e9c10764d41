"""The CPU of the view folder's and the votes' reads over many articles, this tree
against another: ``countfiles.published_among`` (each fold), ``countfiles.counts_bodies``
(each look at the counts files: the published check, the buffered views, the comments'
reactions) and the votes' published check (``stats.cast_published_votes`` of votes on
drafts only: the check, nothing cast).

Each tree runs in its own python (its ``.venv`` if it has one), the two in turn A B B A,
on the same articles; prints the CPU a call of the client process and the ratio.
Both trees must read the same schema (migrated by this one).

    DATABASE_URL=postgres://.../bench python bench/among.py --against ../main [--calls 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RUN = r"""
import json, sys, time
tree, ids, calls = sys.argv[1], [int(i) for i in sys.argv[2].split(",")], int(sys.argv[3])
sys.path.insert(0, tree)
import django
django.setup()
from byline.engagement import countfiles, stats
drafts = ids[-3:]
votes = [("rating", article, "reader-%d" % n, "4") for n, article in enumerate(drafts)]
def fold(): countfiles.published_among(ids)
def look(): countfiles.counts_bodies(ids[:10])
def vote(): stats.cast_published_votes(votes)
found = {}
for name, call in (("published_among", fold), ("counts_bodies", look), ("votes' check", vote)):
    for _ in range(50):
        call()
    start = time.process_time()
    for _ in range(calls):
        call()
    found[name] = (time.process_time() - start) / calls
print(json.dumps(found))
"""


def python_of(tree: Path) -> str:
    own = tree / ".venv" / "bin" / "python"
    return str(own) if own.exists() else sys.executable


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", type=Path, required=True)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--articles", type=int, default=60)
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")
    os.environ.setdefault("BYLINE_SECRET_KEY", "bench-" + "x" * 50)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from byline.articles.models import Article
    from tests.discussion.factory import make_comment
    from tests.factory import make_article

    made = [make_article(headline=f"Among bench {n}") for n in range(options.articles)]
    made += [make_article(status=Article.Status.DRAFT) for _ in range(3)]
    from byline.discussion.models import Comment

    for article in made[:10]:
        for _ in range(3):
            Comment.objects.filter(pk=make_comment(article).pk).update(reactions=2)
    ids = ",".join(str(article.pk) for article in made)
    try:
        trees = [("this", ROOT), ("against", options.against.resolve())]
        figures: dict[str, list[dict[str, float]]] = {"this": [], "against": []}
        for name, tree in [*trees, *trees[::-1], *trees, *trees[::-1]]:
            done = subprocess.run(
                [python_of(tree), "-c", RUN, str(tree), ids, str(options.calls)],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(tree)},
            )
            figures[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
        for what in figures["this"][0]:
            this = [run[what] for run in figures["this"]]
            other = [run[what] for run in figures["against"]]
            print(
                f"{what:16} this {min(this) * 1e6:7.1f} µs  against {min(other) * 1e6:7.1f} µs"
                f"  (min of {len(this)}; ratio this/against {min(this) / min(other):.2f};"
                f" runs this {[round(t * 1e6) for t in this]} against"
                f" {[round(t * 1e6) for t in other]})"
            )
    finally:
        Article.objects.filter(pk__in=[article.pk for article in made]).delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
