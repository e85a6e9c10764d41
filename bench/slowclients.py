"""Readers served while slow clients hold connections open: a slowloris bench.

Opens N slow clients against a server and keeps N open for the whole attack
(a client the server closes reconnects half a second later), in an equal mix of

  headers  the request line, then one header byte every ``interval`` seconds,
           never finishing the headers;
  body     a complete POST header announcing a body, then one body byte every
           ``interval`` seconds;
  idle     one complete GET, its answer read, then the keep-alive
           connection left idle.

Meanwhile reader threads send ordinary requests, each on a new connection (so
a server that runs out of connections or threads shows), and the bench prints
their status counts and latency beside the same readers measured in the same
run without the attack. It also reports what happened to the slow
connections: closed by the server, answered (a 408/429 ...), or still open.

    python bench/slowclients.py --start    # Byline (SQLite) + the shipped nginx,
                                           # ports 8510-8511 (--port-base)
    python bench/slowclients.py http://127.0.0.1:8080/
    python bench/slowclients.py http://127.0.0.1:8000/ --clients 64 --kinds body

With --start it measures three attacks: 500 mixed slow clients through
deploy/nginx.conf; twice as many slow bodies as the app server has threads,
straight at the app server; 500 slow headers and idle connections straight
at the app server. The slow clients connect from 127.0.0.2, the readers
(article page, its counts JSON, a vote) from 127.0.0.1.

bench/faults.py calls ``run_slow_clients`` for its "500 slow clients" row.
It needs ``ulimit -n`` above clients + readers + 256 (it raises its own soft
limit up to the hard one, and says so when that is not enough). Timings never fail anything here.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

if __package__:  # imported as bench.slowclients (the tests)
    from bench.harness import percentile
else:  # a script, or imported by another bench, with bench/ on the path
    from harness import percentile

KINDS = ("headers", "body", "idle")


@dataclass(frozen=True)
class ReaderRequest:
    """One request a normal reader sends: ``ReaderRequest("GET", "/articles/x/")``."""

    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, value: str | ReaderRequest) -> ReaderRequest:
        """A plain path string is a GET."""
        return value if isinstance(value, ReaderRequest) else cls("GET", value)


def vote_request(article_id: int, stars: int = 4) -> ReaderRequest:
    """A reader's rating through the JSON API, as the page's script sends it."""
    return ReaderRequest(
        "POST",
        f"/api/articles/{article_id}/rating/",
        json.dumps({"stars": stars}).encode(),
        (("Content-Type", "application/json"), ("Sec-Fetch-Site", "same-origin")),
    )


def site_reader_requests(base_url: str) -> list[ReaderRequest]:
    """A Byline site's first article page, its live counts and a vote on it."""
    import re
    import urllib.request

    front = urllib.request.urlopen(f"{base_url}/", timeout=10).read().decode()  # noqa: S310
    path = re.search(r'href="(/articles/[^"]+/)"', front).group(1)
    page = urllib.request.urlopen(f"{base_url}{path}", timeout=10).read().decode()  # noqa: S310
    article_id = int(re.search(r'data-article="(\d+)"', page).group(1))
    return [
        ReaderRequest("GET", path),
        ReaderRequest("GET", f"/api/articles/{article_id}/engagement/"),
        vote_request(article_id),
    ]


# --- readers -------------------------------------------------------------------------


@dataclass
class ReaderTally:
    statuses: Counter = field(default_factory=Counter)
    per_path: dict[str, Counter] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    path_latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: ReaderRequest, outcome: str, ms: float | None) -> None:
        with self.lock:
            self.statuses[outcome] += 1
            name = f"{request.method} {request.path}"
            self.per_path.setdefault(name, Counter())[outcome] += 1
            if ms is not None:
                self.latencies_ms.append(ms)
                self.path_latencies_ms.setdefault(name, []).append(ms)

    def summary(self) -> dict:
        latencies = sorted(self.latencies_ms)
        answered = sum(n for status, n in self.statuses.items() if status.isdigit())
        ok = sum(n for status, n in self.statuses.items() if status.startswith("2"))
        return {
            "requests": sum(self.statuses.values()),
            "statuses": dict(sorted(self.statuses.items())),
            "per_path": {path: dict(sorted(c.items())) for path, c in self.per_path.items()},
            "per_path_p99_ms": {
                path: percentile(sorted(ms), 99) for path, ms in self.path_latencies_ms.items()
            },
            "answered": answered,
            "ok": ok,
            "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99),
        }


def reader_request(
    host: str,
    port: int,
    request: ReaderRequest,
    host_header: str,
    source: str | None,
    timeout: float,
) -> tuple[str, float | None]:
    """One request on a new connection: its status (or what went wrong) and milliseconds."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(
        host, port, timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        headers = {"Host": host_header, "Connection": "close", **dict(request.headers)}
        connection.request(request.method, request.path, body=request.body or None, headers=headers)
        response = connection.getresponse()
        response.read()
        return str(response.status), (time.perf_counter() - started) * 1000
    except TimeoutError:
        return "timeout", None
    except (OSError, http.client.HTTPException) as error:
        return f"error:{type(error).__name__}", None
    finally:
        connection.close()


def run_readers(
    host: str,
    port: int,
    requests: Sequence[ReaderRequest],
    host_header: str,
    *,
    readers: int,
    seconds: float,
    source: str | None,
    timeout: float,
) -> dict:
    """``readers`` threads sending ``requests`` round-robin for ``seconds``."""
    tally = ReaderTally()
    deadline = time.monotonic() + seconds

    def reader(offset: int) -> None:
        n = offset
        while time.monotonic() < deadline:
            request = requests[n % len(requests)]
            n += 1
            tally.add(request, *reader_request(host, port, request, host_header, source, timeout))
            time.sleep(0.01)  # a reader, not a load generator

    threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally.summary()


# --- slow clients ----------------------------------------------------------------------


@dataclass
class SlowTally:
    connections: int = 0
    connect_failed: int = 0
    closed_by_server: int = 0
    answered: Counter = field(default_factory=Counter)
    still_open: int = 0
    by_kind: Counter = field(default_factory=Counter)

    def summary(self, clients: int) -> dict:
        return {
            "clients": clients,
            "connections": self.connections,
            "connect_failed": self.connect_failed,
            "closed_by_server": self.closed_by_server,
            "answered": dict(sorted(self.answered.items())),
            "still_open": self.still_open,
            "closed_by_kind": dict(sorted(self.by_kind.items())),
        }


def first_bytes(kind: str, host_header: str, slow_path: str, vote_path: str) -> bytes:
    if kind == "headers":
        return f"GET {slow_path} HTTP/1.1\r\nHost: {host_header}\r\nX-Slow: ".encode()
    if kind == "body":
        return (
            f"POST {vote_path} HTTP/1.1\r\nHost: {host_header}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Sec-Fetch-Site: same-origin\r\nContent-Length: 100000\r\n\r\nstars="
        ).encode()
    return f"GET {slow_path} HTTP/1.1\r\nHost: {host_header}\r\n\r\n".encode()


async def hold_connection(
    kind: str,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    opening: bytes,
    interval: float,
    stop: asyncio.Event,
    tally: SlowTally,
) -> bool:
    """Trickle (or idle) until the server closes the connection or ``stop`` is set.

    Returns True when the server closed it.
    """
    writer.write(opening)
    seen_status = False
    try:
        await writer.drain()
        while not stop.is_set():
            read = asyncio.ensure_future(reader.read(65536))
            stopped = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait(
                {read, stopped}, timeout=interval, return_when="FIRST_COMPLETED"
            )
            if read not in done:
                read.cancel()
                stopped.cancel()
                if stop.is_set():
                    return False
                if kind != "idle":
                    writer.write(b"4" if kind == "body" else b"x")
                    await writer.drain()
                continue
            stopped.cancel()
            data = read.result()
            if not data:
                return True
            if not seen_status and data.startswith(b"HTTP/"):
                seen_status = True
                status = data.split(b" ", 2)[1].decode(errors="replace")
                if kind != "idle" or not status.startswith("2"):
                    tally.answered[status] += 1
        return False
    except (ConnectionError, OSError):
        return True


async def slow_client(
    kind: str,
    host: str,
    port: int,
    opening: bytes,
    interval: float,
    reconnect_delay: float,
    source: str | None,
    stop: asyncio.Event,
    drain: asyncio.Event,
    tally: SlowTally,
) -> None:
    while not stop.is_set():
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, local_addr=(source, 0) if source else None),
                timeout=10,
            )
        except (OSError, TimeoutError):
            tally.connect_failed += 1
            await asyncio.sleep(min(interval, 1.0))
            continue
        tally.connections += 1
        try:
            closed = await hold_connection(kind, reader, writer, opening, interval, stop, tally)
            if not closed:
                # The attack is over: wait (without sending) for the server to close it.
                closed = await wait_for_close(reader, drain)
            if closed:
                tally.closed_by_server += 1
                tally.by_kind[kind] += 1
            else:
                tally.still_open += 1
        finally:
            writer.close()
        if not stop.is_set():
            await asyncio.sleep(reconnect_delay)


async def wait_for_close(reader: asyncio.StreamReader, drain: asyncio.Event) -> bool:
    while not drain.is_set():
        read = asyncio.ensure_future(reader.read(65536))
        over = asyncio.ensure_future(drain.wait())
        done, _ = await asyncio.wait({read, over}, return_when="FIRST_COMPLETED")
        over.cancel()
        if read in done:
            try:
                if not read.result():
                    return True
            except (ConnectionError, OSError):
                return True
        else:
            read.cancel()
    return False


async def attack(
    host: str,
    port: int,
    host_header: str,
    *,
    clients: int,
    kinds: Sequence[str],
    interval: float,
    reconnect_delay: float,
    source: str | None,
    slow_path: str,
    vote_path: str,
    started: threading.Event,
    finished: threading.Event,
    wait_for_server_close: float,
    tally: SlowTally,
) -> None:
    stop = asyncio.Event()
    drain = asyncio.Event()
    tasks = []
    for n in range(clients):
        kind = kinds[n % len(kinds)]
        opening = first_bytes(kind, host_header, slow_path, vote_path)
        tasks.append(
            asyncio.ensure_future(
                slow_client(
                    kind, host, port, opening, interval, reconnect_delay, source, stop, drain, tally
                )
            )
        )
        if n % 50 == 49:
            await asyncio.sleep(0.01)  # let the server accept as they come
    # Readers start once every slow client has had its chance to connect.
    while tally.connections + tally.connect_failed < clients:
        await asyncio.sleep(0.05)
    started.set()
    while not finished.is_set():
        await asyncio.sleep(0.05)
    stop.set()
    loop = asyncio.get_running_loop()
    loop.call_later(wait_for_server_close, drain.set)
    await asyncio.gather(*tasks)


def raise_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        raise RuntimeError(f"ulimit -n is {soft}: {needed} sockets are needed")


def run_slow_clients(
    base_url: str,
    *,
    clients: int = 500,
    seconds: float = 10.0,
    reader_paths: Sequence[str | ReaderRequest] = ("/",),
    readers: int = 4,
    kinds: Sequence[str] = KINDS,
    interval: float = 1.0,
    reconnect_delay: float = 0.5,
    slow_source: str | None = "auto",
    reader_source: str | None = None,
    vote_path: str = "/api/articles/1/rating/",
    reference: bool = True,
    reader_timeout: float = 10.0,
    wait_for_server_close: float = 0.0,
) -> dict:
    """Measure readers of ``base_url`` with and without ``clients`` slow clients open.

    ``reader_paths``: what readers send (a path is a GET; ``ReaderRequest`` or
    ``vote_request()`` for anything else). ``kinds``: the slow clients' mix
    (``headers``, ``body``, ``idle``), shared out evenly. ``interval``: seconds
    between a slow client's bytes; ``reconnect_delay``: its pause before it
    opens a new connection when the server closed one. ``slow_source`` /
    ``reader_source``: local addresses to connect from, so per-address limits
    tell the attacker from readers; ``"auto"`` is 127.0.0.2 against a
    127.0.0.1 server (readers then come from 127.0.0.1), else the system's
    choice. ``wait_for_server_close``: after the attack,
    how long slow connections wait silently for the server to close them;
    those it has not closed by then are counted in ``slow["still_open"]``.

    Returns ``{"reference": readers_without, "attack": readers_during, "slow":
    slow_connections}``; the readers' dicts hold ``requests``, ``statuses``
    (status code, ``timeout`` or ``error:<name>`` -> count), ``ok`` (2xx),
    ``per_path`` (``"GET /path"`` -> statuses), ``p50_ms``, ``p99_ms`` and
    ``per_path_p99_ms``.
    ``slow`` counts the slow connections opened, ``closed_by_server``
    (``closed_by_kind``), ``answered`` (status -> count, e.g. 429 from a
    per-address limit), ``connect_failed`` and ``still_open``.
    """
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    host_header = url.netloc
    requests = [ReaderRequest.of(p) for p in reader_paths]
    if slow_source == "auto":
        slow_source = "127.0.0.2" if host == "127.0.0.1" else None
    raise_open_files_limit(clients + readers + 256)
    result: dict = {}
    if reference:
        result["reference"] = run_readers(
            host, port, requests, host_header,
            readers=readers, seconds=seconds, source=reader_source, timeout=reader_timeout,
        )  # fmt: skip
    tally = SlowTally()
    started, finished = threading.Event(), threading.Event()
    slow_path = requests[0].path if requests[0].method == "GET" else "/"
    attacker = threading.Thread(
        target=lambda: asyncio.run(
            attack(
                host, port, host_header,
                clients=clients, kinds=kinds, interval=interval,
                reconnect_delay=reconnect_delay, source=slow_source,
                slow_path=slow_path, vote_path=vote_path, started=started,
                finished=finished, wait_for_server_close=wait_for_server_close, tally=tally,
            )
        ),
        daemon=True,
    )  # fmt: skip
    attacker.start()
    try:
        started.wait(timeout=120)
        result["attack"] = run_readers(
            host, port, requests, host_header,
            readers=readers, seconds=seconds, source=reader_source, timeout=reader_timeout,
        )  # fmt: skip
    finally:
        finished.set()
        attacker.join()
    result["slow"] = tally.summary(clients)
    return result


def describe(result: dict) -> str:
    """The figures as lines: readers during the attack beside the reference."""
    lines = []
    reference = result.get("reference")
    for name in ("reference", "attack"):
        readers = result.get(name)
        if not readers:
            continue
        p99 = readers["p99_ms"]
        ratio = ""
        if name == "attack" and reference and reference["p99_ms"] and p99:
            ratio = f"  ({p99 / reference['p99_ms']:.1f}x the reference p99)"
        p99_text = f"{p99:.1f} ms" if p99 is not None else "none answered"
        lines.append(
            f"  readers {'without' if name == 'reference' else 'during the'} attack:"
            f" {readers['requests']} requests, {readers['ok']} 2xx, statuses {readers['statuses']},"
            f" p99 {p99_text}{ratio}"
        )
    slow = result["slow"]
    lines.append(
        f"  slow clients: {slow['clients']} kept open, {slow['connections']} connections,"
        f" {slow['closed_by_server']} closed by the server {slow['closed_by_kind']},"
        f" answered {slow['answered']}, connect failures {slow['connect_failed']},"
        f" still open at the end {slow['still_open']}"
    )
    return "\n".join(lines)


def measure_started_site(args: argparse.Namespace) -> int:
    """Byline (SQLite, a scratch folder) behind the shipped nginx, attacked three ways."""
    from harness import Bench, app_behind_nginx, throwaway_site_environment

    with Bench("byline-slow-") as bench:
        env = throwaway_site_environment(bench.work / "data")
        app_url, nginx_url = app_behind_nginx(bench, env, args.port_base, args.port_base + 1)
        requests = site_reader_requests(nginx_url)
        # Twice the app server's threads (one worker per core, 16 threads each).
        threads = 2 * 16 * (os.cpu_count() or 1)
        cases = [
            ("through deploy/nginx.conf", nginx_url, args.clients, KINDS),
            ("the app server alone, slow bodies", app_url, threads, ("body",)),
            (
                "the app server alone, slow headers + idle",
                app_url,
                args.clients,
                ("headers", "idle"),
            ),
        ]
        for name, url, clients, kinds in cases:
            print(f"{name}: {clients} slow clients ({', '.join(kinds)}), {url}")
            result = run_slow_clients(
                url,
                clients=clients,
                seconds=args.seconds,
                reader_paths=requests,
                readers=args.readers,
                kinds=kinds,
                interval=args.interval,
                slow_source="127.0.0.2",
                vote_path=requests[2].path,
            )
            print(describe(result), flush=True)
    return bench.exit_code


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("base_url", nargs="?", help="e.g. http://127.0.0.1:8080")
    parser.add_argument(
        "--start",
        action="store_true",
        help="start Byline (SQLite) behind the shipped nginx and measure both",
    )
    parser.add_argument("--port-base", type=int, default=8510, help="with --start: 2 ports")
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--kinds", default=",".join(KINDS), help="headers,body,idle")
    parser.add_argument("--path", action="append", help="a reader GET path (repeatable)")
    parser.add_argument("--vote-article", type=int, help="readers also rate this article")
    parser.add_argument(
        "--slow-source",
        default="auto",
        help="local address the slow clients connect from (auto: 127.0.0.2 for 127.0.0.1)",
    )
    parser.add_argument("--wait-for-close", type=float, default=0.0)
    args = parser.parse_args()
    if args.start:
        return measure_started_site(args)
    if not args.base_url:
        parser.error("give a base URL, or --start")
    paths: list[str | ReaderRequest] = list(args.path or ["/"])
    vote_path = "/api/articles/1/rating/"
    if args.vote_article:
        paths.append(vote_request(args.vote_article))
        vote_path = f"/api/articles/{args.vote_article}/rating/"
    print(
        f"{args.clients} slow clients ({args.kinds}, a byte every {args.interval} s)"
        f" against {args.base_url}, {args.readers} readers, {args.seconds} s each"
    )
    result = run_slow_clients(
        args.base_url,
        clients=args.clients,
        seconds=args.seconds,
        reader_paths=paths,
        readers=args.readers,
        kinds=args.kinds.split(","),
        interval=args.interval,
        slow_source=args.slow_source,
        vote_path=vote_path,
        wait_for_server_close=args.wait_for_close,
    )
    print(describe(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
