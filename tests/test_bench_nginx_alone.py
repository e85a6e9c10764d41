"""``bench/nginx_kinds.py --instructions`` stops the nginx it ran alone under valgrind or
strace, and never waits for ever on one that did not write its pid file.

A real process stands in for valgrind's nginx: ``sleep`` never writes a pid file (an
nginx still starting, or stuck, under valgrind); a shell that writes its own pid and
waits is one that started.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from bench import nginx_kinds


def started(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(argv, start_new_session=True)


def test_an_nginx_that_never_writes_its_pid_is_a_clear_error_not_a_hang(tmp_path):
    process = started(["sleep", "600"])
    pid, log = tmp_path / "alone.pid", tmp_path / "alone.log"
    try:
        with pytest.raises(nginx_kinds.CheckFailed, match="wrote no pid file") as failed:
            nginx_kinds.stop_alone(process, pid, "nginx under callgrind", log, seconds=1.0)
    finally:
        if process.poll() is None:  # (the unfixed bench leaves it: the test must not)
            process.kill()
        process.wait()
    assert str(log) in str(failed.value) and "nginx under callgrind" in str(failed.value)
    assert process.returncode is not None  # stopped, not left running


def test_an_nginx_that_wrote_its_pid_is_told_to_stop_and_waited_for(tmp_path):
    pid = tmp_path / "alone.pid"
    process = started(["sh", "-c", f"echo $$ > {pid}; exec sleep 600"])
    nginx_kinds.stop_alone(process, pid, "nginx under strace", tmp_path / "log", seconds=30)
    assert process.returncode == -15  # SIGTERM, sent to the pid it wrote


def test_a_pid_file_naming_an_nginx_gone_is_a_clear_error_not_a_crash(tmp_path):
    """nginx wrote its pid and exited, its tracer did not: no ProcessLookupError from the
    bench (which would leave the tracer running), but the tracer stopped and a
    CheckFailed."""
    pid = tmp_path / "alone.pid"
    process = started(["sh", "-c", f"sh -c 'echo $$ > {pid}'; exec sleep 600"])
    try:
        while not pid.exists() or not pid.read_text().strip():
            time.sleep(0.05)
        with pytest.raises(nginx_kinds.CheckFailed, match="did not stop"):
            nginx_kinds.stop_alone(process, pid, "nginx under strace", tmp_path / "log", seconds=1)
    finally:
        if process.poll() is None:  # (the unfixed bench leaves it: the test must not)
            process.kill()
        process.wait()
    assert process.returncode == -15  # the process group stopped
