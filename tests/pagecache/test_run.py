"""`byline run --production` sizes granian to the machine."""

import os

from byline.management.commands.run import granian_argv, worker_count


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
    from byline.pagecache.wsgi import PageCacheApp
    from byline.wsgi import application

    assert isinstance(application, PageCacheApp)


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
