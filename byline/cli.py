"""The ``byline`` console script: a thin front over Django's management commands.

byline run [--host H] [--port P] [--production]
byline demo
byline import-wxr FILE [FILE ...] [--dry-run] [--copy-media] [--report FILE]
byline export-wxr [-o FILE]
byline rerender-bodies [--dry-run]
byline purge-pages
byline --version
byline <any manage.py command>
"""

from __future__ import annotations

import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version

# Commands readers type with hyphens; Django's command modules need underscores.
ALIASES = {
    "import-wxr": "import_wxr",
    "export-wxr": "export_wxr",
    "rerender-bodies": "rerender_bodies",
    "purge-pages": "purge_pages",
}


def version_line() -> str:
    """Byline's version from the installed package's metadata, and what it runs on."""
    try:
        byline_version = version("byline")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        byline_version = "unknown (not installed)"
    return (
        f"Byline {byline_version} (Django {version('django')}, Python {platform.python_version()})"
    )


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) == 2 and argv[1] in ("--version", "-V", "version"):
        sys.stdout.write(version_line() + "\n")
        return
    if len(argv) > 1 and argv[1] in ALIASES:
        argv[1] = ALIASES[argv[1]]
    if len(argv) > 1 and argv[1] == "run" and "--production" in argv:
        # Production mode changes settings (DEBUG, required values), so it must
        # be known before Django reads them.
        os.environ["BYLINE_PRODUCTION"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018  (load the settings: a bad one stops here)
    except ImproperlyConfigured as error:
        sys.stderr.write(f"{error}\n")
        raise SystemExit(2) from None
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
