"""What every page needs from the site itself: its icon, its manifest, its version,
and its own error pages in the demo server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib.metadata import version
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from byline.cli import main

pytestmark = pytest.mark.django_db


def test_every_page_links_an_icon_and_a_manifest_that_exist(client, demo_article):
    html = client.get(demo_article.get_absolute_url()).text
    for href in ["/static/byline/favicon.ico", "/static/byline/icon.svg", "/manifest.webmanifest"]:
        assert f'href="{href}"' in html
    for name in ["favicon.ico", "icon.svg", "icon-180.png", "icon-192.png", "icon-512.png"]:
        assert finders.find(f"byline/{name}"), name


def test_browsers_asking_for_favicon_ico_are_sent_to_the_icon(client):
    """Pages without the link (the admin, a JSON answer) make browsers ask /favicon.ico."""
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/byline/favicon.ico"


def test_the_manifest_names_the_site_and_its_icons(client, settings):
    settings.BYLINE_SITE_NAME = "The Kestrelmouth Courier"
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "The Kestrelmouth Courier"
    assert manifest["start_url"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


def test_byline_version_prints_bylines_own_version(capsys):
    main(["byline", "--version"])
    out = capsys.readouterr().out
    assert out.startswith(f"Byline {version('byline')} (Django {version('django')}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our server
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


@pytest.fixture
def demo_server(tmp_path):
    """``byline run`` as `make run` starts it, on a free port, with a fresh data folder."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BYLINE_", "DATABASE_URL", "REDIS_URL"))
    }
    env["BYLINE_DATA_DIR"] = str(tmp_path)
    byline = Path(sys.executable).with_name("byline")
    server = subprocess.Popen(  # noqa: S603 - our own command
        [str(byline), "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                fetch(base + "/")
                break
            except OSError:
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def test_the_demo_server_shows_readers_its_own_404_and_serves_its_files(demo_server):
    """`make run`: an unknown address gets the site's 404 page, not Django's debug page;
    static files, the demo pictures and the front page are served."""
    status, html = fetch(demo_server + "/no/such/page/")
    assert status == 404
    assert "Page not found" in html
    assert "URLconf" not in html and "DEBUG = True" not in html
    assert fetch(demo_server + "/static/byline/site.css")[0] == 200
    status, front = fetch(demo_server + "/")
    assert status == 200
    assert "Iraq’s Attack Against ISIS" in front
    picture = front.split('class="story-card-image" src="', 1)[1].split('"', 1)[0]
    assert fetch(demo_server + picture)[0] == 200


def test_debug_is_off_unless_asked_for():
    """DEBUG follows BYLINE_DEBUG only: unset, the embedded tier runs with it off."""
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYLINE_DEBUG")}
    env["DJANGO_SETTINGS_MODULE"] = "byline.settings"
    run = [sys.executable, "-c", code]
    assert subprocess.run(run, env=env, capture_output=True, text=True).stdout.strip() == "False"  # noqa: S603
    env["BYLINE_DEBUG"] = "on"
    assert subprocess.run(run, env=env, capture_output=True, text=True).stdout.strip() == "True"  # noqa: S603


def test_the_admin_is_the_sites_newsroom_not_django_administration(client, admin_client, settings):
    """Editors log in to, and work in, "<site name> newsroom": the header and every
    page's title name the site, never "Django administration" or "Django site admin"."""
    settings.BYLINE_SITE_NAME = "The Kestrel Gazette"
    for response in (client.get("/admin/login/"), admin_client.get("/admin/")):
        html = response.text
        assert "The Kestrel Gazette newsroom</a>" in html
        assert "| The Kestrel Gazette newsroom</title>" in html
        assert "Django administration" not in html and "Django site admin" not in html
