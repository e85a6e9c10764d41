"""A page view at nginx speed: the counts micro-cache and the beacon that answers them.

Starts the real app (`byline run --production`, granian, on a throwaway SQLite
data folder) with the real nginx running deploy/nginx.conf in front. nginx
keeps the live counts JSON 1 s (no lock, revalidated with the app's ETag),
and the page script's view beacon is answered by the app's lean path with the
counts. Skipped without nginx or granian. The ports are two free ones, or the
third and fourth in ``BYLINE_TEST_PORTS`` (e.g. ``8810,8811,8812,8813``).
"""

import importlib.util
import json
import os
import re
import time
import urllib.error
import urllib.request

import pytest

from bench.harness import (
    NGINX_CONF,
    find,
    shipped_nginx_config,
    start_app,
    start_nginx,
    throwaway_site_environment,
    wait_for,
)
from bench.slowclients import site_reader_requests
from tests.deploy.test_slow_clients import free_ports

pytestmark = pytest.mark.skipif(
    not (find("nginx") and importlib.util.find_spec("granian")),
    reason="needs nginx (apt-get install nginx) and granian (pyproject.toml)",
)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app under granian with the shipped nginx in front: URLs and the article's id."""
    work = tmp_path_factory.mktemp("readers")
    work.chmod(0o755)
    (work / "logs").mkdir()
    data_dir = work / "data"
    given = os.environ.get("BYLINE_TEST_PORTS", "").split(",")
    app_port, nginx_port = (int(given[2]), int(given[3])) if len(given) >= 4 else free_ports(2)
    env = throwaway_site_environment(data_dir)
    env["BYLINE_CLIENT_IP_HEADER"] = "X-Forwarded-For"
    servers = []
    try:
        app = start_app(env, app_port, "app", work / "logs", demo=True)
        servers.append(app)
        wait_for(f"http://127.0.0.1:{app_port}/", app, seconds=120)
        config = shipped_nginx_config(work, nginx_port, app_port, data_dir / "static")
        nginx = start_nginx(config, work / "logs")
        servers.append(nginx)
        url = f"http://127.0.0.1:{nginx_port}"
        wait_for(f"{url}/", nginx)
        counts = site_reader_requests(url)[1].path
        article_id = int(re.search(r"/(\d+)/", counts).group(1))
        yield {"nginx": url, "app": f"http://127.0.0.1:{app_port}", "id": article_id}
    finally:
        for server in reversed(servers):
            server.stop()


def send(url: str, method: str = "GET", headers: dict | None = None):
    """(status, headers with lower-case names, body) of one request."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                (response.read()),
            )
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def beacon(site, agent: str = BROWSER, source: str = "203.0.113.20"):
    """The view beacon as the page's script sends it, through nginx from ``source``."""
    return send(
        f"{site['nginx']}/api/articles/{site['id']}/view/",
        "POST",
        {
            "User-Agent": agent,
            "Sec-Fetch-Site": "same-origin",
            "Accept": "application/json",
            "X-Forwarded-For": source,
        },
    )


def views_now(site) -> int:
    """The article's views straight from the app (nginx's copy may be a second old)."""
    _, _, body = send(f"{site['app']}/api/articles/{site['id']}/engagement/")
    return json.loads(body)["views"]


def test_the_shipped_configuration_micro_caches_the_counts_without_a_lock():
    """deploy/nginx.conf keeps the counts JSON 1 s, serves the stale copy while one request
    updates it, never makes readers wait for each other, and revalidates with the ETag."""
    text = NGINX_CONF.read_text()
    block = re.search(
        r"location ~ \^/api/articles/\[0-9\]\+/engagement/\$ \{(.*?)\n    \}", text, re.S
    )
    assert block, "the counts location is missing"
    for directive in (
        r"proxy_cache byline_pages;",
        r"proxy_cache_valid 200 404 1s;",
        r"proxy_cache_lock off;",
        r"proxy_cache_revalidate on;",
        r"proxy_cache_background_update on;",
        r"proxy_cache_use_stale updating error timeout",
        r"proxy_ignore_headers Cache-Control Expires Vary X-Accel-Expires;",
    ):
        assert re.search(rf"(?m)^\s*{directive}", block.group(1)), directive
    assert "Set-Cookie" not in block.group(1)  # a response setting a cookie is never stored


def test_nginx_answers_the_counts_from_its_micro_cache_and_304_when_unchanged(site):
    """The second reader within a second gets nginx's copy; a reader whose page already
    shows these counts gets a 304 from nginx; nobody gets a cookie."""
    url = f"{site['nginx']}/api/articles/{site['id']}/engagement/"
    # The copy lives one second: on a loaded machine two requests can be further
    # apart than that, so a few pairs are tried; one of them must be served by nginx.
    for _ in range(5):
        send(url)
        status, headers, body = send(url)
        assert status == 200
        if headers["x-cache"] in {"HIT", "UPDATING"}:
            break
    assert headers["x-cache"] in {"HIT", "UPDATING"}
    assert "set-cookie" not in headers
    assert json.loads(body)["reactions"]
    status, again, _ = send(url, headers={"If-None-Match": headers["etag"]})
    if again.get("x-cache") == "HIT":
        assert status == 304
    assert status in (200, 304)


def test_the_beacon_through_nginx_counts_once_and_answers_the_counts(site):
    """One request a page view: the beacon is counted (once per reader) and carries the
    counts, with no cookie; a bot's beacon is answered but not counted."""
    before = views_now(site)
    status, headers, body = beacon(site)
    assert status == 200
    assert "set-cookie" not in headers
    assert headers["etag"]
    assert json.loads(body)["reactions"]
    assert views_now(site) == before + 1
    beacon(site)  # the same reader again
    assert views_now(site) == before + 1
    status, _, _ = beacon(site, agent=BOT, source="203.0.113.21")
    assert status == 200
    assert views_now(site) == before + 1


def test_the_counts_through_nginx_catch_up_within_seconds(site):
    """A new view shows in the counts nginx hands out a second or two later, not minutes."""
    url = f"{site['nginx']}/api/articles/{site['id']}/engagement/"
    beacon(site, source="203.0.113.22")
    expected = views_now(site)
    seen = []
    for _ in range(50):  # a bound on the loop, not a timing: nginx refreshes each second
        _, _, body = send(url)
        seen.append(json.loads(body)["views"])
        if seen[-1] == expected:
            break
        time.sleep(0.1)
    assert seen[-1] == expected, seen
