"""bench/readers.py's latency: whose queue a slow request waited in.

The readers' p99 is what the bench passes or fails a step on, and on a shared
2-core machine the load generator's own asyncio loop is a queue of its own: an
answer nginx sent in under a millisecond is read when the loop next gets a CPU.
So the bench prints the readers' p50/p99 by kind of request, how late the
generator's loop woke (sampled every 10 ms) and how long its processes waited
for a CPU; ``--request-log`` adds nginx's own time for each request
($request_time), logged by every location of the shipped nginx.conf.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.harness import shipped_nginx_config
from bench.readers import ROLES, Page, RequestLog, Step, Tally, latency_line, merged


def phase(latencies: dict[str, list[float]], lags: list[float]) -> Step:
    tally = Tally()
    for kind, values in latencies.items():
        tally.kinds[kind] += len(values)
        tally.latencies += values
        tally.by_kind[kind] = list(values)
    tally.lags = list(lags)
    tally.waited = 0.5
    return Step("after", 480, 4.0, tally, dict.fromkeys(ROLES, 0.0))


def test_a_step_keeps_each_kinds_latencies_and_the_generators_lag_from_its_phases():
    step = merged(
        [
            phase({"beacon": [0.001] * 99 + [0.300], "html": [0.002] * 100}, [0.0] * 99 + [0.3]),
            phase({"beacon": [0.001] * 100}, [0.0] * 100),
        ]
    )

    assert len(step.tally.by_kind["beacon"]) == 200
    assert len(step.tally.by_kind["html"]) == 100
    assert len(step.tally.lags) == 200
    assert step.tally.waited == pytest.approx(1.0)
    line = latency_line(step)
    # The most asked kind first, each with its p50/p99 and count; the loop's lag after.
    assert line.startswith("p50/p99 ms by kind (requests): beacon 1.0/")
    assert "html 2.0/2 (100)" in line
    assert "generator loop late p50/p99/max 0.0/" in line
    assert "/300 ms" in line
    assert "waited for a CPU 0.12 s a second" in line


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed")
def test_the_request_log_times_every_location_of_the_shipped_nginx(tmp_path: Path):
    config = shipped_nginx_config(tmp_path, 18399, 18398, tmp_path / "static")
    log = RequestLog(tmp_path / "timing.log")
    text = log.configure(config.read_text())
    config.write_text(text)

    assert "access_log off;" not in text
    # Every other log (the view log, the vote log, the access log) keeps its line,
    # followed by the timing log's.
    others = re.findall(r"(?m)^\s*access_log (?!\S*timing\.log)", text)
    assert others
    assert text.count(f"access_log {tmp_path / 'timing.log'} byline_timing") > len(others)
    (tmp_path / "views").mkdir()
    checked = subprocess.run(
        ["nginx", "-t", "-c", str(config)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_the_request_log_tells_the_kinds_apart_by_path_and_who_answered(tmp_path: Path):
    log = RequestLog(tmp_path / "timing.log")
    page = Page(7, "/a/7/", [], "/counts/7/", "/view/7/", "/react/7/", "/rate/7/")
    log.learn([page])
    step = phase({}, [])
    step.wall = (100.0, 110.0)
    (tmp_path / "timing.log").write_text(
        "100.5 0.000 - GET /a/7/ 200\n"
        "101.0 0.001 - POST /view/7/ 200\n"
        "102.0 0.030 0.029 POST /view/7/ 200\n"
        "103.0 0.002 - GET /counts/7/?v=1 304\n"
        "104.0 0.050 0.049 POST /comments/post/ 200\n"
        "111.0 0.900 - GET /a/7/ 200\n"  # after the step: not counted
    )

    line = log.line(step)

    assert "html 0.0/0 (1)" in line
    assert "beacon 1.0/1 (1)" in line
    assert "beacon (app) 30.0/30 (1)" in line
    assert "refresh 2.0/2 (1)" in line
    assert "comment (app) 50.0/50 (1)" in line
    assert "900" not in line
