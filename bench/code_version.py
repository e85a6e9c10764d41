"""What the code's version (``byline.pagecache.codeversion``) costs a worker's start.

Each round starts fresh Python processes that load the WSGI application as a granian
worker does (``byline.wsgi``), one without the version and one that then computes it
(A B B A), and prints the medians: the version's own time, and the worker's start with
and without it, with their ratio. The files are in the OS's page cache after the
first round (as on a server restarted: they were just installed or read).

    python bench/code_version.py             # 7 rounds
    python bench/code_version.py --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = """
import json, time
start = time.perf_counter()
import byline.wsgi
loaded = time.perf_counter()
version = None
if {compute}:
    from byline.pagecache.codeversion import computed_version
    version = computed_version()
done = time.perf_counter()
print(json.dumps({{"start": done - start, "version": done - loaded, "id": version}}))
"""


def one(compute: bool, environment: dict[str, str]) -> dict:
    output = subprocess.run(
        [sys.executable, "-c", WORKER.format(compute=compute)],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    environment = dict(
        os.environ,
        BYLINE_PRODUCTION="1",
        BYLINE_SECRET_KEY=secrets.token_urlsafe(50),
        BYLINE_ALLOWED_HOSTS="127.0.0.1",
        BYLINE_DATA_DIR=tempfile.mkdtemp(prefix="byline-bench-version-"),
        DJANGO_SETTINGS_MODULE="byline.settings",
    )
    environment.pop("REDIS_URL", None)
    one(True, environment)  # the files into the OS's cache, the bytecode compiled
    without, with_version, version, ids = [], [], [], set()
    for _ in range(rounds):
        for compute in (False, True, True, False):  # A B B A
            result = one(compute, environment)
            (with_version if compute else without).append(result["start"])
            if compute:
                version.append(result["version"])
                ids.add(result["id"])
    a, b = statistics.median(without), statistics.median(with_version)
    print(f"code version {sorted(ids)}: {statistics.median(version) * 1000:.1f} ms a process")
    print(f"worker start without: {a * 1000:.0f} ms, with: {b * 1000:.0f} ms, ratio {b / a:.3f}")


if __name__ == "__main__":
    main()
