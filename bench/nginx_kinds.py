"""nginx's own CPU a request, for each kind of request a page view sends, side by side.

Starts deploy/nginx.conf as bench/readers.py does (``shipped_nginx_config``: two
workers, ``pcre_jit on``, the main access log off as in bench/readers.py) over
a folder holding what the app would have written — an article's page file and
its compressed copy, site.css and its copy, the article's counts file — with
no app behind it: every kind measured is one nginx answers alone. For each kind
wrk sends that one request over and over (``--connections`` clients,
``--seconds`` each) and the bench reads the nginx workers' CPU from /proc:

  page new       the page file on a new connection (``Connection: close``: the
                 TCP set-up and close a reader's session costs, once a view)
  page           the page file on a kept connection (compressed copy)
  page 304       a returning reader's revalidation of the page
  page styled    the same page carrying site.css (as ``byline.styles`` writes it
                 into every page since 2026-12-05; compressed copy)
  css            site.css for a new reader (compressed copy): what the page
                 linked before
  beacon         the view beacon (POST, same-origin, JSON): the counts file,
                 and one line in the view log
  beacon bot     the same from a declared bot (no line)
  refresh 304    a refresh of the counts that nothing changed (304)
  refresh        a refresh of the counts after a change (200: the counts file)
  beacon talked  the beacon of an article whose counts carry the reaction counts
                 of 200 comments (about 3 KB)
  counts talked  that article's counts, changed since the reader's last look (200)
  session        the comment session nginx answers (a reader with no cookie)

``--against <checkout>`` runs that tree's deploy/nginx.conf (or ``--against
<file>``, a variant of the site file) beside this one's,
each kind in the order A B B A (``--rounds`` times), and prints both (the median
of each side's runs) and their ratio, and what a page view sends beyond the page
costs nginx by readers.py's mix of requests now (``MIX``: the beacon, the
refreshes; site.css is written into every page, and the comment session is
asked only by the few readers who commented), and a new reader's page with the
stylesheet linked (page +
css) against written in (page styled): how a change
of the configuration is measured on a shared machine. The requests a page view
makes of each kind come from ``bench/readers.py`` (its "requests by kind").

``--gap MS`` makes each client wait that long after each answer, so a worker
sleeps between requests as it does under bench/readers.py (a reader's tab sends a
request every few seconds, not back to back): each request is then its own wake-up
of a worker from idle, which costs nginx several times the request's own work
(2026-12-05, an idle machine, ``-c1``: a beacon 7.6 µs back to back, 35-38 µs with
1-10 ms gaps; the page 9 against 36-66), and every kind alike.

``--instructions`` measures instead what does not vary with the machine's load:
each tree's nginx runs as one process under valgrind's callgrind, then under
``strace -c``, and each kind is sent ``--requests`` times over one kept
connection: nginx's own instructions a request (its code, the regular
expressions, libc; not the kernel's work, which the CPU figures include) and
its system calls a request. Exact to a few instructions from run to run, so a
change of a map or a location worth a few hundred instructions shows where the
CPU figures' noise (±10%) hides it.

    .venv/bin/python bench/nginx_kinds.py [--against ../old] [--seconds 3]
    .venv/bin/python bench/nginx_kinds.py --instructions --kinds beacon [--against ../old]
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(1, str(ROOT))

from harness import (  # noqa: E402  (bench/ is on the path)
    NGINX_CONF,
    Bench,
    CheckFailed,
    Server,
    StackCPU,
    bench_parser,
    fetch,
    shipped_nginx_config,
    start_nginx,
    stop_process_group,
    wait_for,
)

from byline.styles import minify  # noqa: E402

ARTICLE = 7
TALKED = 8  # an article whose counts carry the reaction counts of many comments
REACTED = 200
# The requests a page view sends beyond the page, by kind (bench/readers.py --scripts
# html,after at 480 simulated readers, 2026-12-05 after site.css went into the page and
# the comment session behind its marker: requests a second / views a second; the
# comment session (the app's, for readers who commented) under 0.01).
MIX = {"beacon": 1.0, "refresh": 0.15, "refresh 304": 0.02}
PAGE = "/2026/12/05/the-bench-article/"
STYLED = "/2026/12/05/the-styled-bench-article/"
CSS = "/static/byline/site.0123456789ab.css"
AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BROWSER = {
    "User-Agent": AGENT,
    "Accept-Encoding": "gzip, deflate, br",
    "Accept-Language": "en-GB,en;q=0.5",
}


def prepare(work: Path) -> Path:
    """The app's files as it writes them (page, counts, static); the static folder."""
    data = work / "data"
    html = (ROOT / "bench" / "nginx_kinds.py").read_text() * 4  # about 30 KB of text
    # The styles as byline.styles writes them (its minify: no Django needed to call it).
    styles = minify((ROOT / "byline" / "static" / "byline" / "site.css").read_text())
    for path, head in ((PAGE, ""), (STYLED, f"<style>{styles}</style>")):
        page = data / "pages" / "current" / "http" / "127.0.0.1" / path.strip("/") / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(f"<!doctype html><title>bench</title>{head}<pre>{html}</pre>")
        page.with_suffix(".html.gz").write_bytes(gzip.compress(page.read_bytes()))
    static = data / "static"
    css = static / CSS.removeprefix("/static/")
    css.parent.mkdir(parents=True)
    css.write_bytes((ROOT / "byline" / "static" / "byline" / "site.css").read_bytes())
    css.with_suffix(".css.gz").write_bytes(gzip.compress(css.read_bytes()))
    counts = data / "views" / "counts"
    counts.mkdir(parents=True)
    (counts / f"{ARTICLE}.json").write_text(
        '{"views": 1234, "comments": 5, "reactions": {"happy": 3}, "comment_reactions": {}}'
    )
    reacted = ", ".join(f'"{100000 + n}": {n % 17 + 1}' for n in range(REACTED))
    (counts / f"{TALKED}.json").write_text(
        '{"views": 123456, "comments": 321, "reactions": {"happy": 3},'
        f' "comment_reactions": {{{reacted}}}}}'
    )
    (data / "views" / "reactions").mkdir()
    (data / "media").mkdir()
    return static


def kinds(url: str) -> dict[str, tuple[str, str, dict[str, str]]]:
    """Each kind: (method, path, headers), the ETags asked of nginx first."""
    page_tag = fetch(url + PAGE, BROWSER)[1]["etag"]
    counts = f"/api/articles/{ARTICLE}/engagement/"
    counts_tag = fetch(url + counts, BROWSER)[1]["etag"]
    beacon = {**BROWSER, "Sec-Fetch-Site": "same-origin", "Accept": "application/json"}
    beacon |= {"Origin": url, "Content-Length": "0"}
    view = f"/api/articles/{ARTICLE}/view/"
    return {
        "page new": ("GET", PAGE, {**BROWSER, "Connection": "close"}),
        "page": ("GET", PAGE, BROWSER),
        "page 304": ("GET", PAGE, {**BROWSER, "If-None-Match": page_tag}),
        "page styled": ("GET", STYLED, BROWSER),
        "css": ("GET", CSS, BROWSER),
        "beacon": ("POST", view, beacon),
        "beacon bot": ("POST", view, {**beacon, "User-Agent": BOT}),
        "refresh 304": ("GET", counts, {**BROWSER, "If-None-Match": counts_tag}),
        "refresh": ("GET", counts, {**BROWSER, "If-None-Match": '"changed"'}),
        "beacon talked": ("POST", f"/api/articles/{TALKED}/view/", beacon),
        "counts talked": ("GET", f"/api/articles/{TALKED}/engagement/", BROWSER),
        "session": ("GET", f"/comments/session/?article={ARTICLE}", BROWSER),
    }


def nginx_cpu(group: int) -> float:
    """CPU seconds of the nginx whose process group is ``group``, to the nanosecond."""
    stack = StackCPU({group: "nginx"})
    return stack.since({}, stack.snapshot())["nginx"]


def run_kind(
    url: str, group: int, request: tuple[str, str, dict[str, str]], args, script: Path
) -> tuple[float, float, int]:
    """(µs of nginx CPU a request, requests a second, answers not 2xx/3xx)."""
    method, path, headers = request
    # --gap: each client waits that long after an answer, as a reader's tab does.
    pause = f"function delay() return {args.gap} end\n" if args.gap else ""
    script.write_text(f'wrk.method = "{method}"\n{pause}')
    command = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    before = nginx_cpu(group)
    out = subprocess.run(command + [url + path], capture_output=True, text=True, check=True)
    spent = nginx_cpu(group) - before
    total = int(re.search(r"(\d+) requests in", out.stdout).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out.stdout)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out.stdout).group(1))
    return spent / max(total, 1) * 1e6, rps, int(bad.group(1)) if bad else 0


def send(port: int, request: tuple[str, str, dict[str, str]], times: int = 1) -> None:
    """One kind of request ``times`` over one kept connection, each answer read whole
    (a missing static file, a mark in strace's record, answers 404)."""
    method, path, headers = request
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(times):
        connection.request(method, path, headers=headers)
        answer = connection.getresponse()
        answer.read()
        if answer.status >= 400 and not path.startswith("/static/byline-mark"):
            raise CheckFailed(f"{method} {path}: {answer.status}")
    connection.close()


def measure(tool, process, port: int, chosen: list[str], requests: int, out: Path, figures) -> None:
    """Each kind sent to the nginx under ``tool``; callgrind's counts kept in ``figures``
    (strace's are read from its record once nginx has stopped)."""
    url = f"http://127.0.0.1:{port}"
    wait_for(url + PAGE, Server(process, 0, tool), seconds=120)
    every = kinds(url)
    for kind in chosen:
        send(port, every[kind], 20)  # descriptors opened, caches filled
        if tool == "callgrind":
            control = ["callgrind_control", str(process.pid)]
            subprocess.run([*control[:1], "-z", *control[1:]], check=True, capture_output=True)
            send(port, every[kind], requests)
            before = set(out.parent.glob(f"{out.name}.*"))
            subprocess.run([*control[:1], "-d", *control[1:]], check=True, capture_output=True)
            (dump,) = set(out.parent.glob(f"{out.name}.*")) - before
            total = re.search(r"^(?:summary|totals):\s*(\d+)", dump.read_text(), re.M)
            if total is None:
                raise CheckFailed(f"no totals in {dump}")
            figures[kind].append(int(total[1]) / requests)
        else:  # the kind's calls: those between two marks (a request each)
            send(port, ("GET", "/static/byline-mark", {}))
            send(port, every[kind], requests)
            send(port, ("GET", "/static/byline-mark", {}))


def counted(config: Path, port: int, chosen: list[str], requests: int, logs: Path) -> dict:
    """For each kind: (nginx's instructions a request, its system calls a request), nginx
    as one process (``master_process off``) under callgrind, then under strace."""
    alone = config.with_name(config.stem + "-alone.conf")
    listen = re.search(r"listen 127\.0\.0\.1:(\d+);", config.read_text())[1]
    text = config.read_text().replace("worker_processes 2;", "master_process off;")
    pid = alone.with_suffix(".pid")
    text = re.sub(r"(?m)^pid .*;$", f"pid {pid};", text)
    alone.write_text(text.replace(f"listen 127.0.0.1:{listen};", f"listen 127.0.0.1:{port};"))
    nginx = ["nginx", "-c", str(alone), "-g", "daemon off;"]
    out = alone.with_suffix(".out")
    figures: dict[str, list[float]] = {kind: [] for kind in chosen}
    for tool in ("callgrind", "strace"):
        if tool == "callgrind":
            command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p", *nginx]
        else:
            command = ["strace", "-f", "-o", str(out), *nginx]
        log = logs / f"{alone.stem}-{tool}.log"
        pid.unlink(missing_ok=True)  # (a stale one would name another process)
        process = subprocess.Popen(
            command, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            measure(tool, process, port, chosen, requests, out, figures)
        finally:
            stop_alone(process, pid, f"nginx under {tool}", log)
    calls = [line for line in out.read_text().splitlines() if "resumed>" not in line]
    marks = [i for i, line in enumerate(calls) if "GET /static/byline-mark" in line]
    for kind, first, last in zip(chosen, marks[::2], marks[1::2], strict=True):
        figures[kind].append((last - first) / requests)
    return figures


# How long nginx run alone under valgrind or strace may take to write its pid file, and
# then to stop once told to (valgrind's nginx starts in seconds, stops in less).
PID_SECONDS = 60.0


def stop_alone(
    process: subprocess.Popen, pid: Path, what: str, log: Path, seconds: float = PID_SECONDS
) -> None:
    """Stop ``process`` (valgrind or strace running nginx alone): SIGTERM to nginx itself,
    named by its ``pid`` file (strace ends with it, valgrind is it). One that wrote no
    pid within ``seconds`` (or did not stop within them) is stopped with its whole
    process group and is a ``CheckFailed`` naming ``log``: never a wait for ever."""
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        written = pid.read_text().strip() if pid.exists() else ""
        if written.isdigit():  # (an empty file: nginx is writing it)
            try:
                os.kill(int(written), signal.SIGTERM)
            except ProcessLookupError:  # nginx gone, valgrind or strace not: wait for them
                pass
            else:
                try:
                    process.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    break
                return
        time.sleep(0.1)
    if process.poll() is not None:  # it ended by itself (whatever failed says why)
        return
    stop_process_group(process)
    raise CheckFailed(
        f"{what} wrote no pid file ({pid}) or did not stop within {seconds:.0f} s: "
        f"stopped it; see {log}"
    )


def main() -> int:
    parser = bench_parser(__doc__, 18250, 2, "one 1 s run of each kind, answers checked")
    parser.add_argument("--seconds", type=int, default=3, help="wrk's run of each kind")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--gap",
        type=int,
        default=0,
        help="ms each client waits after an answer (nginx idle between requests, as in"
        " bench/readers.py: each request its own wake-up of a worker from idle)",
    )
    parser.add_argument("--against", type=Path, help="another checkout whose nginx.conf to run")
    parser.add_argument("--kinds", default="", help="only these kinds (comma-separated)")
    parser.add_argument("--rounds", type=int, default=1, help="A B B A this many times (medians)")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="nginx's instructions and system calls a request (callgrind, strace), not CPU",
    )
    parser.add_argument("--requests", type=int, default=1000, help="of each kind (--instructions)")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 1
    with Bench("byline-nginx-kinds-") as bench:
        static = prepare(bench.work)
        trees = {"this": NGINX_CONF}
        if args.against:
            against = args.against.resolve()
            trees["against"] = against if against.is_file() else against / "deploy" / "nginx.conf"
        servers: dict[str, tuple[str, int, Path]] = {}
        for index, (name, source) in enumerate(trees.items()):
            port = args.port_base + index
            work = bench.work / name
            work.mkdir()
            # No app behind it: the upstream's port is one nobody listens on.
            config = shipped_nginx_config(work, port, 9, static, source=source)
            server = bench.add(start_nginx(config, bench.logs))
            wait_for(f"http://127.0.0.1:{port}{PAGE}", server)
            servers[name] = (f"http://127.0.0.1:{port}", server.process.pid, config)
        every = {name: kinds(url) for name, (url, _, _) in servers.items()}
        chosen = [k for k in every["this"] if not args.kinds or k in args.kinds.split(",")]
        if args.instructions:
            return instructions(servers, chosen, args, bench)
        order = list(servers) if len(servers) == 1 else ["this", "against", "against", "this"]
        order *= args.rounds
        script = bench.work / "request.lua"
        views = bench.work / "data" / "views"
        gap = f", {args.gap} ms between a client's requests" if args.gap else ""
        print(f"nginx CPU a request, wrk -c{args.connections}{gap}, {args.seconds} s a run")
        print(f"{'kind':<12}" + "".join(f"{name:>22}" for name in servers) + "   ratio")
        failed = False
        medians: dict[str, dict[str, float]] = {}
        for kind in chosen:
            figures: dict[str, list[float]] = {name: [] for name in servers}
            for name in order:
                url, group, _ = servers[name]
                lines = sum(1 for f in views.glob("views-*.log") for _ in f.open("rb"))
                cpu, rps, bad = run_kind(url, group, every[name][kind], args, script)
                logged = sum(1 for f in views.glob("views-*.log") for _ in f.open("rb")) - lines
                if bad:
                    print(f"  {name} {kind}: {bad} answers not 2xx/3xx")
                    failed = True
                if kind == "beacon bot" and logged:
                    print(f"  {name} {kind}: {logged} lines in the view log")
                    failed = True
                sent = rps * args.seconds
                if kind in ("beacon", "beacon talked") and abs(logged - sent) > sent / 5:
                    print(f"  {name} {kind}: {logged} lines for about {sent:.0f}")
                figures[name].append(cpu)
                time.sleep(0.2)
            means = {name: statistics.median(v) for name, v in figures.items()}
            medians[kind] = means
            cells = "".join(
                f"{means[name]:>8.1f} µs ({', '.join(f'{v:.0f}' for v in figures[name])})"
                for name in servers
            )
            ratio = f"{means['this'] / means['against']:>8.2f}" if len(servers) > 1 else ""
            print(f"{kind:<12}{cells}{ratio}")
        if all(kind in medians for kind in MIX):
            mix = ", ".join(f"{kind} {share}" for kind, share in MIX.items())
            print(f"a page view beyond the page ({mix}):", end="")
            for name in servers:
                print(f" {name} {sum(medians[k][name] * s for k, s in MIX.items()):.1f} µs", end="")
            print()
        if all(kind in medians for kind in ("page", "css", "page styled")):
            print("a new reader's page and stylesheet, linked (page + css) → written in:", end="")
            for name in servers:
                linked = medians["page"][name] + medians["css"][name]
                print(f" {name} {linked:.1f} → {medians['page styled'][name]:.1f} µs", end="")
            print()
        if failed:
            raise CheckFailed("some answers were not what a reader gets")
    return bench.exit_code


def instructions(servers: dict, chosen: list[str], args, bench: Bench) -> int:
    """``--instructions``: each tree's figures by kind, and their ratio."""
    print(f"nginx alone, {args.requests} requests of each kind over one kept connection")
    figures = {
        name: counted(config, args.port_base + 10 + index, chosen, args.requests, bench.logs)
        for index, (name, (_, _, config)) in enumerate(servers.items())
    }
    print(f"{'kind':<14}" + "".join(f"{name + ' instructions, calls':>34}" for name in servers))
    for kind in chosen:
        cells = "".join(
            f"{figures[n][kind][0]:>22,.0f} {figures[n][kind][1]:>11.2f}" for n in servers
        )
        ratio = ""
        if len(servers) > 1:
            ratio = f"   {figures['this'][kind][0] / figures['against'][kind][0]:.3f}"
        print(f"{kind:<14}{cells}{ratio}")
    return bench.exit_code


if __name__ == "__main__":
    sys.exit(main())
