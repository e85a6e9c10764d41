"""Loaded by the app servers of ``tests/faults/test_splice_faults.py`` (this folder on
their PYTHONPATH; Python imports ``sitecustomize`` at start-up): a published comment's
splice (``discussion.splice.splice_comments``, called by ``page_layer.PageCacheApp.
splice``) stops, once, at the point the test names and waits there until the test has
stopped or frozen a service. Nothing any service answers is changed: the splice then goes
on against the real servers, as they are.

``BYLINE_TEST_SPLICE_FOLDER`` is where the test and the app meet: the test writes
``armed`` holding the point, ``draw`` (before the splice's reads from PostgreSQL) or
``store`` (after them, before the page is stored: Redis, the page file and its lists,
then the purge); the first splice to reach it takes it, writes ``reached`` and waits for
``go`` (at most a minute).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import time
from pathlib import Path

TARGET = "byline.discussion.splice"
FOLDER = os.environ.get("BYLINE_TEST_SPLICE_FOLDER", "")


def wait_for_the_test(point: str) -> None:
    """At ``point`` of a splice: wait for the test if it asked for this point."""
    armed = Path(FOLDER) / "armed"
    try:
        if armed.read_text().strip() != point:
            return
        armed.unlink()  # one splice only: the first to get here
    except FileNotFoundError:
        return
    (Path(FOLDER) / "reached").write_text(f"{os.getpid()} {point}")
    deadline = time.monotonic() + 60
    while not (Path(FOLDER) / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.01)


class WaitInTheSplice(importlib.abc.MetaPathFinder):
    """Loads ``TARGET`` as usual, then wraps its ``splice_comments`` (before the discussion
    app hands it to the page layer, in its ``ready``)."""

    def find_spec(self, name, path, target=None):
        if name != TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module) -> None:
            run(module)
            drawn = module.splice_comments

            def splice_comments(article_id: int, environ: dict, body: bytes) -> bytes | None:
                wait_for_the_test("draw")
                spliced = drawn(article_id, environ, body)
                wait_for_the_test("store")
                return spliced

            module.splice_comments = splice_comments

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if FOLDER:
    sys.meta_path.insert(0, WaitInTheSplice())
