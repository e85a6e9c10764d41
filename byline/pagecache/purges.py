"""Scoped purges: a change that concerns a few pages makes only those pages out of date.

An approved comment changes its article's page (the comment list, the count
in the header) and the listings that show comment counts ("Most discussed"),
nothing else. Moving the site-wide generation for it made every page on every
server render again and sent nginx back to the app for all of them, once per
comment: on a busy discussion that tripled what a page view cost.

So a page may declare *scopes* (``decorators.page_shows``): ``comments:<id>``
for a page that shows article ``<id>``'s comments, ``comment-counts`` for one
that shows how many comments articles have. A purge names scopes. It is an
entry in a short shared log (Redis: a counter and a sorted set of the last
``LOG_KEEP`` purges); every worker reads the entries it has not seen when it
reads the generation (at most every ``BYLINE_PAGE_CACHE_SYNC_SECONDS``) and
keeps, per scope, the number of the last purge.

A page records the number of the last purge its worker knew of when it began
rendering (``mark``). It is current while no purge of one of its scopes is
newer than that, so a page rendered from the database before a purge never
passes for a later one, wherever it was stored (a worker's memory, Redis). As
with the generation, a purge is sent at once and again after the transaction
commits. Page files (nginx serves them without asking) are listed per scope
when written, with the mark of their page, and every worker that learns of a
purge removes the scope's files marked before it, so a file written by a worker
that had not heard of it yet goes too, and one written after it stays (a worker
learning of the purge late would otherwise remove a current file its writer keeps
serving from memory: nginx would ask the app for that page until it expired).
A file is written over only by a later page (``files.PageFiles.write``), whole, and
listed with that page's mark, both in the folder's lock (``files.folder_lock``) where a
purge's removal also looks; so the mark its lists hold is the mark of the page on disk,
and a purge after that page always removes it.

A comment published is a change whose page can be drawn again at once, so its page file
is replaced rather than removed (nginx would send every reader to the app until one of
them had the page drawn again; on a hot article that was a window of proxied requests
after every comment). Once the comment is committed, the worker that took it sends an
entry with no scope (``begin``): every page begun after a worker read it was begun after
the commit. It draws the article's page again (marked with it or later), which replaces
the file, then sends the purge *since* that number: it removes, and makes out of date,
only what was begun before (``store.PageStore.purge``). Entries are numbered and logged
in one step (a script), and a worker that sends one reads the log up to it, so no worker
ever skips an entry.
Each folder of page files (one a machine, shared by its workers) has lists of
its own, named by an id kept in the folder: the first app server to read a
purge must not take the others' lists with it, their files would stay.

If workers fall so far behind that the log no longer holds what they missed,
every scoped page rendered before is treated as out of date. If the log
starts again (a Redis emptied or replaced), marks from before mean nothing:
a new log starts at a random number, so its counter is either behind what a
worker read (the worker moves the generation, ``reset_seen``, and counts from
the new log) or far ahead of it (the purges in between look missed: no page
from before is trusted). It never goes on from where the old one stopped,
where its first purges would pass for ones the worker had already read. Without Redis
(one machine, the generation in a file) there is no log: a scoped change
moves the generation, as every change did before.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
import uuid
from pathlib import Path

from byline import redisconn

logger = logging.getLogger("byline.pagecache")

REDIS_PREFIX = "byline:pagecache:"
LOG_KEEP = 10_000  # purges kept in the log: a page lives 10 minutes at most
UNREAD = -1  # the mark of a page rendered while the log could not be read
# In an entry's scopes: the pages marked from this number on stay current (``purge``).
# (A worker of a Byline from before reads it as a scope no page shows: it purges the
# others as before, its files too.)
SINCE = "since:"
# Take the next number and log the entry with it, in one step (``PurgeLog._send``). The
# member is written with ``%d``: Lua writes a number past 14 digits (the log starts at a
# random one up to 2**48) as ``1.8524598233130e+14``, one member for ten numbers, so an
# entry overwrote the one before it with the same scopes (every comment's ``begin``): the
# workers saw a gap, took purges for missed and trusted no scoped page from before
# (``floor``), and each comment's redraw drew its article's page whole, not spliced.
SEND = """
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local number = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], number, string.format('%d', number) .. '|' .. ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[3]) - 1)
return number
"""
FILES_TTL = 24 * 3600  # a scope's list of page files is forgotten after a day unused


class PurgeLog:
    """The shared log of purges, and what this process knows of it."""

    def __init__(self, client, interval: float, files_root: Path | None = None) -> None:
        self.client = client
        self.interval = interval
        self.files_root = files_root
        # A page folder's lock is waited for one Redis answer at most (``files.folder_lock``).
        self.lock_wait = redis_timeout(client)
        folder = folder_id(files_root) if files_root else ""
        # A sorted set per scope: each file's score is the mark of the page written there.
        self.files_prefix = f"{REDIS_PREFIX}marked-files:{folder}:" if files_root else ""
        # Plain sets of files an older Byline listed (no marks): all removed by a purge.
        self.unmarked_prefix = f"{REDIS_PREFIX}files:{folder}:" if files_root else ""
        self.known: dict[str, int] = {}  # scope -> number of its last purge
        self.last = 0  # the newest purge read
        self.floor = 0  # scoped pages marked before this are out of date (missed purges)
        self.trusted = False  # False until the log is read, and while it cannot be
        self.reset_seen = False  # the log started again: the store moves the generation
        self.read_empty = False  # the log was read and held no purge
        self._next_read = float("-inf")
        # Held while purges are learnt (their files removed) and while a scoped page is
        # stored (its file listed): the two never interleave.
        self.lock = threading.RLock()

    # -- sending

    def purge(self, scopes: tuple[str, ...], since: int | None = None) -> bool:
        """Make the pages of ``scopes`` out of date everywhere; False if it cannot be sent
        (the caller then moves the generation). With ``since`` (a number ``begin`` gave
        after the change committed), the pages marked ``since`` or later stay current:
        they were begun after the change (``redraw``)."""
        named = scopes if since is None else (*scopes, f"{SINCE}{since}")
        return self._send(named) is not None

    def begin(self) -> int | None:
        """A number in the log, sent after a change committed and before its purge: the
        pages this worker renders from now on are marked with it or later, so a purge
        sent with ``since`` set to it leaves them current (their files are not removed).
        None if it cannot be sent or read back (the caller purges as usual)."""
        number = self._send(())
        return number if number is not None and self.trusted and self.last >= number else None

    def _send(self, scopes: tuple[str, ...]) -> int | None:
        """Add an entry to the log, then read the log (this worker's entry and any sent
        before it that it has not read: taking its own number for the last read would
        skip those); its number, or None."""
        try:
            # A new log (a Redis emptied or replaced) starts at a random number, so it
            # cannot go on from where the old one left off: numbers far below what a
            # worker read make it start again, far above make it trust no page from before.
            # (Just below is this log: another thread of this process read newer ones.)
            # One script: an entry is in the log as soon as its number is taken, so no
            # worker reads a later number before it (and then skips it).
            send = redisconn.script(self.client, SEND)
            keys = [REDIS_PREFIX + "purge-seq", REDIS_PREFIX + "purges"]
            args = [secrets.randbelow(1 << 48), ",".join(scopes), LOG_KEEP]
            number = int(send(keys=keys, args=args))
        except Exception as error:
            logger.warning("page cache: cannot send a purge (%s): every page goes", error)
            return None
        if number + LOG_KEEP < self.last:
            return None  # a new log this worker has not read yet: every page goes
        self._next_read = float("-inf")
        self.sync()  # this worker at once, before its next read
        if not self.trusted or self.last < number:
            try:
                # Known here, read back or not; but not taken for read: those sent since
                # the last read are read with it once the log answers.
                self._learn([(number, ",".join(scopes))], read=False)
            except Exception as error:
                logger.warning("page cache: cannot remove a purge's files (%s)", error)
                return None
        return number

    # -- receiving

    def sync(self) -> None:
        """Read the purges not seen yet, at most every ``interval``. While the log cannot
        be read no scoped page rendered before is current (it may have been purged
        meanwhile); pages rendered meanwhile are (``current``)."""
        now = time.monotonic()
        if now < self._next_read:
            return
        self._next_read = now + self.interval
        try:
            pipe = self.client.pipeline()
            pipe.get(REDIS_PREFIX + "purge-seq")
            pipe.zrangebyscore(REDIS_PREFIX + "purges", f"({self.last}", "+inf", withscores=True)
            counter, rows = pipe.execute()
            newest = int(counter or 0)
            # A new log: start from it, forget the old numbers. (Far behind, not just
            # behind: a purge this process sent meanwhile may be newer than the read.)
            if newest + LOG_KEEP < self.last:
                with self.lock:
                    self.known.clear()
                    self.last = self.floor = 0
                    self.reset_seen = True
                rows = self.client.zrangebyscore(
                    REDIS_PREFIX + "purges", "-inf", "+inf", withscores=True
                )
            entries = [(int(score), member.decode().partition("|")[2]) for member, score in rows]
            if entries and entries[0][0] > self.last + 1 and not self.read_empty:
                # Purges in between left the log before this worker read them (or it
                # has just started, or the log started again while it was not looking:
                # its numbers start anywhere): no scoped page marked before is trusted.
                with self.lock:
                    self.floor = entries[0][0] - 1
            self._learn(entries)
            # Read, and no purge yet: the next ones are all this worker has not seen.
            self.read_empty = self.last == 0
        except Exception as error:
            if self.trusted:
                logger.warning("page cache: cannot read the purges (%s): later", error)
            self.trusted = False
            self._next_read = now + max(self.interval, 1.0)
            return
        self.trusted = True

    def _learn(self, entries: list[tuple[int, str | tuple[str, ...]]], read: bool = True) -> None:
        """Know the purges of ``entries`` (removing their files); with ``read``, they are
        the log as read: the newest is the last read."""
        scopes: dict[str, int] = {}  # scope -> the newest of its purges in ``entries``
        with self.lock:
            newest = self.last
            for number, named in entries:
                names = named.split(",") if isinstance(named, str) else named
                # The pages marked ``since`` or later stay current (``purge``).
                since = min(
                    [int(n.removeprefix(SINCE)) for n in names if n.startswith(SINCE)] or [number]
                )
                for scope in names:
                    if not scope or scope.startswith(SINCE):
                        continue
                    if since > self.known.get(scope, 0):
                        self.known[scope] = since
                    scopes[scope] = max(scopes.get(scope, 0), since)
                newest = max(newest, number)
            if scopes and self.files_root is not None:
                self._remove_files(scopes)
            if read:
                self.last = newest  # after the files: if their removal fails, read these again

    def mark(self) -> int:
        """What a page rendered from now on records: the newest purge known, or
        ``UNREAD`` while the log cannot be read."""
        return self.last if self.trusted else UNREAD

    def current(self, scopes: tuple[str, ...], mark: int) -> bool:
        """Whether a page of ``scopes`` rendered at ``mark`` is still current.

        While the log cannot be read, only pages rendered meanwhile: no purge can be
        sent then (a change moves the generation instead, which this worker's pages
        follow), so they are as current as any page. Once it is read again, they are not
        (``UNREAD`` is below every floor)."""
        if not scopes:
            return True
        if not self.trusted:
            return mark == UNREAD
        if mark < self.floor:
            return False
        known = self.known
        return all(known.get(scope, 0) <= mark for scope in scopes)

    # -- page files

    def listing(self, scopes: tuple[str, ...]) -> ScopeListing | None:
        """The lists a page file of ``scopes`` is named in (``files.PageFiles.write``)."""
        if not scopes or self.files_root is None:
            return None
        return ScopeListing(self, scopes)

    def files_of(self, scopes: tuple[str, ...]) -> list[str]:
        """The files listed for ``scopes`` in this folder (names under the root, oldest
        listed first). Raises if Redis cannot say."""
        if self.files_root is None:
            return []
        pipe = self.client.pipeline(transaction=False)
        for scope in scopes:
            pipe.zrange(self.files_prefix + scope, 0, -1)
        found: dict[str, None] = {}
        for members in pipe.execute():
            for member in members:
                if (relative := _relative(member)) is not None:
                    found[relative] = None
        return list(found)

    def _remove_files(self, scopes: dict[str, int]) -> None:
        """Remove the files of each scope whose page was marked before its purge
        (``scopes``: scope -> purge number), and forget them; later ones stay listed.

        Each file is removed in its folder's lock (``files.folder_lock``), where a writer
        replaces it and lists its mark: a page written over it meanwhile, marked after
        the purge, stays (the list says so once the lock is taken)."""
        assert self.files_root is not None
        pipe = self.client.pipeline()
        for scope, number in sorted(scopes.items()):
            pipe.zrangebyscore(self.files_prefix + scope, "-inf", f"({number}")
            pipe.smembers(self.unmarked_prefix + scope)
            pipe.delete(self.unmarked_prefix + scope)
        replies = pipe.execute()
        root = self.files_root
        for n, (scope, number) in enumerate(sorted(scopes.items())):
            for member in replies[3 * n]:
                relative = _relative(member)
                if relative is not None:
                    self._remove_marked(scope, number, relative)
            for member in replies[3 * n + 1]:  # listed by a Byline from before: no marks
                relative = _relative(member)
                if relative is not None:
                    _unlink_page(root / relative)

    def _remove_marked(self, scope: str, number: int, relative: str) -> None:
        from byline.pagecache.files import folder_lock

        path = self.files_root / relative  # type: ignore[operator]
        with folder_lock(path.parent, self.lock_wait):  # if not taken: read again later
            score = self.client.zscore(self.files_prefix + scope, relative)
            if score is not None and score >= number:
                return  # written over since, by a page marked after the purge
            _unlink_page(path)
            # (Removed under the lock: a page written after it lists itself anew.)
            self.client.zrem(self.files_prefix + scope, relative)


class ScopeListing:
    """The lists of one page's scopes, for its file (``files.PageFiles.write``, which
    calls both in the file's folder lock, so what they say is what is on disk)."""

    def __init__(self, log: PurgeLog, scopes: tuple[str, ...]) -> None:
        self.log = log
        self.scopes = scopes
        self.lock_wait = log.lock_wait

    def mark_of(self, path: Path) -> int | None:
        """The mark of the page in ``path`` as listed (the lowest of its scopes' lists),
        or None if no list names it. Raises if Redis cannot say."""
        relative = str(path.relative_to(self.log.files_root))  # type: ignore[arg-type]
        pipe = self.log.client.pipeline(transaction=False)
        for scope in self.scopes:
            pipe.zscore(self.log.files_prefix + scope, relative)
        scores = [score for score in pipe.execute() if score is not None]
        return int(min(scores)) if len(scores) == len(self.scopes) else None

    def keep(self, path: Path, mark: int) -> bool:
        """List ``path`` as holding a page marked ``mark``, for the next purge of its
        scopes; False if it cannot be listed (the caller removes the file: unlisted, no
        purge would find it, nginx must not serve it)."""
        relative = str(path.relative_to(self.log.files_root))  # type: ignore[arg-type]
        try:
            pipe = self.log.client.pipeline()
            for scope in self.scopes:
                pipe.zadd(self.log.files_prefix + scope, {relative: mark})
                pipe.expire(self.log.files_prefix + scope, FILES_TTL)
            pipe.execute()
        except Exception as error:
            logger.warning("page cache: cannot list %s (%s): removed", relative, error)
            return False
        return True


def redis_timeout(client) -> float | None:
    """How long ``client`` waits for an answer (``BYLINE_REDIS_TIMEOUT`` for the site's
    pool), or None if it waits as long as it takes."""
    options = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {})
    timeout = options.get("socket_timeout")
    return float(timeout) if timeout else None


def _relative(member: bytes) -> str | None:
    """A listed file's name under the root, or None if it would lead out of it."""
    relative = os.fsdecode(member)
    if relative.startswith("/") or ".." in relative.split("/"):
        return None  # only files under the root, as written
    return relative


def _unlink_page(path: Path) -> None:
    """The page, then its compressed copy (nginx sends the copy only beside the page):
    neither left behind to fill the disk."""
    for name in (path, path.with_name(path.name + ".gz")):
        try:
            name.unlink()
        except FileNotFoundError:
            pass
        except OSError as error:
            logger.warning("page cache: cannot remove %s: %s", name, error)


def folder_id(root: Path) -> str:
    """The id of a folder of page files, made once and kept in it (``.lists-id``: the
    folder's pruning leaves dot files alone), so every worker using it finds the same.
    If it cannot be kept, this process's own (its files are then its own to remove)."""
    path = root / ".lists-id"
    try:
        if not path.exists():
            value = uuid.uuid4().hex
            root.mkdir(parents=True, exist_ok=True)
            temporary = root / f".lists-id.{value}"
            temporary.write_text(value)
            try:
                os.link(temporary, path)  # the first worker's id wins, whole
            except FileExistsError:
                pass
            finally:
                temporary.unlink()
        return path.read_text().strip()
    except OSError as error:
        logger.warning("page cache: cannot keep %s (%s): lists of this worker's own", path, error)
        return uuid.uuid4().hex
