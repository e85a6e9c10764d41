"""Slow and abusive clients: readers are served through the shipped nginx configuration.

Starts the real app (`byline run --production`, granian) on a throwaway SQLite
data folder and the real nginx running deploy/nginx.conf in front, then opens
500 slow connections (slow headers, slow bodies, idle keep-alive) from
127.0.0.2 while readers on 127.0.0.1 read the article, its counts and vote.
The generated configuration shortens the shipped timeouts to 2 s so the test
does not wait 10 s per connection; that the shipped file sets them is checked
separately. Skipped without nginx or granian. The ports are two free ones, or the
first two in ``BYLINE_TEST_PORTS`` (e.g. ``8810,8811``).
"""

import re
import sys

import pytest

from bench.harness import NGINX_CONF
from bench.slowclients import run_slow_clients, site_reader_requests
from tests.deploy.conftest import needs_nginx_and_granian, site_behind_nginx

pytestmark = needs_nginx_and_granian

SHORT_TIMEOUTS = {
    "client_header_timeout": "2s",
    "client_body_timeout": "2s",
    "send_timeout": "2s",
    "keepalive_timeout": "2s",
}
ATTACKER = "127.0.0.2"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """The app under granian with the shipped nginx configuration in front: both URLs."""
    with site_behind_nginx(tmp_path_factory, "slow-clients", 0, directives=SHORT_TIMEOUTS) as site:
        yield site


@pytest.fixture
def nginx_in_front(servers) -> str:
    return servers["nginx"]


def test_the_shipped_nginx_configuration_buffers_and_times_out_slow_clients():
    """deploy/nginx.conf reads requests whole and closes dawdling connections."""
    text = NGINX_CONF.read_text()
    for directive in (
        r"client_header_timeout \d+s;",
        r"client_body_timeout \d+s;",
        r"send_timeout \d+s;",
        r"keepalive_timeout \d+s;",
        r"client_body_buffer_size \d+k;",
        r"proxy_request_buffering on;",
        r"limit_conn_zone \$binary_remote_addr zone=byline_per_ip:\d+m;",
        r"limit_conn byline_per_ip \d+;",
        r"limit_conn_status 429;",
    ):
        assert re.search(rf"(?m)^\s*{directive}", text), directive


def test_readers_are_served_while_500_slow_clients_are_connected(nginx_in_front):
    """Slow headers, slow bodies and idle keep-alive connections, 500 at all times, from
    one address: every reader request is answered 2xx, and the server closes every slow
    connection once it stalls (none is left open by the time the attack is over)."""
    requests = site_reader_requests(nginx_in_front)
    result = run_slow_clients(
        nginx_in_front,
        clients=500,
        seconds=6,
        reader_paths=requests,
        readers=8,  # readers behind one shared address (a newsroom's NAT)
        interval=1.0,  # bodies trickle faster than client_body_timeout: held open
        slow_source=ATTACKER,
        vote_path=requests[2].path,
        reference=False,
        wait_for_server_close=30,  # then they stall: the timeouts must close them
    )
    readers, slow = result["attack"], result["slow"]
    print(result, file=sys.stderr)

    assert readers["requests"] > 0
    assert readers["ok"] == readers["requests"], readers["statuses"]
    for request in requests:
        statuses = readers["per_path"][f"{request.method} {request.path}"]
        assert statuses and all(status.startswith("2") for status in statuses), statuses

    assert slow["connections"] >= 500
    assert slow["connect_failed"] == 0
    assert slow["still_open"] == 0, "connections the server never closed"
    assert slow["closed_by_server"] == slow["connections"]
    assert set(slow["closed_by_kind"]) == {"headers", "body", "idle"}
    assert not any(status.startswith("5") for status in slow["answered"]), slow["answered"]


def test_one_address_cannot_hold_more_slow_uploads_than_its_limit(nginx_in_front):
    """Beyond 128 requests in progress from one address nginx answers 429 at once;
    readers at other addresses are not limited."""
    requests = site_reader_requests(nginx_in_front)
    result = run_slow_clients(
        nginx_in_front,
        clients=200,
        seconds=3,
        reader_paths=requests[:1],
        readers=2,
        kinds=("body",),
        interval=1.0,
        slow_source=ATTACKER,
        vote_path=requests[2].path,
        reference=False,
        wait_for_server_close=30,
    )
    assert result["slow"]["answered"].get("429", 0) > 0, result["slow"]
    assert result["attack"]["ok"] == result["attack"]["requests"] > 0


def test_the_app_server_alone_serves_readers_through_slow_headers_and_idle_connections(
    servers,
):
    """granian as `byline run --production` starts it: 500 connections dawdling over
    their headers or left idle take no Python thread and fit in its connection slots,
    so readers are served, and its header read timeout (10 s) closes every one of
    them. Slow bodies it cannot time out (docs/deploy.md), which is why it binds to
    loopback behind nginx."""
    result = run_slow_clients(
        servers["app"],
        clients=500,
        seconds=3,
        reader_paths=["/"],
        readers=2,
        kinds=("headers", "idle"),
        interval=30.0,  # one opening, then silence
        reference=False,
        wait_for_server_close=60,
    )
    slow, readers = result["slow"], result["attack"]
    assert readers["ok"] == readers["requests"] > 0, readers["statuses"]
    assert slow["connections"] == 500
    assert slow["still_open"] == 0
    assert slow["closed_by_kind"] == {"headers": 250, "idle": 250}


def test_endpoints_nginx_never_caches_skip_its_cache_and_its_lock(nginx_in_front):
    """The reader's own votes JSON, asked for by readers of a page at once, goes straight to
    the app: under proxy_cache_lock concurrent requests waited in 500 ms steps. (The
    counts JSON has a micro-cache of its own, without a lock: tests/deploy/test_readers.py.)"""
    import urllib.request

    counts = site_reader_requests(nginx_in_front)[1].path
    with urllib.request.urlopen(f"{nginx_in_front}{counts}mine/", timeout=10) as response:
        assert response.status == 200
        assert response.headers["X-Cache"] == "BYPASS"
