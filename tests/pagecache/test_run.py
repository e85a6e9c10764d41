"""`byline run --production` sizes granian to the machine, and to what PostgreSQL holds."""

import os

import pytest
from django.db import connection

from byline.management.commands.run import connection_shortfall, granian_argv, worker_count


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
    assert option(argv, "--backpressure") == "32"


def test_the_wsgi_entry_point_is_wrapped_in_the_page_cache():
    """The error guard outermost (byline.errors), then the page cache."""
    from byline.errors import WSGIErrorGuard
    from byline.pagecache.wsgi import PageCacheApp
    from byline.wsgi import application

    assert isinstance(application, WSGIErrorGuard)
    assert isinstance(application.app, PageCacheApp)


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
