"""The live counts as small files nginx serves, rewritten only when they change.

Behind the shipped nginx configuration, every page view asks for an article's
counts (the beacon's answer, then the page's refreshes). Asking the app for
them, even once a second per article through nginx's micro-cache, costs a
request, a query and a Redis call per article per second whatever happens.
Instead the view log's folder, which already knows which articles readers
are reading, writes their counts JSON to ``<BYLINE_VIEW_LOG_DIR>/counts/<id>.json``
after each fold and nginx serves the file (the beacon's answer too):

- the articles being read are those read in the last ``ACTIVE_SECONDS`` (a
  view of it folded by this process, or its file's counts changed). Every
  ``PUBLISH_SECONDS`` (2 s) the folder reads again, in one query
  (``stats.figures_of_many``) plus one Redis call for the views still
  buffered there, only those whose counts changed: whatever changes them marks
  the article after its commit (``stats.mark_changed``: a vote, a comment's
  reaction, ``article_changed``, views the app counted or flushed, another
  process's fold), and the views this process folded itself it adds to the
  figure it knows (``note_folded``), as it takes the figures the statement that
  cast its own vote log's votes answered (``note_cast``). Every ``FULL_SECONDS`` (30 s), without
  Redis, or when the marks cannot be read, it reads them all, so a lost mark
  cannot leave a file wrong. At the folds between, only an article read that
  has no file yet gets one (the folder is not listed then: the process knows
  which files it wrote and removed, and a ``stat`` tells another's). A file is
  rewritten only when its bytes change (whoever wrote it: the app server folds
  now and then too), and when only its views changed,
  at most every ``VIEWS_ONLY_SECONDS`` (a vote, a rating or a comment shows
  within ``PUBLISH_SECONDS``; a hot article's views would otherwise change every second), so nginx's
  ``ETag`` (the file's time and size) stays the same and readers' refreshes
  get a 304. Each rewrite moves the file's time on by at least a second, so
  two versions of the same size never share an ``ETag``;
- an article that went quiet, or is no longer published, loses its file
  (nginx then asks the app, whose answer for an unpublished article is a 404);
- the body is what the app's counts endpoint answers (``stats.counts_json``),
  ``"stale": true`` included while Redis cannot be read. Views the app buffered
  in Redis are read after the database, so a flush in between may hide them
  until the flush's mark has the article read again, never count them twice.

Files are replaced whole (``write_file``: a spare file swapped in, or a rename),
so nginx never reads half a file. Without a view log folder (the embedded tier)
nothing is written and the app answers.
Other apps write files of their own for the same articles after the counts
(``also_write``: the comments' reaction counts, ``discussion.reaction_files``),
given the counts JSON just read, so they can tell what may have changed.
"""

from __future__ import annotations

import ctypes
import errno
import itertools
import json
import logging
import os
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from byline import redisconn
from byline.db import PRIMARY, AnyOf, Ids, Statement
from byline.engagement import stats
from byline.engagement.models import PendingView
from byline.engagement.stats import PENDING_KEY, figures_of_many
from byline.logthrottle import ThrottledLog, reason_of
from byline.parsing import MAX_ID
from byline.redisconn import redis_client
from byline.signals import COMMENTS, NAMES

logger = logging.getLogger(__name__)

FOLDER = "counts"
ACTIVE_SECONDS = 600.0
VIEWS_ONLY_SECONDS = 3.0  # a file whose views alone changed is rewritten at most this often
# The files are looked at again at most this often (a vote shows within it); at the
# folds between, only the articles read that have no file yet get one.
PUBLISH_SECONDS = 2.0
# A look is due this much before PUBLISH_SECONDS have passed: the folds come every
# ``flush_views --every`` seconds give or take their own few milliseconds, and a look
# that fell due just after a fold would wait for the next one (with folds every 2 s,
# every other look did: votes showed within 4 s, not 2). More when the folds are
# further apart: half the time since the last fold (up to PUBLISH_SECONDS), so a look
# is taken at a fold when waiting for the next would be later than taking it now is
# early. A slow fold (a full look, a busy machine) makes the one after it come early by
# as much: with 0.25 s alone, a fold 0.3 s slower than the next skipped that next look
# (votes within 4 s with folds every 2 s); with folds every second the looks still come
# every other fold.
LOOK_SLACK = 0.25
# Every article being read is read again from the database at least this often,
# whatever the marks said (a mark lost while Redis failed shows then).
FULL_SECONDS = 30.0
_VIEWS = re.compile(rb'\A\{"views":([0-9]+),')
_STALE = b'"stale":true'
QUERY_SIZE = 500

_seen: dict[int, float] = {}  # article -> when a view of it was last folded (monotonic)
_changed: dict[int, float] = {}  # article -> when its file last changed (monotonic)
_published = [float("-inf")]  # when every file was last looked at (monotonic)
_called = [float("-inf")]  # when ``publish`` was last called: the last fold (monotonic)
# article -> its counts JSON as this process knows it: read from the database, plus
# the views this process folded since (``note_folded``)
_bodies: dict[int, bytes] = {}
# Articles the next look reads again whatever the marks say: those whose votes'
# figures ``note_cast`` could not take (a read of the counts, in another thread, ran
# after their statement or while it noted them), and those a failed read asked for.
_again: set[int] = set()
_reads = [0, 0]  # reads of the counts (``_write_files``) begun, and done
_left: dict[int, bytes] = {}  # article -> the bytes this process last left in its file
_left_as: dict[int, tuple[int, int, int, int]] = {}  # article -> that file's ``_identity``
# folder -> the articles this process knows have a file there: listed at each look,
# then moved on by the files it writes and removes (the folds between do not list it)
_on_disk: dict[str, set[int]] = {}
# The marks of changed counts (``stats.CHANGED_KEY``): the last entry read, when every
# article was last read again, and when the marks were last read (monotonic).
_cursor: list[bytes | str | None] = [None]
_full = [float("-inf")]
_marks_read = [float("-inf")]
# Redis's run at the last look: the value of RUN_KEY (see ``changed_articles``)
_redis_run: list[bytes | None] = [None]
RUN_KEY = "byline:engagement:counts:run"
# One line a while (and one when it is over) while the marks cannot be read
unreadable = ThrottledLog(logger, "looks without the marks", again="can be read again")
# Writers of more files for the articles being read: called with the view log's
# folder and the counts JSON of the published articles whose files were just written.
_more_writers: list[Callable[[Path, dict[int, bytes]], object]] = []
_HOST = socket.gethostname()


def also_write(writer: Callable[[Path, dict[int, bytes]], object]) -> None:
    """``publish()`` also calls ``writer(folder, {article id: counts JSON})`` (the
    articles being read that are published; the writer removes the files of the
    others)."""
    if writer not in _more_writers:
        _more_writers.append(writer)


def start_afresh() -> None:
    """Forget what this process knows, as a new folder would (tests)."""
    for known in (_seen, _changed, _bodies, _again, _left, _left_as, _on_disk):
        known.clear()
    _cursor[0] = _redis_run[0] = None
    _published[0] = _called[0] = _full[0] = _marks_read[0] = float("-inf")


def note_viewed(article_ids: Iterable[int]) -> None:
    """Readers are reading these articles (their views were just folded)."""
    now = time.monotonic()
    for article_id in article_ids:
        _seen[article_id] = now


def me() -> str:
    """This process, as its marks name it (a forked worker is another one)."""
    return f"{_HOST}:{os.getpid()}"


def note_folded(views: Mapping[int, int], also: Sequence[tuple[Any, ...]] = ()) -> None:
    """This process just committed these views (article -> how many) to the totals:
    its counts JSON of those articles moves on by as many, without a query, and the
    other folders are told (a mark) to read them again; ``also``: Redis commands sent
    with the mark (``stats.mark_changed``)."""
    for article_id, added in views.items():
        body = _bodies.get(article_id)
        if body is not None and added:
            _bodies[article_id] = with_views(body, added)
    stats.mark_changed([a for a, added in views.items() if added], by=me(), also=also)


def reads_done() -> int:
    """How many reads of the counts this process finished: ``note_cast``'s ``reads``,
    taken before the statement that casts the votes."""
    return _reads[1]


def note_cast(figures: Mapping[int, stats.Figures], reads: int) -> None:
    """This process just committed votes on these articles (its vote log's fold, marked
    ``by=me()``), and the statement that cast them answered each one's figures after
    them (``stats.cast_published_votes``): its counts JSON takes them, without a query,
    the views kept as it knows them (the statement's leave out those still buffered).
    Another folder reads the article again (the mark).

    The same figures as a read at the next look: the statement's are the article's after
    these votes and every change committed before it; a change committed after it marks
    the article after its own commit (``stats.mark_changed``), so the look that reads
    that mark reads the article again, as it would have. Unless a look read the article
    in between (another thread's fold; ``reads``: ``reads_done()`` before the
    statement): that read may hold a change the figures lack, its mark already taken,
    or lack the votes and be written after them, so the next look reads it again."""
    if _reads[0] != reads:  # a read begun since the statement, or not done before it
        _again.update(figures)
        return
    for article_id, figure in figures.items():
        body = _bodies.get(article_id)
        if body is None or _STALE in body:  # read at the next look anyway
            continue
        try:
            counts = json.loads(body)
            fresh = figure.as_json()
            del fresh["views"]
            counts.update(fresh)  # the keys keep their places: the bytes a read would give
            _bodies[article_id] = json.dumps(counts, separators=(",", ":")).encode()
        except Exception:  # after the votes' commit: never the fold's failure
            logger.exception("Counts of article %s: read again at the next look", article_id)
            _again.add(article_id)


def publish(directory: Path) -> int:
    """Rewrite the counts files of the articles being read whose counts changed, and
    remove the files of articles no longer read or published; the files written.

    The folder is listed at each look (every ``PUBLISH_SECONDS``), not at every fold."""
    folder = directory / FOLDER
    now = time.monotonic()
    slack = max(LOOK_SLACK, min(now - _called[0], PUBLISH_SECONDS) / 2)
    _called[0] = now
    every = now - _published[0] >= PUBLISH_SECONDS - slack
    if not every:  # between two looks: only the articles read that have no file yet
        return _first_files(folder)
    _published[0] = now
    folder.mkdir(exist_ok=True)
    present = file_ids(folder)
    _on_disk[os.fspath(folder)] = set(present)
    for article_id, seen in list(_seen.items()):
        if seen < now - ACTIVE_SECONDS:
            del _seen[article_id]
    for article_id in present - _changed.keys():
        _changed[article_id] = now  # a file this process has not written yet
    wanted = sorted(
        set(_seen) | {a for a in present if _changed.get(a, 0.0) >= now - ACTIVE_SECONDS}
    )
    olds, ages, looks = _look_at(folder, [a for a in wanted if a in present], time.time())
    marked = changed_articles(now)
    asked = [
        article_id
        for article_id in wanted
        if marked is None
        or article_id in marked
        or article_id not in _bodies
        or olds.get(article_id) != _left.get(article_id)  # another process wrote it
        or _STALE in _bodies[article_id]
        or article_id in _again
    ]
    return _write_files(folder, present, wanted, asked, olds, ages, looks, now, every=True)


def _first_files(folder: Path) -> int:
    """Between two looks: the files of the articles read that have none yet. The folder
    is not listed (it is at each look): what this process knows is on disk, and a
    ``stat`` of each article it does not know to have a file."""
    base = os.fspath(folder)
    known = _on_disk.get(base)
    if known is None:  # not looked at yet by this process
        _published[0] = float("-inf")
        return publish(folder.parent)
    asked = []
    for article_id in sorted(_seen.keys() - known):
        if os.path.exists(f"{base}/{article_id}.json"):  # another process wrote it
            known.add(article_id)
            _changed.setdefault(article_id, time.monotonic())
        else:
            asked.append(article_id)
    if not asked:
        return 0
    now = time.monotonic()
    return _write_files(folder, set(), asked, asked, {}, {}, {}, now, every=False)


def _write_files(
    folder: Path,
    present: set[int],
    wanted: list[int],
    asked: list[int],
    olds: dict[int, bytes | None],
    ages: dict[int, float],
    looks: dict[int, tuple[int, int, int, int]],
    now: float,
    every: bool,
) -> int:
    """Read the counts of ``asked``, write the files of ``wanted`` whose bytes changed and
    remove those of the articles no longer read or published (of ``present`` too)."""
    directory = folder.parent
    _again.difference_update(asked)  # votes noted from here on have them read again
    _reads[0] += 1
    try:
        fresh = in_batches(counts_bodies, asked)
        for article_id in asked:
            if article_id in fresh:
                _bodies[article_id] = fresh[article_id]
            else:  # quiet, unpublished or deleted
                _bodies.pop(article_id, None)
    except Exception:  # their marks are taken: the next look reads them
        _again.update(asked)
        raise
    finally:
        _reads[1] += 1
    if every:
        for article_id in _bodies.keys() - set(wanted):
            del _bodies[article_id]
        _again.intersection_update(wanted)
    written = 0
    base = os.fspath(folder)
    on_disk = _on_disk.setdefault(base, set())
    for article_id in present | set(wanted):
        path = f"{base}/{article_id}.json"
        body = _bodies.get(article_id)
        if body is None:  # quiet, unpublished or deleted: nginx asks the app
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            for known in (_changed, _left, _left_as):
                known.pop(article_id, None)
            on_disk.discard(article_id)
            continue
        old = olds.get(article_id)
        if old == body or (
            old is not None
            and ages.get(article_id, ACTIVE_SECONDS) < VIEWS_ONLY_SECONDS
            and without_views(old) == without_views(body)
        ):  # unchanged, or only the views moved and the file is fresh enough
            _left[article_id] = old
            if article_id in looks:
                _left_as[article_id] = looks[article_id]
            continue
        _left_as[article_id] = write_file(path, body)
        _left[article_id] = body
        _changed[article_id] = now
        on_disk.add(article_id)
        written += 1
    if every:
        shown = {article_id: _bodies[article_id] for article_id in wanted if article_id in _bodies}
        for writer in _more_writers:
            try:
                writer(directory, shown)
            except Exception as error:  # those files keep what they held; the next fold retries
                logger.warning("files of %s wait for the next fold: %s", writer.__module__, error)
    return written


def _identity(status: os.stat_result) -> tuple[int, int, int, int]:
    """What tells one version of a file from another without reading it: its inode, its
    times (the change time cannot be set back) and its size."""
    return status.st_ino, status.st_ctime_ns, status.st_mtime_ns, status.st_size


def _look_at(
    folder: Path, article_ids: list[int], wall: float
) -> tuple[dict[int, bytes | None], dict[int, float], dict[int, tuple[int, int, int, int]]]:
    """The bytes in these articles' files, seconds since each was written (by whichever
    process: its time may be a second or two ahead, see ``write_file``) and each one's
    ``_identity``. A file still as this process left it is not read again: one ``stat``
    a file."""
    olds: dict[int, bytes | None] = {}
    ages: dict[int, float] = {}
    looks: dict[int, tuple[int, int, int, int]] = {}
    base = os.fspath(folder)
    for article_id in article_ids:
        path = f"{base}/{article_id}.json"
        try:
            status = os.stat(path)
        except FileNotFoundError:
            olds[article_id] = None
            continue
        ages[article_id] = max(0.0, wall - status.st_mtime)
        looks[article_id] = _identity(status)
        if _left_as.get(article_id) == looks[article_id] and article_id in _left:
            olds[article_id] = _left[article_id]
        else:
            olds[article_id] = read_file(path)
    return olds, ages, looks


def changed_articles(now: float) -> set[int] | None:
    """The articles whose counts others marked as changed since the last look
    (``stats.CHANGED_KEY``), or None when every article is to be read again: every
    ``FULL_SECONDS``, without Redis, when it fails, when marks may have been
    trimmed since the last read, when since the last look Redis restarted empty
    or was flushed (marks were skipped while it was down, or are gone), or when it
    refuses writes (``maxmemory``: marks may be refused). Read before the counts, so
    a change committed after it is marked after it and read at the next look.

    Which run of Redis this is, the folders tell by a key of their own
    (``RUN_KEY``, a random value set if missing): another value than at the last
    look means Redis lost its keys; a refused ``SET`` means it refuses writes.
    Neither needs ``INFO``, which managed Redis services may disable. (A Redis that
    refused a mark and takes writes again by the next look, or restarted from a
    snapshot between two looks, is not seen: the full look within ``FULL_SECONDS``
    shows the change.)"""
    client = redis_client()
    if client is None:
        return None
    full = (
        _cursor[0] is None
        or now - _full[0] >= FULL_SECONDS
        or now - _marks_read[0] >= stats.CHANGED_KEEP_SECONDS / 2
    )
    try:
        pipe = client.pipeline(transaction=False)
        pipe.set(RUN_KEY, os.urandom(8).hex(), nx=True)
        pipe.get(RUN_KEY)
        if full:
            pipe.xrevrange(stats.CHANGED_KEY, count=1)
        else:
            pipe.xread({stats.CHANGED_KEY: _cursor[0]})  # type: ignore[dict-item]
        taken, run, found = pipe.execute(raise_on_error=False)
        for answer in (run, found):
            if isinstance(answer, Exception):
                raise answer
    except redis.RedisError as error:
        unreadable.failure(
            "the counts marks",
            reason_of(error),
            "every counts file is read again at each look: the marks cannot be read (%s)",
            reason_of(error),
        )
        _cursor[0] = None
        return None
    if unreadable.down:
        unreadable.answered("the counts marks")
    if isinstance(taken, Exception):  # refusing writes: marks may be refused too
        redisconn.refused(taken, "counts run key", "every counts file is read at each look")
        run = None  # and at the first look after: it may have refused a mark before
    if full or run is None or run != _redis_run[0]:
        _redis_run[0] = run
        if full:
            _cursor[0] = found[0][0] if found else "0-0"
            _full[0] = _marks_read[0] = now
            return None
        _full[0] = now
        full = True  # read every article; the marks from here on are read as usual
    _marks_read[0] = now
    marked: set[int] = set()
    mine = me().encode()
    for _key, entries in found or ():
        for entry_id, fields in entries:
            _cursor[0] = entry_id
            if full or fields.get(b"by") == mine:
                continue  # this process's own folds: it knows those views
            for each in fields.get(b"a", b"").split(b","):
                if each == b"0":  # every article
                    _full[0] = now
                    full = True
                elif each.isdigit():
                    marked.add(int(each))
    return None if full else marked


def in_batches(
    bodies_of: Callable[[list[int]], dict[int, bytes]], article_ids: list[int]
) -> dict[int, bytes]:
    """``bodies_of`` the articles, asked ``QUERY_SIZE`` at a time (one query each)."""
    bodies: dict[int, bytes] = {}
    for start in range(0, len(article_ids), QUERY_SIZE):
        bodies.update(bodies_of(article_ids[start : start + QUERY_SIZE]))
    return bodies


def published_among(article_ids: Collection[int]) -> set[int]:
    """Those of the articles that are published (``Article.objects.published()``), asked
    at every fold (the articles in the lines it read) and at every look at the counts
    files: ``stats.PUBLISHED_AMONG``, its SQL written once, the time and the ids put in
    at each call. The rule stays the ORM's (``published()``), whatever it becomes."""
    if not article_ids:
        return set()
    return set(stats.PUBLISHED_AMONG.rows(article_ids, timezone.now()))


def counts_bodies(article_ids: list[int]) -> dict[int, bytes]:
    """The counts JSON of those of the articles that are published."""
    live = published_among(article_ids)
    ids = [article_id for article_id in article_ids if article_id in live]
    if not ids:
        return {}
    figures = figures_of_many(ids)
    pending: dict[int, int] = dict(PENDING_COUNTS.rows(ids))
    stale = False
    client = redis_client()
    if client is not None:
        today = datetime.now(UTC).date()
        days = [today.isoformat(), (today - timedelta(days=1)).isoformat()]
        try:
            values = client.hmget(PENDING_KEY, [f"{a}:{d}" for a in ids for d in days])
        except redis.RedisError:
            stale = True
        else:
            for n, article_id in enumerate(ids):
                buffered = sum(int(v or 0) for v in values[2 * n : 2 * n + 2])
                pending[article_id] = pending.get(article_id, 0) + buffered
    every = {}
    for article_id in ids:
        counts = stats.counts_json(article_id, figures[article_id], pending.get(article_id, 0))
        if stale:
            counts["stale"] = True
        every[article_id] = counts
    stats.with_more_counts(every)
    return {
        article_id: json.dumps(counts, separators=(",", ":")).encode()
        for article_id, counts in every.items()
    }


def _pending_counts(ids: Collection[int]) -> QuerySet[PendingView, tuple[int, int]]:
    """The views buffered in the database (while Redis failed), per article."""
    return (
        PendingView.objects.filter(AnyOf("article_id", ids))
        .values_list("article_id")
        .annotate(n=Count("id"))
        .values_list("article_id", "n")
        .order_by()
    )


# Read at every look at the counts files for the articles whose counts changed, on the
# primary; its SQL written once (``db.Statement``: the ORM built it in ~0.45 ms of CPU,
# the statement itself ~0.1).
PENDING_COUNTS = Statement(_pending_counts, Ids, using=PRIMARY)


def with_views(body: bytes, added: int) -> bytes:
    """The counts JSON with ``added`` more views."""
    return _VIEWS.sub(lambda m: b'{"views":%d,' % (int(m[1]) + added), body, count=1)


def without_views(body: bytes) -> bytes:
    """The counts JSON without its views (they come first), to tell a views-only change."""
    return _VIEWS.sub(b"{", body, count=1)


def read_file(path: Path | str) -> bytes | None:
    try:
        with open(os.fspath(path), "rb") as file:
            return file.read()
    except FileNotFoundError:
        return None


# A rewrite does not make a new file: on ext4 creating one and renaming it over the
# old costs 150-300 µs of system time (the inode, its block, and the flush ext4 starts
# when a rename replaces a file), writing into an existing one about 25. So the body
# goes into a spare file of this process, which then swaps names with the article's
# file (``renameat2(RENAME_EXCHANGE)``, atomic: nginx opens one whole version or the
# other), and the old version becomes the spare. A spare is written into again only
# once it was swapped out at least ``SPARE_SECONDS`` ago: nginx (``open_file_cache_valid
# 1s``, checked in whole seconds) has long stopped sending it from its descriptor, and
# what it sent from its pages (sendfile) has reached the reader, unless the reader's
# connection stalled that long (TCP resending it then sends the newer bytes: newer
# counts, or JSON the page's script drops). Where the system cannot swap names (not
# Linux, a file system without it) a new file is renamed over the old, as before.
SPARE_SECONDS = 10.0
SPARE_PREFIX = ".spare-"
# (process, folder) -> the spare files of this process there, oldest swapped out first:
# (when it was swapped out, monotonic; its path). A forked worker has spares of its own.
_spares: dict[tuple[int, str], deque[tuple[float, str]]] = {}
_spare_names = itertools.count()
_swap_names: list[Callable[[str, str], bool] | None] = []  # [] not looked up yet


def _name_swapper() -> Callable[[str, str], bool] | None:
    """``renameat2(RENAME_EXCHANGE)`` of the C library, or None where there is none."""
    if not _swap_names:
        swap = None
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            renameat2 = libc.renameat2
        except (OSError, AttributeError):
            renameat2 = None
        if renameat2 is not None:
            renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
            renameat2.argtypes += [ctypes.c_uint]

            def swap(first: str, second: str) -> bool:
                """Swap the two names; False when either is missing."""
                if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), 2):
                    number = ctypes.get_errno()
                    if number == errno.ENOENT:
                        return False
                    if number in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
                        _swap_names[:] = [None]  # not here: rename from now on
                    raise OSError(number, os.strerror(number), first)
                return True

        _swap_names[:] = [swap]
    return _swap_names[0]


_AT_FDCWD = -100


def write_file(path: Path | str, body: bytes) -> tuple[int, int, int, int]:
    """Replace the file whole, its time at least a second after the last version's; the
    ``_identity`` of the version written, taken from its descriptor after the swap (a
    version another process put at the name since is another: ``_look_at`` reads it).

    Plain system calls on the path's string (the folder rewrites a file of every
    article being read every few seconds: pathlib's objects were half of that cost),
    into one of this process's spare files swapped in (above) when one is ready. One
    thread of the process writes at a time (``writing``): the fold's ``publish`` runs in
    request threads while others leave files (``counts_layer``)."""
    with writing:
        return _write_file(os.fspath(path), body)


# One writer of files at a time in this process: its spares, and its temporary names.
writing = threading.RLock()


def _write_file(name: str, body: bytes) -> tuple[int, int, int, int]:
    second = int(time.time())
    try:
        second = max(second, int(os.stat(name).st_mtime) + 1)
    except FileNotFoundError:
        pass
    head, _, tail = name.rpartition("/")
    now = time.monotonic()
    spares = _spares.get((os.getpid(), head))
    if spares is None:
        spares = _spares[(os.getpid(), head)] = deque()
        _remove_old_spares(head)
    swap = _name_swapper()
    if swap is None:  # no swapping (any more): the spares are of no use
        while spares:
            _remove(spares.popleft()[1])
    elif spares:
        when, spare = spares.popleft()
        if when > now - SPARE_SECONDS:  # nginx may still send it: not yet
            spares.appendleft((when, spare))
        else:
            try:
                descriptor = os.open(spare, os.O_WRONLY)
            except FileNotFoundError:  # removed (as another process's old spare): make another
                descriptor = -1
            if descriptor >= 0:
                try:
                    _write_all(descriptor, body, second)
                    os.ftruncate(descriptor, len(body))
                    if _swapped(swap, spare, name, spares, now):
                        return _identity(os.fstat(descriptor))
                finally:
                    os.close(descriptor)
    number = next(_spare_names)
    spare = f"{head}/{SPARE_PREFIX}{os.getpid()}-{number}" if swap else ""
    temporary = spare or f"{head}/.{tail}.{os.getpid()}-{number}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        _write_all(descriptor, body, second)
        if not (spare and _swapped(swap, spare, name, spares, now)):
            os.replace(temporary, name)
        return _identity(os.fstat(descriptor))
    finally:
        os.close(descriptor)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _write_all(descriptor: int, body: bytes, second: int) -> None:
    view, offset = memoryview(body), 0
    while offset < len(body):
        offset += os.pwrite(descriptor, view[offset:], offset)
    os.utime(descriptor, (second, second))


def _swapped(
    swap: Callable[[str, str], bool] | None,
    spare: str,
    name: str,
    spares: deque[tuple[float, str]],
    now: float,
) -> bool:
    """Swap the written spare in for the file ``name``; the old version is then a spare
    (swapped out ``now``). False when nothing was swapped (the caller renames)."""
    if swap is None or _swap_names[0] is None:
        return False
    try:
        if swap(spare, name):
            spares.append((now, spare))
            return True
    except OSError as error:  # no exchange here after all: rename, as without one
        logger.info("counts files are renamed, not swapped: %s", error)
    if os.path.exists(spare):  # no file of that name yet (or no swapping): it becomes it
        os.replace(spare, name)
        return True
    return False


def _remove_old_spares(head: str) -> None:
    """Spare files no process has swapped for ``SPARE_SECONDS`` x 10 (left by a process
    that stopped): removed once a process starts writing in the folder. A process
    whose spare is gone makes another."""
    try:
        entries = list(os.scandir(head))
    except FileNotFoundError:
        return
    old = time.time() - SPARE_SECONDS * 10
    for entry in entries:
        if entry.name.startswith(SPARE_PREFIX):
            try:
                if entry.stat().st_ctime < old:
                    os.unlink(entry.path)
            except FileNotFoundError:
                pass


def file_ids(folder: Path) -> set[int]:
    """The articles that have a file (``<id>.json``) in ``folder``."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return set()
    # Only the names the app writes (``<id>.json``, the id as ``str`` spells it): a stray
    # "².json" or "9999999999999999999.json" would fail every fold's query (the counts
    # files would stop), and "01.json" is not article 1's file (nginx never serves it).
    stems = [name[:-5] for name in names if name.endswith(".json")]
    return {
        int(stem)
        for stem in stems
        if stem.isascii()
        and stem.isdigit()
        and stem[0] != "0"
        and len(stem) <= 19
        and int(stem) <= MAX_ID
    }


def remove_files(kind: str, article_id: int | None) -> None:
    """Remove the article's file in ``<BYLINE_VIEW_LOG_DIR>/<kind>/`` (every file there
    when no article is named); nothing without a view log folder."""
    if not settings.BYLINE_VIEW_LOG_DIR:
        return
    folder = Path(settings.BYLINE_VIEW_LOG_DIR) / kind
    for each in [article_id] if article_id is not None else file_ids(folder):
        (folder / f"{each}.json").unlink(missing_ok=True)


def forget(
    article_id: int | None = None, what: str | None = None, removed: bool = True, **kwargs: object
) -> None:
    """``article_changed`` receiver: remove the article's counts file (all of them when
    no article is named) until the folder's next fold writes it again, so an article taken
    down, or a comment removed (its reaction counts are in the file, ``comment_reactions``),
    stops being answered by nginx at once on this machine, and mark its counts changed
    for every folder. Names changing (``NAMES``: a tag renamed) change no count: every
    file stays. Comments published only (``what=COMMENTS, removed=False``) only mark it
    after the commit: its file stays and the next look (``PUBLISH_SECONDS``) writes the
    new count, as after a vote. (Removed, every beacon and refresh of the article went to
    the app until then: one counts request a second through nginx's micro-cache, ~5 ms
    of app CPU each, after every comment published on an article being read.) When the
    mark cannot be sent (Redis failing), the file is removed as before: the next full
    look could be ``FULL_SECONDS`` away."""
    if what == NAMES:
        return
    if what == COMMENTS and not removed and article_id is not None:
        transaction.on_commit(lambda: _mark_or_remove(article_id))
        return
    _remove_file(article_id)
    stats.mark_changed_after_commit(None if article_id is None else [article_id])


def _mark_or_remove(article_id: int) -> None:
    """Mark the article's counts changed; remove its file if the mark was not sent."""
    if not stats.mark_changed([article_id]):
        _remove_file(article_id)


def _remove_file(article_id: int | None) -> None:
    remove_files(FOLDER, article_id)
    # This process's folds make the file again between looks. (A copy of the folders: a
    # fold in another thread may add one meanwhile.)
    for known in list(_on_disk.values()):
        if article_id is None:
            known.clear()
        else:
            known.discard(article_id)
