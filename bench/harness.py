"""What the benchmarks share: servers, nginx, wrk, child processes, figures, checks.

- a scratch folder whose servers stop, and a run that fails loudly: ``Bench``;
- the app in production mode (``production_environment``, ``start_app``), nginx with the
  shipped configuration (``shipped_nginx_config``, ``start_nginx``), ``wait_for``;
- the common options (``bench_parser``: ``--quick``, ``--port-base``);
- figures: ``percentile``, ``timed_gets`` (in-process renders), ``process_cpu``
  (CPU seconds of processes from /proc), ``StackCPU`` (a bench's own stack's CPU by
  role, to the nanosecond: its servers, its database's backends, its Redis),
  ``run_child`` (a child's wall and CPU seconds and peak memory), ``wrk``;
- databases: ``ensure_database``, ``scratch_postgres``.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx.conf"


class CheckFailed(Exception):
    """The bench found Byline serving something wrong."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
    print(f"  ok  {message}")


# --- tools -------------------------------------------------------------------


def postgres_admin(config: Mapping[str, Any]):
    """An autocommit connection to the server's ``postgres`` database with the
    credentials of ``config`` (Django's DATABASES entry, or ``dj_database_url.parse``)."""
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        autocommit=True,
    )


def ensure_database() -> None:
    """Create the PostgreSQL database named by DATABASE_URL if it does not exist."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import dj_database_url
    from psycopg import sql

    config = dj_database_url.parse(url)
    with postgres_admin(config) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            print(f"  created the database {config['NAME']}")


def scratch_postgres(url: str, suffix: str) -> tuple[str, Callable[[], None]]:
    """A new, empty database beside the one ``url`` names (``<name>_<suffix>``, dropped
    first if a failed run left it): its URL, and a function that drops it."""
    import psycopg

    base, _, name = url.rpartition("/")
    scratch = f"{name.split('?')[0]}_{suffix}"
    admin = psycopg.connect(f"{base}/postgres", autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
    admin.execute(f'CREATE DATABASE "{scratch}"')

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        admin.close()

    return f"{base}/{scratch}", drop


def ensure_tools() -> None:
    """wrk and nginx are Debian packages; install them when missing (as root)."""
    missing = [pkg for pkg, exe in (("wrk", "wrk"), ("nginx", "nginx")) if not find(exe)]
    if not missing:
        return
    print(f"installing {' '.join(missing)} with apt-get")
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*prefix, "apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def free_ports(count: int) -> tuple[int, ...]:
    """Ports nothing listens on now, so parallel runs on one machine do not collide."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return tuple(sock.getsockname()[1] for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


def find(executable: str) -> str | None:
    return shutil.which(executable) or next(
        (str(p) for p in (Path("/usr/sbin") / executable,) if p.exists()), None
    )


def stop_process_group(
    process: subprocess.Popen, sig: int = signal.SIGTERM, seconds: float = 15
) -> None:
    """Stop a process started with ``start_new_session`` and its children: ``sig``, then
    SIGKILL if the group has not gone within ``seconds``."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, sig)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    name: str

    def stop(self) -> None:
        stop_process_group(self.process)

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each granian worker (the children of the main process)."""
        sizes = []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        for pid in children.read_text().split() if children.exists() else []:
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match:
                sizes.append(int(match.group(1)) / 1024)
        return sizes


def production_environment(
    data_dir: Path, *, keep_services: bool = True, **settings: str
) -> dict[str, str]:
    """This process's environment for ``byline run --production`` with its data in
    ``data_dir``: page files for nginx, plain-HTTP cookies, links that do not depend
    on the port a request came in on (the app's own or nginx's), then ``settings``.

    Any BYLINE_ setting of the caller's shell is dropped, so a bench measures the
    defaults; so are DATABASE_URL and REDIS_URL unless ``keep_services``.
    """
    dropped = ("BYLINE_",) if keep_services else ("BYLINE_", "DATABASE_", "REDIS_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    env.update(
        BYLINE_PRODUCTION="1",
        BYLINE_SECRET_KEY=secrets.token_urlsafe(50),
        BYLINE_ALLOWED_HOSTS="127.0.0.1,localhost",
        BYLINE_SITE_URL="http://127.0.0.1",
        BYLINE_DATA_DIR=str(data_dir),
        BYLINE_SECURE_COOKIES="0",
        BYLINE_PAGE_FILES_DIR=str(data_dir / "pages"),
        DJANGO_SETTINGS_MODULE="byline.settings",
    )
    env.update(settings)
    return env


def django_in_process(tree: str, **settings: str) -> str:
    """Run ``tree``'s code in this process (on the path, the working folder), with its
    data in a new temporary folder, for Django's test client, then ``settings``;
    DATABASE_URL and REDIS_URL are the caller's. Returns the data folder."""
    sys.path.insert(0, tree)
    os.chdir(tree)
    data = tempfile.mkdtemp(prefix="byline-bench-")
    os.environ.update(
        BYLINE_DEBUG="0",
        BYLINE_SECRET_KEY="bench-" + "x" * 50,
        BYLINE_ALLOWED_HOSTS="testserver",
        BYLINE_SITE_URL="http://testserver",
        BYLINE_DATA_DIR=data,
        BYLINE_PAGE_FILES_DIR=data + "/pages",
        DJANGO_SETTINGS_MODULE="byline.settings",
        **settings,
    )
    return data


def throwaway_site_environment(data_dir: Path, **settings: str) -> dict[str, str]:
    """Production mode on SQLite in ``data_dir``, whatever DATABASE_URL or REDIS_URL say,
    with no vote rate limit (readers here vote many times a second from one address)."""
    return production_environment(
        data_dir, keep_services=False, BYLINE_VOTES_PER_MINUTE="1000000", **settings
    )


def start_app(
    env: dict, port: int, name: str, logs: Path, demo: bool = False, **extra: str
) -> Server:
    """`byline run --production` on ``port``; with ``demo``, an empty site gets the demo."""
    log = (logs / f"{name}.log").open("w")
    flags = [] if demo else ["--no-demo"]
    process = subprocess.Popen(
        [sys.executable, "-m", "byline", "run", "--production", *flags, "--port", str(port)],
        env={**env, **extra},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Server(process, port, name)


class Bench:
    """A bench run: a scratch folder (with ``logs/``) and the servers started in it.

    ``with Bench("byline-bench-") as bench:`` ... ``bench.add(start_app(...))``; at the
    end every server stops, last started first. A ``CheckFailed`` inside is reported
    with the logs' folder, which is kept (``bench.exit_code`` is then 1); after a run
    that passed the folder is removed. A test passes its own ``work`` folder and calls
    ``stop()`` itself.
    """

    def __init__(self, prefix: str = "byline-bench-", work: Path | None = None) -> None:
        self.work = work or Path(tempfile.mkdtemp(prefix=prefix))
        self.work.chmod(0o755)  # nginx's workers read the files in it
        self.logs = self.work / "logs"
        self.logs.mkdir()
        self.servers: list[Server] = []
        self.exit_code = 0

    def add(self, server: Server) -> Server:
        self.servers.append(server)
        return server

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()

    def __enter__(self) -> Bench:
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        self.stop()
        if kind is CheckFailed:
            print(f"FAILED: {error}\nlogs: {self.logs}")
            self.exit_code = 1
            return True
        if kind is None:
            shutil.rmtree(self.work, ignore_errors=True)
        return False


def app_behind_nginx(
    bench: Bench,
    env: dict[str, str],
    app_port: int,
    nginx_port: int,
    *,
    directives: dict[str, str] | None = None,
    demo: bool = True,
) -> tuple[str, str]:
    """The app (``byline run --production``, with the demo site unless ``demo`` is false)
    and the shipped nginx configuration in front, both answering: their base URLs."""
    app_url, nginx_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{nginx_port}"
    app = bench.add(start_app(env, app_port, "app", bench.logs, demo=demo))
    wait_for(f"{app_url}/", app, seconds=120)
    data_dir = Path(env["BYLINE_DATA_DIR"])
    config = shipped_nginx_config(
        bench.work, nginx_port, app_port, data_dir / "static", directives=directives
    )
    nginx = bench.add(start_nginx(config, bench.logs))
    wait_for(f"{nginx_url}/", nginx)
    return app_url, nginx_url


def start_nginx(config: Path, logs: Path) -> Server:
    process = subprocess.Popen(
        [find("nginx"), "-c", str(config), "-g", "daemon off;"],
        stdout=(logs / "nginx.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Server(process, 0, "nginx")


def wait_for(url: str, server: Server, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise CheckFailed(f"{server.name} exited with {server.process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise CheckFailed(f"{server.name} did not answer {url}")


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


# --- nginx ---------------------------------------------------------------------


def shipped_site(
    app_port: int, listen: int, static_root: Path, cache_dir: Path, source: Path = NGINX_CONF
) -> str:
    """deploy/nginx.conf (or ``source``, another tree's) with the local ports and folders,
    TLS replaced by plain HTTP.

    Each substitution must match, so the bench fails loudly if the shipped file
    drifts from what it tests.
    """
    text = source.read_text()
    substitutions = [
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{app_port};"),
        (r"/var/cache/nginx/byline", str(cache_dir)),
        (r"/srv/byline/var/static/", f"{static_root}/"),
        (r"/srv/byline/var/media/", f"{static_root.parent / 'media'}/"),
        (r"/srv/byline/var/pages/current", f"{static_root.parent / 'pages' / 'current'}"),
        # the port-80 redirect server is not what is measured
        (r"server \{\n    listen 80;.*?\n\}\n", ""),
        (
            r"    listen 443 ssl http2;\n    listen \[::\]:443 ssl http2;\n",
            f"    listen 127.0.0.1:{listen};\n",
        ),
        (r"    ssl_certificate .*?;\n    ssl_certificate_key .*?;\n", ""),
    ]
    # The view log's folder (BYLINE_VIEW_LOG_DIR) is written out wherever it is used (a
    # variable in a root or a log's path costs nginx ~3,000 instructions a beacon).
    text, count = re.subn("/srv/byline/var/views/", f"{static_root.parent / 'views'}/", text)
    if not count:
        raise CheckFailed("deploy/nginx.conf no longer names /srv/byline/var/views/")
    for pattern, replacement in substitutions:
        text, count = re.subn(pattern, replacement, text, count=1, flags=re.S)
        if count != 1:
            raise CheckFailed(f"deploy/nginx.conf no longer has {pattern!r}")
    # The access log into the bench's folder (an older tree's file has none of its own).
    return text.replace("/var/log/nginx/access.log", str(cache_dir.parent / "nginx-access.log"))


def check_shipped_config_as_is(work: Path) -> None:
    """`nginx -t` on deploy/nginx.conf with only its certificate and cache paths local."""
    folder = work / "nginx-as-shipped"
    folder.mkdir()
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=news.example.com",
            "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    site = NGINX_CONF.read_text()
    site = site.replace("/etc/letsencrypt/live/news.example.com", str(folder))
    site = site.replace("/var/cache/nginx/byline", str(folder / "cache"))
    site = site.replace("/var/log/nginx/access.log", str(folder / "access.log"))
    site = site.replace("/srv/byline/var/views/", f"{folder}/views/")
    config = folder / "nginx.conf"
    config.write_text(
        f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\n"
        f"http {{\ninclude /etc/nginx/mime.types;\n{site}\n}}\n"
    )
    result = subprocess.run(
        [find("nginx"), "-t", "-c", str(config)], capture_output=True, text=True
    )
    detail = "" if result.returncode == 0 else f": {result.stderr[-400:]}"
    check(
        result.returncode == 0,
        f"deploy/nginx.conf as shipped passes nginx -t{detail}",
    )


def nginx_config(
    work: Path, file_port: int, shipped_port: int, app_port: int, page: Path, static_root: Path
) -> Path:
    temp = work / "nginx-temp"
    temp.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""
    config = f"""{user}worker_processes auto;
pcre_jit on;
pid {work}/nginx.pid;
error_log {work}/logs/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;

    # case a: the saved page, from a file
    server {{
        listen 127.0.0.1:{file_port};
        root {page.parent};
        location / {{
            default_type text/html;
            try_files /{page.name} =404;
        }}
    }}

    # case c: the shipped configuration
{shipped_site(app_port, shipped_port, static_root, work / "nginx-cache")}
}}
"""
    path = work / "nginx.conf"
    path.write_text(config)
    return path


def shipped_nginx_config(
    work: Path,
    listen: int,
    app_port: int,
    static_root: Path,
    *,
    directives: dict[str, str] | None = None,
    worker_connections: int = 4096,
    source: Path = NGINX_CONF,
) -> Path:
    """A whole nginx.conf running only the shipped site (deploy/nginx.conf), on ``listen``.

    ``directives`` replaces the values of directives the shipped file sets
    (e.g. ``{"client_body_timeout": "2s"}`` for a test that must not wait
    10 s); each must be in the file, so a directive that disappears from it
    fails loudly.
    """
    site = shipped_site(app_port, listen, static_root, work / "nginx-cache", source)
    head, server = site.split("\nserver {", 1)  # the upstream block keeps its own values
    for name, value in (directives or {}).items():
        server, count = re.subn(rf"(?m)^(\s+{re.escape(name)}) [^;]+;", rf"\g<1> {value};", server)
        if not count:
            raise CheckFailed(f"deploy/nginx.conf no longer sets {name} for the site")
    site = f"{head}\nserver {{{server}"
    temp = work / "nginx-temp"
    temp.mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""
    # pcre_jit as deploy/nginx.conf's header asks of the main nginx.conf; the
    # http{} as Debian's /etc/nginx/nginx.conf has it (sendfile, tcp_nopush; its
    # access log is the site's own, which sets one for the server).
    config = f"""{user}worker_processes 2;
pcre_jit on;
worker_rlimit_nofile {worker_connections * 2};
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections {worker_connections}; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{site}
}}
"""
    path = work / ("nginx-shipped.conf" if source == NGINX_CONF else f"nginx-{listen}.conf")
    path.write_text(config)
    return path


# --- options and figures ----------------------------------------------------------


def bench_parser(
    doc: str | None, port_base: int, ports: int, quick: str = "CI: short, correctness asserted"
) -> argparse.ArgumentParser:
    """The options every bench takes: ``--quick`` (CI: short, correctness asserted;
    ``quick`` says how short) and, for one that starts servers, ``--port-base``
    (``ports`` ports on 127.0.0.1 from there; none when ``ports`` is 0)."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help=quick)
    if ports:
        parser.add_argument(
            "--port-base",
            type=int,
            default=port_base,
            help=f"{ports} ports on 127.0.0.1 from here",
        )
    return parser


def percentile(values: list[float], pct: float) -> float | None:
    """The ``pct``th percentile (inclusive method) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(pct) - 1]


def timed_gets(client, url: str, runs: int) -> list[float]:
    """Milliseconds of ``runs`` GETs of ``url`` through Django's test ``client``, each
    answered 200 (warm it first: the first render compiles templates)."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, f"{response.status_code} for {url}"
    return timings


@dataclass(frozen=True)
class ProcessCPU:
    pid: int
    name: str
    group: int
    seconds: float

    def cmdline(self) -> bytes:
        return Path(f"/proc/{self.pid}/cmdline").read_bytes()


def process_cpu() -> Iterator[ProcessCPU]:
    """Every process's CPU seconds so far (user + system), name and process group, from
    /proc; a process that exits while it is read is passed over."""
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            fields = text[text.rindex(")") + 2 :].split()
            yield ProcessCPU(
                int(stat.parent.name),
                text[text.index("(") + 1 : text.rindex(")")],
                int(fields[2]),
                (int(fields[11]) + int(fields[12])) / ticks,
            )
        except (OSError, ValueError, IndexError):
            continue


def cpu_seconds(pid: int) -> float:
    """CPU seconds so far of process ``pid`` and all its threads (those gone too), to
    the nanosecond: the kernel's clock of the process (``clock_getcpuclockid``), where
    /proc/<pid>/stat counts ticks of 10 ms, one of which is 5% of what nginx spends in a
    phase of a few seconds at a few hundred views a second. OSError once it is gone."""
    return time.clock_gettime(((~pid) << 3) | 2)  # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)


class StackCPU:
    """CPU seconds of a bench's own stack by role, on a machine shared with others:
    the processes whose process group is one of ``groups`` (a server started with
    ``start_new_session``: the master and its workers), the PostgreSQL backends of
    ``database`` only, the Redis server listening on ``redis_port`` only (none when
    empty), and ``pids`` by role (e.g. load generators) — never the other benches'
    databases and servers.

    Counted per process to the nanosecond (``cpu_seconds``): a process that starts
    between two snapshots counts from zero, and one that exits (a PostgreSQL backend)
    does not make a role's figure go down.
    """

    def __init__(
        self,
        groups: Mapping[int, str],
        database: str = "",
        redis_port: str = "",
        pids: Mapping[int, str] | None = None,
    ):
        self.groups = dict(groups)
        self.database = database
        self.redis_port = redis_port
        self.pids = dict(pids or {})
        self.roles = list(dict.fromkeys([*self.groups.values(), *self.pids.values()]))
        self.roles += ["PostgreSQL", "Redis"]

    def role_of(self, process: ProcessCPU) -> str | None:
        if process.pid in self.pids:
            return self.pids[process.pid]
        if process.group in self.groups:
            return self.groups[process.group]
        if process.name.startswith("postgres") and self.database:
            if f" {self.database} ".encode() in process.cmdline():
                return "PostgreSQL"
        elif process.name.startswith("redis-server") and self.redis_port:
            if f":{self.redis_port}".encode() in process.cmdline():
                return "Redis"
        return None

    def snapshot(self) -> dict[tuple[str, int], float]:
        used: dict[tuple[str, int], float] = {}
        for process in process_cpu():
            try:
                role = self.role_of(process)
                if role:
                    used[(role, process.pid)] = cpu_seconds(process.pid)
            except OSError:  # exited while it was read
                continue
        return used

    def since(
        self, before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]
    ) -> dict[str, float]:
        used = dict.fromkeys(self.roles, 0.0)
        for key, seconds in after.items():
            used[key[0]] = used.get(key[0], 0.0) + max(0.0, seconds - before.get(key, 0.0))
        return used


def redis_port_of(url: str) -> str:
    """The port a ``redis://`` URL names ("" for none): the Redis counted as the bench's."""
    if not url:
        return ""
    port = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    return port.rsplit(":", 1)[1] if ":" in port else "6379"


def database_of(url: str) -> str:
    """The PostgreSQL database a ``postgres://`` URL names ("" otherwise)."""
    if not url.startswith(("postgres://", "postgresql://")):
        return ""
    return url.rsplit("/", 1)[-1].split("?", 1)[0]


def run_child(
    command: list[str], env: dict[str, str], *, quiet: bool = False, cwd: Path = ROOT
) -> tuple[float, float, float]:
    """Run ``command`` to its end: its wall seconds, CPU seconds (what a loaded machine
    does not distort) and peak resident memory in MB. A failure stops the bench."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL if quiet else None
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode})")
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, cpu, usage.ru_maxrss / 1024  # ru_maxrss is in KB


# --- wrk -------------------------------------------------------------------------


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def wrk(url: str, seconds: int, connections: int) -> Run:
    # A slow answer (a cold render queued behind 31 others on a busy machine) is
    # latency, not an error: wrk's default 2 s timeout would count it as one.
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if non_2xx:
        errors += int(non_2xx.group(1))
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Run(rps, latency(out, "50%"), latency(out, "99%"), errors)


def latency(out: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
