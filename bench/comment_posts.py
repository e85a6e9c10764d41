"""Benchmark: what one reader's comment POST and comment session cost the app.

Posts comments through Django's test client in one process, on an article with
``--existing`` approved comments: half new threads, half replies to top-level
comments, with the rate limits lifted and first comments published (the spam
filter still judges each). Prints the app's CPU a POST (``time.process_time``)
and the statements of one new thread and of one reply. Then the comment session
of that commenter (``GET /comments/session/?article=<id>`` with the cookies the
POSTs set, as discussion.js asks for it on their next page view: through
``session_layer``, as the site's WSGI application answers it): CPU a GET and
its statements. ``--tree`` runs another tree's code (the same database);
``--against`` runs this tree (A) and another (B) in turn, A B B A
``--rounds`` times, each in a process of its own, and prints both side by side
with the ratio B/A:

    DATABASE_URL=postgres://... REDIS_URL=redis://... \\
        .venv/bin/python bench/comment_posts.py --posts 300 [--against ../main]

For an exact per-POST figure on a noisy machine, run it under
``valgrind --tool=callgrind`` with two ``--posts`` values and divide the
difference of the instructions by the difference of the posts.
On PostgreSQL on this machine it also prints the CPU of the server's backend a POST
(the kernel's clock of the backend process): on a kept connection, and on a new
one (``--new-backends`` POSTs, each on a connection opened for it, as a request
thread's connection that ``CONN_MAX_AGE`` closed: the fork's share the backend
carries, its start-up and its first look-ups of the catalogue).
``--profile N`` prints the N costliest functions of the timed POSTs (cProfile on
CPU time), ``--show-statements`` the counted POSTs' statements. The article and
its comments are deleted at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness import cpu_seconds, django_in_process  # (bench/ is on the path)

LOCAL = {"", "localhost", "127.0.0.1", "::1"}  # a server whose backends we can read
BODIES = (
    "I think the council got this one wrong, the numbers in paragraph three do not add up.",
    "Thanks for the reporting. Is there a link to the full budget document anywhere?",
    "My street had the same problem last winter and nobody came for weeks.",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--existing", type=int, default=200)
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="profile the timed POSTs (cProfile) and print the N costliest functions",
    )
    parser.add_argument("--show-statements", action="store_true")
    parser.add_argument("--new-backends", type=int, default=20, metavar="N")
    parser.add_argument(
        "--flows", type=int, default=100, help="comments sent as discussion.js sends them"
    )
    parser.add_argument("--sessions", type=int, default=300, help="comment session GETs timed")
    parser.add_argument(
        "--redraw",
        action="store_true",
        help="the article's page kept by the page layer (a file, as nginx serves it), so"
        " each timed POST draws it again in its request (counted in the POST); after each,"
        " the next reader's GET through the page layer, its CPU printed apart",
    )
    parser.add_argument("--against", help="another tree to alternate with (B), A B B A")
    parser.add_argument("--rounds", type=int, default=2, help="A B B A rounds with --against")
    args = parser.parse_args()
    if args.against:
        return alternate(args)
    return measure(args)


def alternate(args: argparse.Namespace) -> int:
    """This tree (A) and ``--against`` (B) in turn, A B B A, each in a process of its own."""
    trees = [str(Path(args.tree).resolve()), str(Path(args.against).resolve())]
    found: dict[str, list[dict]] = {tree: [] for tree in trees}
    for _ in range(args.rounds):
        for tree in (*trees, *trees[::-1]):
            command = [sys.executable, __file__, "--tree", tree, "--posts", str(args.posts)]
            command += ["--existing", str(args.existing), "--sessions", str(args.sessions)]
            command += ["--flows", str(args.flows)] + (["--redraw"] if args.redraw else [])
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{tree}: exit {done.returncode}\n{done.stderr[-3000:]}")
            found[tree].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"  {'AB'[trees.index(tree)]}: {found[tree][-1]}", flush=True)
    print(f"A = {trees[0]}, B = {trees[1]}; load average {os.getloadavg()}")
    whats = (
        ("post_ms", "a comment POST"),
        ("backend_ms", "PostgreSQL's backend a POST on a kept connection"),
        ("session_ms", "a comment session GET"),
        ("flow_ms", "a comment as discussion.js sends it"),
        ("redraw_ms", "the article's page drawn again after a POST"),
        ("comment_ms", "a comment POST and the page drawn again"),
    )
    for key, what in whats:
        if key not in found[trees[0]][0]:
            continue
        a, b = (statistics.median(run[key] for run in found[tree]) for tree in trees)
        print(f"{what}: A {a:.3f} ms, B {b:.3f} ms of CPU (medians), B/A {b / a:.3f}")
    a, b = (found[tree][0]["statements"] for tree in trees)
    print(f"statements (new thread, reply, session): A {a}, B {b}")
    return 0


def measure(args: argparse.Namespace) -> int:
    django_in_process(
        str(Path(args.tree).resolve()),
        BYLINE_COMMENT_RATE_LIMIT="1000000",
        BYLINE_SPAM_FIRST_COMMENT="publish",
    )
    tree = os.getcwd()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import F
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from byline.discussion.markup import render_body
    from byline.discussion.models import Comment
    from tests.discussion.factory import SAME_SITE, comment_form
    from tests.factory import make_article

    call_command("migrate", verbosity=0)
    article = make_article(slug=f"comment-posts-{time.time_ns()}")
    now = timezone.now()
    Comment.objects.bulk_create(
        Comment(
            article=article,
            status=Comment.Status.APPROVED,
            body=f"Existing comment {n}.",
            body_html=render_body(f"Existing comment {n}."),
            author_name=f"Reader {n}",
            author_email=f"reader{n}@example.org",
            submitted_at=now,
        )
        for n in range(args.existing)
    )
    roots = list(Comment.objects.filter(article=article).values_list("pk", flat=True))
    Comment.objects.filter(article=article, thread_id__isnull=True).update(thread_id=F("pk"))
    client = Client()

    def backend_cpu() -> float | None:
        """CPU seconds so far of this connection's PostgreSQL backend (None: not ours)."""
        if connection.vendor != "postgresql" or connection.settings_dict["HOST"] not in LOCAL:
            return None
        connection.ensure_connection()
        try:
            return cpu_seconds(connection.connection.info.backend_pid)
        except OSError:  # another machine's, or not readable
            return None

    def post(n: int, reply: bool, client: Client = client) -> None:
        form = comment_form(
            article,
            body=f"{BODIES[n % 3]} ({n})",
            name=f"Poster {n % 7}",
            email=f"poster{n % 7}@example.org",
            parent=str(roots[n % len(roots)]) if reply and roots else "",
        )
        response = client.post("/comments/post/", form, HTTP_ACCEPT="application/json", **SAME_SITE)
        if response.status_code != 201:
            raise SystemExit(f"POST answered {response.status_code}: {response.content[:300]!r}")

    try:
        for n in range(5):  # warm: the spam model, the first queries
            post(10**6 + n, reply=bool(n % 2))
        counted = []
        for n, reply in ((3 * 10**5, False), (3 * 10**5 + 2, True)):
            with CaptureQueriesContext(connection) as captured:
                post(n, reply)
            counted.append(len(captured.captured_queries))
            if args.show_statements:
                for q in captured.captured_queries:
                    print(q["sql"][:300])
                print("--")
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        backend_before = backend_cpu()
        page, redraw_seconds, hits = article.get_absolute_url(), 0.0, 0
        if args.redraw:
            reader_get = page_layer_client()
            reader_get(page)  # kept (a file nginx serves): each POST draws it again
        started = time.process_time()
        if profiler is not None:
            profiler.enable()
        for n in range(args.posts):
            post(n, reply=n % 2 == 1)
            if args.redraw:  # the next reader's page, as the page layer answers it
                drawn = time.process_time()
                status, outcome = reader_get(page)
                if status != 200:
                    raise SystemExit("The article's page was not drawn again")
                hits += outcome == "hit"
                redraw_seconds += time.process_time() - drawn
        if profiler is not None:
            profiler.disable()
        spent = time.process_time() - started - redraw_seconds
        cpu_ms = spent / max(args.posts, 1) * 1000
        redraw_ms = redraw_seconds / max(args.posts, 1) * 1000
        backend_after = backend_cpu()
        new_backends = []
        for n in range(args.new_backends if backend_before is not None else 0):
            connection.close()
            # What the new connection's start-up costs the backend is counted too:
            # it is read once the POST is answered, before the connection closes.
            post(4 * 10**5 + n, reply=n % 2 == 1)
            new_backends.append(backend_cpu() or 0.0)
        if profiler is not None:
            for order in ("tottime", "cumulative"):
                pstats.Stats(profiler).sort_stats(order).print_stats(args.profile)
        print(
            f"{tree}: {args.posts} POSTs, {cpu_ms:.2f} ms of app CPU a POST; statements: "
            f"{counted[0]} a new thread, {counted[1]} a reply ({args.existing} comments before)"
        )
        backend_ms = None
        if backend_before is not None and backend_after is not None:
            warm = backend_ms = (backend_after - backend_before) / max(args.posts, 1) * 1000
            line = f"  PostgreSQL backend CPU a POST: {warm:.2f} ms on a kept connection"
            if new_backends:
                cold = sum(new_backends) / len(new_backends) * 1000
                line += f", {cold:.2f} ms on a new one ({len(new_backends)} POSTs, each its own)"
            print(line)
        reader = Client()  # a reader who commented once, on their next page view
        post(5 * 10**5, reply=False, client=reader)  # (not a --new-backends POST's words)
        session_ms, session_statements = time_sessions(article.pk, reader, args.sessions)
        print(
            f"{tree}: {args.sessions} comment sessions of a reader who posted one,"
            f" {session_ms:.3f} ms of app CPU a session GET; statements: {session_statements}"
        )
        flow = time_flows(article, args.flows, comment_form)
        print(
            f"{tree}: {args.flows} comments as discussion.js sends them, "
            f"{flow['requests']} requests to the app a comment"
            f" ({', '.join(flow['kinds'])}), {flow['flow_ms']:.3f} ms of app CPU a comment"
        )
        summary = {"post_ms": cpu_ms, "session_ms": session_ms, "flow_ms": flow["flow_ms"]}
        if backend_ms is not None:
            summary["backend_ms"] = backend_ms
        if args.redraw:
            print(
                f"{tree}: the next reader's GET of the article's page after a POST,"
                f" {redraw_ms:.2f} ms ({hits} of {args.posts} answered from the cache: the"
                " others drawn then, the rest drawn again in their POST)"
            )
            summary.update(redraw_ms=redraw_ms, comment_ms=cpu_ms + redraw_ms)
        print(json.dumps({**summary, "statements": [*counted, session_statements]}))
    finally:
        Comment.objects.filter(article=article).delete()
        article.delete()
    return 0


def page_layer_client():
    """A GET of an anonymous reader through the page layer in front of Django (the site's
    stack but the dispatcher's other layers): (status, X-Page-Cache) of a path."""
    from django.core.handlers.wsgi import WSGIHandler

    from byline.pagecache.page_layer import PageCacheApp
    from tests.pagecache.wsgi_client import call

    app = PageCacheApp(WSGIHandler())

    def get(path: str) -> tuple[int, str | None]:
        response = call(app, path)
        return response.status, response.headers.get("x-page-cache")

    return get


def time_flows(article, flows: int, comment_form) -> dict:
    """``flows`` new readers each send a comment as the tree's discussion.js sends it:
    the form's session when the form is used (``&form=1``, a reader with no cookie,
    answered by ``session_layer``), ``GET /api/csrf/`` unless that session carried the
    token, the POST (multipart, with the token, proving nothing by its origin
    headers: Django's check reads the token), and the session again (with the
    cookies the POST set) unless the POST's answer carried the Edit link. App CPU a
    comment (``time.process_time``, the test client's own share included alike)."""
    from django.test import Client, RequestFactory

    from byline.discussion.session_layer import answer_session

    def session(client: Client) -> dict:
        cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
        environ = RequestFactory().get(f"/comments/session/?article={article.pk}&form=1").environ
        environ["HTTP_COOKIE"] = cookies
        answer = answer_session(environ)
        if answer is None or not answer[0].startswith("200"):
            raise SystemExit(f"The form's session answered {answer!r:.300}")
        for name, value in answer[1]:
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                client.cookies[key] = rest.split(";", 1)[0]
        return json.loads(answer[2])

    kinds: list[str] = []
    started = time.process_time()
    for n in range(flows):
        reader = Client(enforce_csrf_checks=True)
        kinds = ["form session"]
        token = session(reader).get("csrfToken")
        if not token:
            kinds.append("csrf")
            token = reader.get("/api/csrf/").json()["csrfToken"]
        fields = comment_form(  # (its form token a minute old: the reader wrote it)
            article, body=f"A comment as the page sends it ({n}).", email=f"flow{n}@example.org"
        )
        kinds.append("post")
        answer = reader.post(
            "/comments/post/", fields, HTTP_ACCEPT="application/json", HTTP_X_CSRFTOKEN=token
        )
        if answer.status_code != 201:
            raise SystemExit(f"POST answered {answer.status_code}: {answer.content[:300]!r}")
        if "editable" not in answer.json():
            kinds.append("session after")
            session(reader)
    cpu_ms = (time.process_time() - started) / max(flows, 1) * 1000
    return {"flow_ms": cpu_ms, "requests": len(kinds), "kinds": kinds}


def time_sessions(article_id: int, client, sessions: int) -> tuple[float, int]:
    """The comment session of the commenter whose cookies ``client`` holds, as the site's
    WSGI application answers it (``session_layer``): CPU a GET (ms), statements of one."""
    from django.db import connection
    from django.test import RequestFactory

    from byline.discussion.session_layer import answer_session

    cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    environ = RequestFactory().get(f"/comments/session/?article={article_id}").environ
    environ["HTTP_COOKIE"] = cookies

    def ask() -> bytes:
        answer = answer_session(dict(environ))
        if answer is None or not answer[0].startswith("200") or b'"editable": [{' not in answer[2]:
            raise SystemExit(f"The comment session answered {answer!r:.300}")
        return answer[2]

    for _ in range(5):
        ask()
    statements: list[str] = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):  # (the request cycle empties connection.queries)
        ask()
    started = time.process_time()
    for _ in range(sessions):
        ask()
    cpu_ms = (time.process_time() - started) / max(sessions, 1) * 1000
    return cpu_ms, len(statements)


if __name__ == "__main__":
    sys.exit(main())
