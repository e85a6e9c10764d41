"""What each Django middleware costs a request that is only a cache hit.

In-process, no server and no network: a view that returns stored page bytes
(what a cache hit inside Django amounts to) is called through Django's WSGI
handler with the middleware list growing one entry at a time; the difference
between consecutive lists is that middleware's cost. Beside it: the page
cache layer's hit (byline.pagecache.page_layer, which runs none of them) and a bare
WSGI callable that returns the bytes.

    python bench/middleware.py           # 7 rounds of 2000 requests a configuration
    python bench/middleware.py --quick   # 3 rounds of 500
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = b"<!DOCTYPE html>" + b"x" * 104_000  # the size of the reference page


def configure() -> None:
    os.environ.update(
        BYLINE_PRODUCTION="1",
        BYLINE_SECRET_KEY=secrets.token_urlsafe(50),
        BYLINE_ALLOWED_HOSTS="127.0.0.1",
        BYLINE_DATA_DIR=tempfile.mkdtemp(prefix="byline-bench-mw-"),
        DJANGO_SETTINGS_MODULE="byline.settings",
    )
    os.environ.pop("REDIS_URL", None)  # process memory: measure the stack, not the network
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def environ() -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/page/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def start_response(status, headers, exc_info=None):
    return None


def per_request_us(app, requests: int, rounds: int) -> float:
    """Best of ``rounds`` (the least disturbed by other processes), in microseconds."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(requests):
            result = app(environ(), start_response)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close:
                close()
        best = min(best, (time.perf_counter() - started) / requests * 1e6)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    requests, rounds = (500, 3) if args.quick else (2000, 7)
    configure()

    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.http import HttpResponse
    from django.test.utils import override_settings
    from django.urls import path

    from byline.pagecache.page_layer import PageCacheApp
    from byline.pagecache.store import FileGeneration, MemoryPages, PageStore

    def stored_page(request):
        return HttpResponse(PAGE)

    urls = types.ModuleType("bench_middleware_urls")
    urls.urlpatterns = [path("page/", stored_page)]
    sys.modules[urls.__name__] = urls

    def bare(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", "104015")])
        return [PAGE]

    middleware = list(settings.MIDDLEWARE)
    with override_settings(ROOT_URLCONF=urls.__name__):
        layer = PageCacheApp(
            WSGIHandler(),
            PageStore(FileGeneration(Path(tempfile.mkdtemp()) / "g", 0.5), MemoryPages(1 << 26)),
        )
        # Store the page the way a render of a cached_page view would.
        generation = layer.store.current_generation()
        page = layer.build("200 OK", [("Content-Type", "text/html")], PAGE, generation)
        layer.store.set("http://127.0.0.1/page/", page)
        apps = {"bare": bare, "layer": layer}
        for count in range(len(middleware) + 1):
            with override_settings(MIDDLEWARE=middleware[:count]):
                apps[count] = WSGIHandler()
        # Rounds interleave the configurations, and each keeps its best round,
        # so a burst of load from another process does not land on one of them.
        best = dict.fromkeys(apps, float("inf"))
        for _ in range(rounds):
            for name, app in apps.items():
                best[name] = min(best[name], per_request_us(app, requests, 1))

    print(f"Per request, in-process, best of {rounds} rounds of {requests} (µs)")
    print(f"  {'bare WSGI callable returning the bytes':58} {best['bare']:7.1f}")
    print(f"  {'Byline page cache layer, hit (no middleware runs)':58} {best['layer']:7.1f}")
    print(f"  {'Django handler, URL resolver and view, no middleware':58} {best[0]:7.1f}")
    for count in range(1, len(middleware) + 1):
        name = middleware[count - 1].rsplit(".", 1)[1]
        print(f"    + {name:54} {best[count] - best[count - 1]:+7.1f}")
    whole = best[len(middleware)]
    print(f"  {'Django, the whole default stack':58} {whole:7.1f}")
    print(f"  layer hit / whole stack: {best['layer'] / whole:.2f} of the time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
