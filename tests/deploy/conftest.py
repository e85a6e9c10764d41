"""The real app under granian with the real nginx running deploy/nginx.conf in front."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bench.harness import Bench, app_behind_nginx, find, free_ports, throwaway_site_environment

needs_nginx_and_granian = pytest.mark.skipif(
    not (find("nginx") and importlib.util.find_spec("granian")),
    reason="needs nginx (apt-get install nginx) and granian (pyproject.toml)",
)


@contextmanager
def site_behind_nginx(
    tmp_path_factory,
    name: str,
    ports_from: int,
    *,
    directives: dict[str, str] | None = None,
    view_log: bool = False,
    page_files: bool = False,
    **settings: str,
) -> Iterator[dict]:
    """The demo site on a throwaway SQLite data folder behind the shipped nginx, with
    ``settings`` and nginx ``directives`` replaced; yields the two base URLs ("app",
    "nginx"), the app's environment ("env") and its data folder ("data"). With
    ``view_log``, nginx writes its view log into ``data/views`` and the app reads it there;
    with ``page_files``, the app writes its page files into ``data/pages`` for nginx.

    The ports are two free ones, or ``BYLINE_TEST_PORTS``' two from ``ports_from``
    (e.g. ``8810,8811,8812,8813``), and everything stops at the end.
    """
    bench = Bench(work=tmp_path_factory.mktemp(name))
    data_dir = bench.work / "data"
    given = [int(port) for port in os.environ.get("BYLINE_TEST_PORTS", "").split(",") if port]
    app_port, nginx_port = (
        given[ports_from : ports_from + 2] if len(given) >= ports_from + 2 else free_ports(2)
    )
    if view_log:
        (data_dir / "views").mkdir(parents=True)
        settings["BYLINE_VIEW_LOG_DIR"] = str(data_dir / "views")
    if page_files:
        settings["BYLINE_PAGE_FILES_DIR"] = str(data_dir / "pages")
    env = throwaway_site_environment(data_dir, **settings)
    try:
        app, nginx = app_behind_nginx(bench, env, app_port, nginx_port, directives=directives)
        yield {"app": app, "nginx": nginx, "env": env, "data": data_dir}
    finally:
        bench.stop()
