"""A throwaway WordPress for the round-trip tests: Debian's `wordpress` package, php, MariaDB.

``skip_reason()`` says what is missing (the tests marked ``wordpress`` skip with
it); ``WordPressSite`` installs a fresh site in its own MariaDB database
(``wp_byline_<pid>``), imports WXR files into it, and reads it back, all
through ``php/harness.php``. To run them on a machine:

    apt-get install -y wordpress php-cli php-mysql php-xml mariadb-server
    WP_DB_HOST=127.0.0.1:3306 .venv/bin/pytest -m wordpress tests/wordpress

WP_ROOT (default /usr/share/wordpress), WP_DB_HOST, WP_DB_USER (root) and
WP_DB_PASSWORD (empty) say where they are.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

HARNESS = Path(__file__).resolve().parent / "php" / "harness.php"
WP_ROOT = os.environ.get("WP_ROOT", "/usr/share/wordpress")
DB_HOST = os.environ.get("WP_DB_HOST", "127.0.0.1:3306")


def skip_reason() -> str | None:
    """Why WordPress cannot run here, or None when it can."""
    php = shutil.which("php")
    if php is None:
        return "php is not installed (apt-get install php-cli php-mysql php-xml)"
    if not Path(WP_ROOT, "wp-settings.php").exists():
        return f"WordPress is not installed at {WP_ROOT} (apt-get install wordpress)"
    modules = subprocess.run([php, "-m"], capture_output=True, text=True).stdout.lower()
    for module in ("mysqli", "simplexml"):
        if module not in modules:
            return f"php has no {module} module (apt-get install php-mysql php-xml)"
    host, _, port = DB_HOST.partition(":")
    try:
        socket.create_connection((host, int(port or 3306)), timeout=2).close()
    except OSError:
        return f"no MariaDB/MySQL server answers at {DB_HOST} (WP_DB_HOST)"
    return None


class WordPressSite:
    """One WordPress site in its own database, driven through php/harness.php."""

    def __init__(self, name: str = "") -> None:
        self.database = f"wp_byline_{name or os.getpid()}"
        self.env = {**os.environ, "WP_DB_NAME": self.database, "WP_ROOT": WP_ROOT}
        self.env.setdefault("WP_DB_HOST", DB_HOST)

    def _run(self, *args: str, stdin: str | None = None) -> Any:
        done = subprocess.run(
            ["php", str(HARNESS), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"harness.php {args[0]} failed: {done.stderr or done.stdout}")
        return json.loads(done.stdout)

    def install(self) -> dict:
        return self._run("install")

    def import_file(self, path: Path) -> dict:
        return self._run("import", str(path))

    def dump(self) -> dict:
        return self._run("dump")

    def render(self, contents: dict[str, str], attached=(), library=None) -> dict[str, str]:
        payload = {**contents, "_attachments": list(attached), "_library": library or {}}
        return self._run("render", stdin=json.dumps(payload))

    def seed(self, contents: dict[str, str]) -> dict:
        return self._run("seed", stdin=json.dumps(contents))

    def export_file(self, path: Path) -> dict:
        return self._run("export", str(path))

    def drop(self) -> None:
        self._run("drop")
