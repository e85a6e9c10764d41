"""The version of the code that draws pages, part of what every kept page is valid for.

Stored pages (each worker's memory, Redis, the files nginx serves) and the fragments
kept under the generation (an article's story, its related stories, the navigation,
a discussion's shape) are drawn by templates, the stylesheet and scripts written into
the page (``templatetags.page_scripts``) and the app's Python code. After a deploy that
changes any of them, a page drawn by the old code must not be served by the new: the
store adds this version to the generation it reads (``store.PageStore``), so each
version of the code keeps its pages apart, and a restart of the same code finds its
pages again.

The version is a hash, computed once a process, of every file of the installed
``byline`` package (templates, static files, Python sources, data), of the template
and static folders the settings add, and of Django's version. A Django setting
``BYLINE_CODE_VERSION`` names one instead (the tests' versions; not read from the
environment). Reading and hashing the package's ~5 MB costs about 15 ms
(``bench/code_version.py``), once a start: ``byline run`` hands its workers the version
it computed.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import django

import byline

logger = logging.getLogger("byline.pagecache")

# Folders that hold no code pages are drawn with (bytecode is compiled from the sources).
SKIPPED = {"__pycache__", "node_modules", ".git"}
# Set by ``byline run`` for its granian workers (the environment they inherit): the
# version is hashed once a start, not once a worker.
ENVIRON = "BYLINE_RUN_CODE_VERSION"
LENGTH = 12  # hex digits: a folder name and a key part, unlikely to collide
# A version named in the settings is used as it is when it can be a folder's name.
_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")


def code_version() -> str:
    """The version of the code drawing pages in this process."""
    from django.conf import settings

    named = getattr(settings, "BYLINE_CODE_VERSION", "")
    if not named:
        return computed_version()
    if _NAME.match(named):
        return named
    return hashlib.blake2b(named.encode(), digest_size=LENGTH // 2).hexdigest()


@functools.cache
def computed_version() -> str:
    """The hash of the code (once a process: the files do not change under it)."""
    if _NAME.match(os.environ.get(ENVIRON, "")):
        return os.environ[ENVIRON]
    try:
        return hash_folders(_folders())
    except Exception as error:  # a folder that cannot be read must not stop the site
        logger.warning("page cache: cannot hash the code (%s): the package's version", error)
        return hashlib.blake2b(
            f"{_package_version()} {django.get_version()}".encode(), digest_size=LENGTH // 2
        ).hexdigest()


def hash_folders(folders: list[Path]) -> str:
    """One hash of the names and contents of every file under ``folders``, and Django's
    version."""
    digest = hashlib.blake2b(digest_size=LENGTH // 2)
    digest.update(f"django {django.get_version()}\0".encode())
    for index, folder in enumerate(folders):
        for path in sorted(_files(folder)):
            digest.update(f"{index}/{path.relative_to(folder).as_posix()}\0".encode())
            try:
                digest.update(path.read_bytes())
            except OSError as error:
                # One file that cannot be read (a link to nothing, a file of another
                # user's) counts by its name: the rest still make the version. (It made
                # the package's version the code's, which is the same for every release:
                # a deploy no longer showed at once.)
                logger.warning("page cache: the code's version without %s (%s)", path, error)
                digest.update(f"unreadable {type(error).__name__}".encode())
            digest.update(b"\0")
    return digest.hexdigest()


def _folders() -> list[Path]:
    from django.conf import settings

    folders = [Path(byline.__file__).resolve().parent]
    for engine in getattr(settings, "TEMPLATES", []):
        folders.extend(Path(folder) for folder in engine.get("DIRS", []))
    for entry in getattr(settings, "STATICFILES_DIRS", []):
        folders.append(Path(entry[1] if isinstance(entry, tuple) else entry))
    return folders


def _files(folder: Path) -> Iterator[Path]:
    for root, names, files in os.walk(folder):
        names[:] = [name for name in names if name not in SKIPPED]
        for name in files:
            if not name.endswith((".pyc", ".pyo")):
                yield Path(root) / name


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("byline")
    except PackageNotFoundError:
        return "unknown"
