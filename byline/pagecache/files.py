"""Cached pages as files, for nginx to serve like any static file.

With ``BYLINE_PAGE_FILES_DIR`` set, every page the cache stores for a URL
ending in ``/`` with no query string is also written to

    <dir>/<generation>/<scheme>/<host><path>index.html

beside its gzip-compressed copy ``index.html.gz``, and ``<dir>/current`` is a
symlink to the current generation's folder. Browsers ask for compressed pages:
nginx compressing a 75 KB page for each of them cost 850 µs of its CPU a page
against 40 µs to send a file (wrk, keep-alive), so the page is compressed once
when written and nginx sends the copy (``gzip_static``).
deploy/nginx.conf serves ``current/$scheme/$host${uri}index.html`` to anonymous
GETs without a query string and falls back to the app (and its own proxy
cache) when the file is not there.

A page a purge names (``purges``) is replaced, whole, when a later one is drawn (a
comment published: ``PageFiles.write``), so nginx serves the old file until the new one
is in place; a page no purge names is written once a generation (the first writer's).

Invalidation is the symlink: when a worker sees the generation move (it polls
in a background thread, since nginx may keep all page traffic from it), it
points ``current`` at a new, empty folder, and nginx falls back to the app
until the pages are rendered again. Old folders are removed a little later.
Two workers racing with different views of the generation can point it back
for at most one polling interval; each keeps correcting it to what it last
read, and recreates it if it went missing.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import deflate

from byline.pagecache.page import Page

logger = logging.getLogger("byline.pagecache")

CURRENT = "current"
# The version of the code that owns ``current`` (``PageFiles.claim``): a dot file, never
# pruned, never served (nginx looks under ``current/``).
CLAIM = ".version"
# A claim its code's workers have not refreshed for this long (each refreshes it at its
# polls, ``owns``) is of code that stopped: the code still running takes the folder back.
CLAIM_LASTS = 10.0
# How often an owning worker refreshes its claim (its mtime), at most.
CLAIM_REFRESH = 1.0
# The generation a worker holds while it cannot read the shared one: it serves no file
# (an empty folder) and removes none (the other workers' pages are still current).
UNREADABLE = "unreadable-"
KEEP_OLD_SECONDS = 30
_HOST = re.compile(r"^[a-z0-9.-]+(:\d+)?$")
_KEY = re.compile(r"^(https?)://([^/]+)(/.*)$")


class PageFiles:
    """The page files of one folder nginx serves from.

    ``version`` is the code's (``codeversion``): the folders are named by the generation
    with it (``PageStore.current_generation``), and ``<dir>/.version`` names the code
    that owns ``current``, the last to start (``claim``, by ``byline run``). Workers of
    other code (the old ones of a rolling deploy, behind the same nginx) leave
    ``current`` and the folders alone and write no files: nginx serves only the pages of
    the code that started last, and the two do not point ``current`` at their own
    folders in turn. The claim holds while its code runs: its workers refresh it at
    their polls, and once it is ``claim_lasts`` seconds old (that code stopped: a deploy
    given up, a canary stopped) the code still running takes the folder back. (Until
    then nobody pointed ``current`` anew: after an edit nginx served the stopped code's
    files, from before it, for good.) Without a claim (no ``byline run``: tests,
    ``runserver``) every worker owns the folder, as before."""

    def __init__(self, root: Path, version: str = "", claim_lasts: float = CLAIM_LASTS) -> None:
        self.root = root
        self.version = version
        self.claim_lasts = claim_lasts
        self._owned = True
        self.owns()

    def claim(self) -> bool:
        """This code owns the folder from now on (the workers of others stop pointing
        ``current`` at their folders at their next poll); False if it cannot be
        written."""
        temporary = self.root / f"{CLAIM}-{uuid.uuid4().hex}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            temporary.write_text(self.version)
            os.replace(temporary, self.root / CLAIM)  # whole: the old claim or the new
        except OSError as error:  # the server starts all the same, as before
            logger.warning("page cache: cannot claim %s (%s)", self.root, error)
            temporary.unlink(missing_ok=True)
            return False
        self._owned = True
        return True

    def owns(self) -> bool:
        """Whether this code owns ``current`` (no claim, its own, or one its code no
        longer refreshes: then this code claims the folder)."""
        if not self.version:
            return True
        path = self.root / CLAIM
        try:
            claimed = path.read_text().strip()
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            claimed, age = "", 0.0
        except OSError as error:
            logger.warning("page cache: cannot read %s (%s)", path, error)
            return self._owned
        if claimed == self.version and age > CLAIM_REFRESH:
            try:
                os.utime(path)  # this code still runs
            except OSError:
                pass
        owned = claimed in ("", self.version)
        if not owned and age > self.claim_lasts:
            logger.warning(
                "page cache: %s: the code that claimed it, %s, stopped %d s ago: taken back",
                self.root,
                claimed,
                age,
            )
            owned = self.claim()
        if owned != self._owned:
            logger.warning(
                "page cache: %s %s (this code is %s)",
                self.root,
                "is this code's" if owned else f"belongs to the code started last, {claimed}",
                self.version,
            )
        self._owned = owned
        return owned

    def path_for(self, key: str, generation: str) -> Path | None:
        """Where nginx looks for this page, or None when nginx would not look."""
        match = _KEY.match(key)
        if match is None:
            return None
        scheme, host, path = match.groups()
        if not path.endswith("/") or "?" in path or not _HOST.match(host):
            return None
        segments = path[1:-1].split("/") if path != "/" else []
        if any(s in ("", ".", "..") or "\\" in s or "\0" in s for s in segments):
            return None
        # PATH_INFO holds the raw bytes as latin-1; nginx looks for the same bytes.
        relative = os.fsdecode(path.encode("latin-1")).strip("/")
        return self.root / generation / scheme / host / relative / "index.html"

    def keys_of(self, names: list[str], generation: str) -> list[str]:
        """The page keys of files named under the root (``path_for``'s inverse), those of
        ``generation`` only."""
        keys = []
        for name in names:
            parts = name.split("/")
            if len(parts) < 4 or parts[0] != generation or parts[-1] != "index.html":
                continue
            scheme, host, segments = parts[1], parts[2], parts[3:-1]
            path = "/" + "".join(f"{s}/" for s in segments)
            key = f"{scheme}://{host}{os.fsencode(path).decode('latin-1')}"
            if self.path_for(key, generation) == self.root / name:
                keys.append(key)
        return keys

    def write(self, key: str, page: Page, listing: Listing | None = None) -> Path | None:
        """Write the page where nginx looks; the file written, or None.

        Without ``listing`` (a page no purge names: the generation alone dates it) the
        first writer's file stays. With it, a page replaces the file there when it is
        newer (marked after the page the lists say is there), or when no list names that
        file: in the folder's lock, whole (nginx serves the old page until the new one
        is in place, never a missing file), then listed with its own mark. So the page
        on disk is always the one its lists hold, and a purge after it removes it.
        (Two workers rendering a page at once both found no file; the second, rendered
        before a purge, replaced the first's, rendered after it, and the purge that
        removes the files marked before it then missed it: nginx served it until the
        next change. A page is now replaced only by a later one.)"""
        target = self.path_for(key, page.generation)
        if target is None or not self._owned:
            return None
        if listing is None:
            return None if target.exists() else self._put(target, page, replace=False)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with folder_lock(target.parent, listing.lock_wait):
                if target.exists():
                    listed = listing.mark_of(target)
                    if listed is not None and listed >= page.mark:
                        return None  # as new as this one, or newer
                written = self._put(target, page, replace=True)
                if written is not None and not listing.keep(written, page.mark):
                    self._unlink([_gzipped(written), written])
                    return None
                return written
        except Exception as error:  # the lists cannot be read (Redis), or the lock not
            # taken in time (its holder waits on them): the file stays, as it is listed
            logger.warning("page cache: cannot write %s (%s)", target, error)
            return None

    def _put(self, target: Path, page: Page, replace: bool) -> Path | None:
        """Both copies of the page in place, each whole (nginx never sees half a page):
        over what is there with ``replace``, else only where nothing is (another
        worker's page stays)."""
        linked: list[Path] = []
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # The compressed copy first: nginx sends it only beside the page.
            for path, body in ((_gzipped(target), _compress(page.body)), (target, page.body)):
                temporary = target.with_name(f".{uuid.uuid4().hex}.tmp")
                try:
                    temporary.write_bytes(body)
                    if replace:
                        os.replace(temporary, path)  # whole: the old page until then
                    else:
                        os.link(temporary, path)  # whole, or not at all
                finally:
                    temporary.unlink(missing_ok=True)
                linked.append(path)
        except FileExistsError:  # another worker's: its page stays
            self._unlink(linked)
            return None
        except OSError:
            logger.exception("page cache: cannot write %s", target)
            self._unlink(linked)
            return None
        return target

    @staticmethod
    def _unlink(paths: list[Path]) -> None:
        for path in paths:
            try:
                path.unlink()
            except OSError:
                pass

    def switch(self, generation: str) -> None:
        """Point ``current`` at the generation's (new, empty) folder; prune old ones
        (unless another code owns them)."""
        if not self.owns():
            return
        try:
            (self.root / generation).mkdir(parents=True, exist_ok=True)
            link = self.root / f".{CURRENT}-{uuid.uuid4().hex}"
            os.symlink(generation, link)
            os.replace(link, self.root / CURRENT)
        except OSError:
            logger.exception("page cache: cannot switch %s", self.root / CURRENT)
            return
        if not generation.startswith(UNREADABLE):
            # (Pruning then removed the current generation's files while the workers
            # that wrote them kept serving their pages from memory: nginx asked the
            # app for each of them until they expired, never finding a file.)
            self.prune(keep=generation)

    def ensure(self, generation: str) -> None:
        """Point ``current`` at ``generation`` unless it already does (or another code
        owns it)."""
        if not self.owns():
            return
        try:
            if os.readlink(self.root / CURRENT) == generation:
                return
        except OSError:
            pass
        self.switch(generation)

    def prune(self, keep: str) -> None:
        cutoff = time.time() - KEEP_OLD_SECONDS
        for folder in self.root.iterdir():
            if folder.name in (keep, CURRENT) or folder.name.startswith(".") or folder.is_symlink():
                continue
            try:
                if folder.is_dir() and folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                continue

    def reset(self) -> None:
        """Serve no file until a worker has read the generation (at server start)."""
        try:
            (self.root / CURRENT).unlink()
        except FileNotFoundError:
            pass


class Listing(Protocol):
    """Where the marks of a page's files are kept (``purges.ScopeListing``)."""

    # How long a writer waits for the folder's lock (``folder_lock``): a holder asks the
    # lists in it, and waits at most this long for each answer.
    lock_wait: float | None

    def mark_of(self, path: Path) -> int | None: ...

    def keep(self, path: Path, mark: int) -> bool: ...


class LockNotTaken(TimeoutError):
    """A page folder's lock was held by another for longer than the wait."""


# How often a writer waiting for a folder's lock tries again (``folder_lock``).
LOCK_POLL = 0.005


@contextmanager
def folder_lock(folder: Path, wait: float | None = None) -> Iterator[None]:
    """The lock of one page's folder, held by every process of the machine that writes
    or removes its files (``flock``, released if the process dies); none if the folder
    is not there (nothing in it to write over or remove).

    With ``wait``, ``LockNotTaken`` is raised if it is not taken within ``wait`` seconds.
    Its holders ask Redis (a file's mark) while they hold it: with Redis frozen each
    waits one Redis timeout, and the writers of that page in the machine's other
    processes (their breakers not open yet) would queue behind one another, each
    holding it a timeout more. A writer that cannot take it in time gives up, which
    is what it does when Redis does not answer (``PageFiles.write``: the file stays;
    a purge is read again later)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        yield
        return
    try:
        if wait is None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        else:
            _flock_within(descriptor, wait, folder)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _flock_within(descriptor: int, wait: float, folder: Path) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockNotTaken(f"{folder} locked for more than {wait} s") from None
            time.sleep(LOCK_POLL)


def _gzipped(path: Path) -> Path:
    return path.with_name(path.name + ".gz")


def _compress(body: bytes) -> bytes:
    """gzip at level 6 (nginx's on-the-fly level is 1: a smaller file, once a page), with
    no time in the header, so the same page always gives the same bytes.

    libdeflate's (``deflate``), not zlib's: the same format (any gzip reader, nginx's
    ``gzip_static`` and ``gunzip`` included), in 0.4 of the CPU and a little smaller
    (the article page with 20 comments, 108 KB: 2.3 -> 0.95 ms, 24.7 -> 24.7 KB; with
    200, 258 KB: 3.4 -> 1.5 ms, 34.1 -> 33.7 KB), and it is paid by every render a
    comment brings. (It gives a bytearray: made bytes, a copy of the small file.)"""
    return bytes(deflate.gzip_compress(body, 6))


def start_polling(store, interval: float) -> threading.Event:
    """Keep this worker's view of the generation fresh even when nginx takes all reads.

    Returns the event that stops the polling thread.
    """
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            try:
                store.files.ensure(store.current_generation())
            except Exception:
                logger.exception("page cache: generation poll failed")
            stop.wait(max(interval, 0.1))

    threading.Thread(target=poll, name="byline-pagecache-poll", daemon=True).start()
    return stop
