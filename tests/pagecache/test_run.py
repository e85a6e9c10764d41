"""`byline run --production` sizes granian to the machine, and to what PostgreSQL holds."""

import os
import re

import pytest
from django.db import connection

from byline.management.commands.run import (
    connection_shortfall,
    granian_argv,
    is_loopback,
    worker_count,
)


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_one_worker_per_core_by_default(settings):
    settings.BYLINE_WORKERS = 0
    assert worker_count() == (os.cpu_count() or 1)
    settings.BYLINE_WORKERS = 3
    assert worker_count() == 3


def test_granian_serves_the_page_cached_wsgi_app_with_bounded_concurrency():
    argv = granian_argv("127.0.0.1", 8500, workers=2, threads=4)
    assert argv[-1] == "byline.wsgi:application"
    assert option(argv, "--interface") == "wsgi"
    assert option(argv, "--workers") == "2"
    assert option(argv, "--blocking-threads") == "4"
    # granian's backpressure counts open connections, idle ones included.
    assert option(argv, "--backpressure") == "512"
    assert option(granian_argv("127.0.0.1", 8500, 1, threads=100), "--backpressure") == "800"
    # A thread keeps its PostgreSQL connection for its life: idle threads are kept too.
    assert option(argv, "--blocking-threads-idle-timeout") == "600"


def test_the_wsgi_entry_point_sends_each_path_to_the_one_layer_that_owns_it():
    """The dispatcher (byline.wsgi_layer): the article API's counts, beacon and votes go to
    their own layers (never through the page cache), every other read to the page cache."""
    from byline.engagement import beacon_layer, counts_layer, vote_layer
    from byline.pagecache.page_layer import PageCacheApp
    from byline.wsgi import application
    from byline.wsgi_layer import Dispatcher

    assert isinstance(application, Dispatcher)
    assert isinstance(application.pages, PageCacheApp)
    assert application.routes == {
        "engagement": counts_layer.answer_counts,
        "view": beacon_layer.answer_view,
        "reaction": vote_layer.answer_vote,
        "rating": vote_layer.answer_vote,
    }


@pytest.mark.django_db  # on PostgreSQL it reads max_connections
def test_production_start_stops_nginx_serving_files_from_an_earlier_run(
    settings, tmp_path, monkeypatch
):
    """The pages' link is removed before granian starts; a worker recreates it when current."""
    from byline.management.commands import run
    from byline.pagecache.files import PageFiles

    files = PageFiles(tmp_path / "pages")
    files.switch("old-generation")
    settings.BYLINE_PAGE_FILES_DIR = str(files.root)
    started = []
    monkeypatch.setattr(run.os, "execv", lambda path, argv: started.append(argv))
    run.Command().serve_production("127.0.0.1", 8500)
    assert not (files.root / "current").exists()
    assert started and started[0][-1] == "byline.wsgi:application"


@pytest.mark.django_db
def test_start_up_warns_when_postgresql_cannot_hold_a_connection_per_thread():
    """Each thread may hold a connection, and each worker's vote caster one more."""
    if connection.vendor != "postgresql":
        assert connection_shortfall(workers=100, threads=1000) is None
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...) to read max_connections")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        allowed = int(cursor.fetchone()[0])
    assert connection_shortfall(workers=1, threads=allowed - 11) is None
    warning = connection_shortfall(workers=2, threads=allowed // 2)
    assert warning is not None
    assert f"max_connections={allowed}" in warning
    assert "BYLINE_THREADS" in warning and "BYLINE_WORKERS" in warning


ALL_INTERFACES = "0.0.0.0"  # noqa: S104  (what a public bind looks like)


def test_granian_closes_connections_that_dawdle_over_their_headers_or_sit_idle():
    """granian's only timeout, the header read timeout, also ends idle keep-alive
    connections; nginx's idle connections to the app are kept for less."""
    from bench.harness import NGINX_CONF
    from byline.management.commands.run import HEADER_READ_TIMEOUT_MS

    argv = granian_argv("127.0.0.1", 8500, workers=2, threads=4)
    assert option(argv, "--http1-header-read-timeout") == str(HEADER_READ_TIMEOUT_MS)
    upstream = NGINX_CONF.read_text().split("upstream byline_app {", 1)[1].split("}", 1)[0]
    nginx_idle_seconds = int(re.search(r"keepalive_timeout (\d+)s;", upstream).group(1))
    assert nginx_idle_seconds * 1000 < HEADER_READ_TIMEOUT_MS


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
     (ALL_INTERFACES, False), ("10.0.0.12", False), ("::", False), ("news.example.com", False)],
)  # fmt: skip
def test_only_loopback_addresses_count_as_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["127.0.0.1", ALL_INTERFACES])
def test_start_up_says_the_app_server_belongs_behind_nginx(host, monkeypatch, settings, capsys):
    """Loopback by default, and a warning when bound where other machines reach it:
    granian alone cannot time out slow request bodies."""
    from byline.management.commands import run

    settings.BYLINE_PAGE_FILES_DIR = ""
    monkeypatch.setattr(run.os, "execv", lambda path, argv: None)
    run.Command().serve_production(host, 8500)
    out, err = capsys.readouterr()
    if host == "127.0.0.1":
        assert "put nginx in front" in out and "Warning" not in err
    else:
        assert f"Warning: bound to {ALL_INTERFACES}" in err and "must sit behind nginx" in err


def test_the_app_server_binds_to_loopback_unless_told_otherwise(monkeypatch):
    from byline.management.commands.run import Command

    monkeypatch.delenv("HOST", raising=False)
    parser = Command().create_parser("byline", "run")
    assert parser.parse_args([]).host == "127.0.0.1"
    assert parser.parse_args(["--host", ALL_INTERFACES]).host == ALL_INTERFACES
