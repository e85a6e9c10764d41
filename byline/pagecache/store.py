"""Where cached pages live, and the generation that says which ones are current.

Every worker keeps pages in its own memory (a dict bounded in bytes), so a hit
costs a dictionary lookup. What makes a set of workers, or a set of app
servers, behave as one cache is the *generation*: a token in a shared place
(Redis when ``REDIS_URL`` is set, else a file in the data folder) that every
change to the site replaces. A page is served only if it was stored under the
current generation, so one write invalidates every page on every server.

Why one site-wide generation rather than per-page keys: an article change
alters its own page, the front page, its section's, tags' and authors' listings
(and their later pages), and the navigation of every page. Tracking those
dependencies exactly is where page caches go wrong; re-rendering a few pages
after an edit costs milliseconds. Edits are rare next to reads.

Workers read the shared generation at most every ``BYLINE_PAGE_CACHE_SYNC_SECONDS``
(0.5 s), so a hit does not wait on Redis; the worker that made the change sees
it at once. With Redis, rendered pages are also shared (keyed by generation),
so each change costs one render per page for the whole site, not one per worker.

A change that concerns only a few pages (an approved comment: its article's
pages and the comment counts of the listings) does not move the generation:
it purges those pages' *scopes* through a log every worker reads with the
generation (``purges``). That needs Redis; without it the generation moves. When the
comment is published (none readers saw went away) and committed, the worker draws its
article's page again before the purge is sent, and the page file nginx serves is
replaced, not removed (``PageStore.purge``).

The generation a store reads carries the version of the code (``codeversion``):
``<shared generation>.<version>``. Pages, page files and the fragments kept under the
generation are each code's own, so after a deploy no page drawn by the old code is
served by the new, and a restart of the same code finds its pages again. An edit moves
the shared part, so it reaches every version at once. (Rather than moving the shared
generation when a new version starts: during a rolling deploy the old servers keep
reading it and would store pages drawn by the old code under the moved generation, for
the new ones to serve; and an old server started again would move it back.)
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from byline.logthrottle import ThrottledLog, reason_of
from byline.pagecache.files import UNREADABLE
from byline.pagecache.flights import Flights
from byline.pagecache.page import Page

if TYPE_CHECKING:
    from byline.pagecache.files import Listing, PageFiles
    from byline.pagecache.purges import PurgeLog


logger = logging.getLogger("byline.pagecache")

REDIS_PREFIX = "byline:pagecache:"
# After a failure, the shared store is left alone this long: a Redis outage
# costs one timeout a second, not one per request.
RETRY_AFTER = 1.0
# Pages Redis would not read or write while it answers (refusing writes at maxmemory,
# say): one line a while counting them, and one when it takes them again, not a line
# every ``RETRY_AFTER`` (``byline.logthrottle``). A Redis that does not answer is the
# breaker's to say (``redisconn``).
# The most files one purge draws again before it is sent (an article's page, once per host
# the site answers on); the rest go with the purge, as before.
REDRAW_MOST = 8
page_failures = ThrottledLog(logger, "failed page reads and writes", again="takes pages again")
REDIS = "Redis"


class Generation(Protocol):
    def current(self) -> str: ...

    def bump(self) -> str: ...


class _Polled:
    """Reads a shared generation at most every ``interval`` seconds.

    A move it owes (a change made while the shared store was unreachable) is also
    noted in ``owed``, a folder the machine's workers share (``DATA_DIR``): a worker
    that stops before the store answers again (a restart, a deploy, a crash) would
    otherwise take the debt with it, and every other worker and server would serve
    the pages from before the change for as long as pages are kept. The next worker
    to build its store there takes the notes over and pays them, and so does any
    worker of the machine that would read the generation while a note is there: the
    generation it would read is from before the change (its page files too).
    """

    def __init__(self, interval: float, owed: Path | None = None) -> None:
        self.interval = interval
        self._value = ""
        self._next_read = float("-inf")
        # A change made while the store was unreachable: the generation must still
        # move when it answers again, or other workers would serve pages from before.
        self._bump_owed = False
        self._payer: threading.Thread | None = None
        self._payer_lock = threading.Lock()
        self.owed = owed
        self._notes: set[Path] = set()  # the notes of moves this worker owes
        if owed is not None and (notes := set(owed.glob("owed-*"))):
            logger.warning("page cache: a worker before this one owed a move: making it")
            self._notes = notes
            self._bump_owed = True
            self._pay_when_back()

    @property
    def move_owed(self) -> bool:
        """Whether a move this worker made could not reach the store yet (it is owed)."""
        return self._bump_owed

    def _note_owed(self) -> None:
        """Write down, where the next worker looks, that this worker owes a move."""
        if self.owed is None or self._notes:
            return
        note = self.owed / f"owed-{uuid.uuid4().hex}"
        try:
            self.owed.mkdir(parents=True, exist_ok=True)
            note.touch()
        except OSError as error:
            logger.warning("page cache: cannot note the move owed (%s): in memory only", error)
            return
        self._notes.add(note)

    def _paid(self, others: set[Path] | None = None) -> None:
        """The move is made: the notes go (this worker's, and ``others`` it paid)."""
        self._bump_owed = False
        notes, self._notes = self._notes | (others or set()), set()
        for note in notes:
            note.unlink(missing_ok=True)

    def _owed_here(self) -> set[Path] | None:
        """The notes of moves owed by any worker of this machine (this one's included);
        None if they cannot be read."""
        if self.owed is None:
            return set()
        try:
            return set(self.owed.glob("owed-*"))
        except OSError:
            return None

    def _paid_by_another(self, notes: set[Path] | None) -> bool:
        """Whether another worker made the move this one owes (its notes are gone)."""
        if notes is not None and self._bump_owed and self._notes and not self._notes & notes:
            self._bump_owed = False
            self._notes = set()
            return True
        return False

    def current(self) -> str:
        now = time.monotonic()
        if now >= self._next_read:
            try:
                # A move owed by another worker of this machine is this one's to make
                # too: the generation it would read is from before a change, and its
                # folder of page files holds the pages from before it (nginx would be
                # pointed back at them until the owing worker made the move; for as
                # long as pages are kept if that worker died meanwhile).
                notes = self._owed_here()
                self._paid_by_another(notes)
                if self._bump_owed or notes:
                    self._value = self.write_new()
                    self._paid(notes)
                else:
                    self._value = self.read()
                self._next_read = now + self.interval
            except Exception as error:  # a broken store must not break the site
                logger.warning("page cache: cannot read the generation: %s", error)
                self._value = f"{UNREADABLE}{uuid.uuid4().hex}"  # matches no stored page
                self._next_read = now + max(self.interval, RETRY_AFTER)
        return self._value

    def bump(self) -> str:
        try:
            self._value = self.write_new()
            self._paid()
        except Exception as error:
            logger.warning("page cache: cannot move the generation on (%s): later", error)
            self._value = f"{UNREADABLE}{uuid.uuid4().hex}"
            self._bump_owed = True
            self._note_owed()
            self._pay_when_back()
        self._next_read = time.monotonic() + self.interval
        return self._value

    def _pay_when_back(self) -> None:
        """Move the generation on as soon as the store answers again, from a thread of
        its own: this worker may get no request for a long time after the outage (the
        other servers take them), and until the move is made they serve the pages
        from before the change, for as long as pages are kept."""
        with self._payer_lock:
            if self._payer is not None and self._payer.is_alive():
                return
            self._payer = threading.Thread(
                target=self._pay, name="byline-pagecache-owed", daemon=True
            )
            self._payer.start()

    def _pay(self) -> None:
        while self._bump_owed:
            time.sleep(RETRY_AFTER)
            if not self._bump_owed or self._paid_by_another(self._owed_here()):
                return  # a request paid it meanwhile, or another worker did
            try:
                value = self.write_new()
            except Exception:  # noqa: S112  (still unreachable: try again)
                continue
            self._paid()
            self._value = value
            logger.warning("page cache: the generation moved on after the outage")

    def read(self) -> str:
        raise NotImplementedError

    def write_new(self) -> str:
        raise NotImplementedError


class FileGeneration(_Polled):
    """The generation as a file's contents: shared by the workers of one machine."""

    def __init__(self, path: Path, interval: float) -> None:
        super().__init__(interval)
        self.path = path

    def read(self) -> str:
        try:
            return self.path.read_text().strip() or "0"
        except FileNotFoundError:
            return "0"

    def write_new(self) -> str:
        value = uuid.uuid4().hex
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{value}")
        temporary.write_text(value)
        os.replace(temporary, self.path)  # atomic: readers see the old or the new token
        return value


class RedisGeneration(_Polled):
    """The generation as a Redis counter: shared by every app server."""

    def __init__(self, client, interval: float, owed: Path | None = None) -> None:
        self.client = client  # first: a debt taken over is paid from a thread at once
        super().__init__(interval, owed)

    def read(self) -> str:
        name = REDIS_PREFIX + "generation"
        value = self.client.get(name)
        if value is None:
            # A new or emptied Redis: a fresh counter, never "0" again (what an earlier
            # empty Redis's "0" kept, a worker's fallback cache and nginx's folder of that
            # name may still hold, from before the edits made since). Every worker reading
            # it now reads the one start set first: no move, one render a page.
            pipe = self.client.pipeline()
            pipe.set(name, secrets.randbelow(1 << 48), nx=True)
            pipe.get(name)
            value = pipe.execute()[1]
        return value.decode()

    def write_new(self) -> str:
        # A fresh counter (a new Redis, a FLUSHDB) starts at a random number so
        # it cannot walk back onto a generation some worker still holds pages of.
        name = REDIS_PREFIX + "generation"
        pipe = self.client.pipeline()
        pipe.set(name, secrets.randbelow(1 << 48), nx=True)
        pipe.incr(name)
        return str(pipe.execute()[1])


class MemoryPages:
    """Pages in this process, bounded in bytes; the oldest stored go first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[str, Page] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Page | None:
        return self._pages.get(key)

    def set(self, key: str, page: Page) -> None:
        size = len(page.body)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            while self._pages and self._bytes + size > self.max_bytes:
                _, evicted = self._pages.popitem(last=False)
                self._bytes -= len(evicted.body)
            self._pages[key] = page
            self._bytes += size

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0


class RedisPages:
    """Pages shared by every app server, one Redis key per generation and page."""

    def __init__(self, client) -> None:
        self.client = client
        self._down_until = float("-inf")

    def get(self, key: str, generation: str) -> Page | None:
        if time.monotonic() < self._down_until:
            return None
        try:
            data = self.client.get(f"{REDIS_PREFIX}page:{generation}:{key}")
        except Exception:
            self._failed("read")
            return None
        if page_failures.down:  # nearly always empty: no call, no lock
            page_failures.answered(REDIS)
        return Page.from_bytes(data) if data else None

    def set(self, key: str, page: Page) -> None:
        milliseconds = int((page.expires_at - time.time()) * 1000)
        if milliseconds <= 0 or time.monotonic() < self._down_until:
            return
        try:
            name = f"{REDIS_PREFIX}page:{page.generation}:{key}"
            self.client.set(name, page.to_bytes(), px=milliseconds)
        except Exception:
            self._failed("write")
        else:
            if page_failures.down:
                page_failures.answered(REDIS)

    def _failed(self, action: str) -> None:
        from byline.redisconn import RedisUnavailable

        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, RedisUnavailable):  # the breaker said so
            why = reason_of(error)
            page_failures.failure(
                REDIS, f"{action}: {why}", "page cache: cannot %s a page in Redis: %s", action, why
            )
        self._down_until = time.monotonic() + RETRY_AFTER


class PageStore:
    """Process memory in front of an optional shared store, under one generation."""

    def __init__(
        self,
        generation: Generation,
        memory: MemoryPages,
        shared: RedisPages | None = None,
        files: PageFiles | None = None,
        purges: PurgeLog | None = None,
        version: str = "",
    ) -> None:
        self.generation = generation
        # The code's version (``codeversion``): part of every generation this store
        # reads, so pages and fragments kept by other code are never this code's.
        self.version = version
        self.memory = memory
        self.shared = shared
        self.files = files
        self.purges = purges
        self.stop_polling: threading.Event | None = None
        # One render of a page at a time (``flights``): across servers with Redis.
        self.flights = Flights(shared.client if shared is not None else None)
        self._memory_generation = ""
        # The last good copy of each page, whatever its generation or age: served
        # only when rendering it again fails (stale-if-error), never as a hit.
        self.last_good = MemoryPages(memory.max_bytes)

    def _of_this_code(self, generation: str) -> str:
        return f"{generation}.{self.version}" if self.version else generation

    def current_generation(self) -> str:
        generation = self._of_this_code(self.generation.current())
        if generation != self._memory_generation:
            self.memory.clear()
            self._memory_generation = generation
            if self.files is not None:
                self.files.switch(generation)
        if self.purges is not None:
            self.purges.sync()  # at most every interval; never raises
            if self.purges.reset_seen:  # pages marked under the old log: all out of date
                self.purges.reset_seen = False
                self.invalidate()
                generation = self._memory_generation
        return generation

    def purge_mark(self) -> int:
        """What a page about to be rendered records (``purges.PurgeLog.mark``)."""
        return self.purges.mark() if self.purges is not None else 0

    def get(self, key: str, generation: str) -> Page | None:
        """The current page for ``key``, or None (absent, stale, purged or expired).
        This worker's copy, else the shared one: also when this worker's is out of date
        (a purge that another worker's redraw came after: a comment's, its page drawn
        again there, is one render for the whole site, not one per worker)."""
        page = self.memory.get(key)
        if page is not None and self._current(page, generation):
            return page
        if self.shared is None:
            return None
        page = self.shared.get(key, generation)
        if page is None or not self._current(page, generation):
            return None
        self._keep(key, page, shared=False)
        return page

    def _current(self, page: Page, generation: str) -> bool:
        if page.generation != generation or page.expires_at <= time.time():
            return False
        return self.purges is None or self.purges.current(page.scopes, page.mark)

    def stale(self, key: str) -> Page | None:
        """The last good copy of ``key`` this process stored, however old, or None."""
        return self.last_good.get(key)

    def set(self, key: str, page: Page) -> None:
        self.last_good.set(key, page)
        if page.generation != self.current_generation():
            return  # the site changed while this page was rendered: it may be stale
        self._keep(key, page, shared=True)

    def _keep(self, key: str, page: Page, shared: bool) -> None:
        """Store a page in memory, Redis (``shared``) and as a file, unless a purge of
        what it shows came after it was begun."""
        purges = self.purges
        if purges is None or not page.scopes:
            self._write(key, page, shared)
            return
        with purges.lock:  # a purge learnt meanwhile would miss the file written here
            if purges.current(page.scopes, page.mark):
                self._write(key, page, shared, purges.listing(page.scopes))

    def _write(
        self, key: str, page: Page, shared: bool, listing: Listing | None = None
    ) -> Path | None:
        self.memory.set(key, page)
        self.last_good.set(key, page)
        if shared and self.shared is not None:
            self.shared.set(key, page)
        return self.files.write(key, page, listing) if self.files is not None else None

    def invalidate(self) -> None:
        """Every stored page is out of date: move the generation on."""
        self._memory_generation = self._of_this_code(self.generation.bump())
        self.memory.clear()
        if self.files is not None:
            self.files.switch(self._memory_generation)

    def purge(
        self,
        scopes: tuple[str, ...],
        redraw: Callable[[list[str]], object] | None = None,
        redrawn: tuple[str, ...] = (),
    ) -> None:
        """The pages that show ``scopes`` are out of date (every page without Redis, or
        if the purge cannot be sent).

        With ``redraw`` (called once the change is committed), the pages of ``redrawn``
        (some of ``scopes``) nginx serves as files here are drawn again first
        (``redraw(keys)``, at most ``REDRAW_MOST``) and replace their files, then the
        purge is sent: it leaves what was begun after the
        change current (``purges.PurgeLog.begin``). So nginx serves a file throughout,
        the old page until the new one is in place, instead of sending readers to the
        app from the purge until one of them has the page drawn again. A file that could
        not be drawn again (the database failing, a page no longer stored) goes with the
        purge, as before; the workers hear of it as before."""
        purges = self.purges
        if purges is None:
            self.invalidate()
            return
        since = None
        if redraw is not None and self.files is not None:
            since = purges.begin()
            if since is not None:
                try:
                    # The generation as read now: a worker nginx has asked for no page
                    # yet (it serves the files) has not read it, and would find no file.
                    generation = self.current_generation()
                    keys = self.files.keys_of(purges.files_of(redrawn), generation)
                    if keys:
                        redraw(keys[:REDRAW_MOST])
                except Exception:  # the purge is sent all the same: the files go
                    logger.exception("page cache: cannot draw the purged pages again")
        if not purges.purge(scopes, since):
            self.invalidate()


_store: PageStore | None = None
_store_lock = threading.Lock()


def page_store() -> PageStore:
    """This process's page store, built from the settings on first use."""
    global _store
    if _store is None:
        with _store_lock:
            if _store is None:
                _store = _build_store()
    return _store


def reset_page_store() -> None:
    """Forget the store (tests, or after the settings changed)."""
    global _store
    with _store_lock:
        if _store is not None and _store.stop_polling is not None:
            _store.stop_polling.set()
        _store = None


def _build_store() -> PageStore:
    from django.conf import settings

    from byline.pagecache.codeversion import code_version
    from byline.pagecache.files import CLAIM_LASTS, PageFiles, start_polling
    from byline.pagecache.purges import PurgeLog

    interval = settings.BYLINE_PAGE_CACHE_SYNC_SECONDS
    memory = MemoryPages(settings.BYLINE_PAGE_CACHE_MEMORY_MB * 1024 * 1024)
    version = code_version()
    files = (
        # A claim lasts a few polls (``PageFiles.owns``: its workers refresh it).
        PageFiles(Path(settings.BYLINE_PAGE_FILES_DIR), version, max(CLAIM_LASTS, 4 * interval))
        if settings.BYLINE_PAGE_FILES_DIR
        else None
    )
    if settings.REDIS_URL:
        client = redis_client(settings.REDIS_URL)
        owed = Path(settings.DATA_DIR) / "pagecache-owed"
        generation: Generation = RedisGeneration(client, interval, owed)
        purges = PurgeLog(client, interval, files.root if files is not None else None)
        store = PageStore(generation, memory, RedisPages(client), files, purges, version)
    else:
        generation = FileGeneration(Path(settings.DATA_DIR) / "pagecache-generation", interval)
        store = PageStore(generation, memory, None, files, version=version)
    if files is not None:
        store.stop_polling = start_polling(store, interval)
    return store


def redis_client(url: str):
    """The site's shared Redis client for ``url`` (``byline.redisconn``): a short timeout
    and a circuit breaker, so a cache never holds a request up for long."""
    from byline import redisconn

    return redisconn.redis_client(url)
