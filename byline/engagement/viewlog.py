"""Views nginx answered itself: its view log folded into the totals, exactly once.

Behind the shipped nginx configuration (deploy/nginx.conf) the page script's
view beacon never reaches the app: nginx answers it from its counts
micro-cache and appends one line to a file in ``BYLINE_VIEW_LOG_DIR``. A new
file starts every ``SLOT_SECONDS`` (``views-<unix time // 100>.log``), so no
rotation, no signal to nginx and no logrotate are needed: ``fold()`` deletes a
file once it is read to the end and nginx has moved on to later ones.

A line is ``msec<TAB>article<TAB>address<TAB>user agent<TAB>reader cookie``
(nginx escapes tabs, quotes and other control bytes inside values as ``\\xHH``).
nginx does not write a line for a self-declared bot (its ``map`` repeats
``actions.BOT_USER_AGENT``); the fold applies the rules of
``actions.count_view`` to the rest:

- a declared bot (checked again) is not counted;
- an address sends at most ``BYLINE_VIEWS_PER_MINUTE`` counted views a minute
  (a fixed minute of the line's own time, hashed address);
- the same reader again within 30 minutes is not counted: the same browser
  (salted address hash and user agent) or the same reader cookie, with the
  marks the app's ``count_view`` sets too (``seen``: a reader the app counted
  is a repeat here, and the other way round);
- a view of an article that is not published is dropped.

**Exactly once.** Each file's read position (``ViewLogPosition``) moves in
the same transaction that adds the file's views to ``ArticleStats`` and
``DailyViews``: a fold that crashes anywhere reads again from the last
committed position. Without Redis the per-minute limits and the 30-minute
repeat marks are ``ViewMark`` rows written in that same transaction. With
Redis they are kept there, written before the commit, so they are
idempotent: a mark holds the id of the line that set it (its file's inode
and byte offset), and a line that finds its own mark is still the first;
the limit is a sorted set of line ids (they sort in reading order), and a
line is counted when fewer than the limit were read before it; an address's
first line in a minute is only a field holding its id in one of the minute's 16
hashes of first lines (most addresses send no second: the sorted set is made by
the second line, the first's id in it). A
rerun makes the same decisions. Two folders at once (the app's periodic flush and
``byline flush_views --every 1``) take turns per file: a batch moves the
position only from where its folder read it, so the second adds nothing for lines
the first committed and reads on from there (with Redis on PostgreSQL the batch is
one statement, ``viewsql.engagement_add_views``; otherwise one transaction, in which
on PostgreSQL the second skips a file the first holds, and on SQLite they queue).

The addresses and user agents in the log are read only to be hashed, an address
with the salt of its line's own day (``readers.ip_hasher``); the file is deleted once folded (within
about ``2 x SLOT_SECONDS``), and nothing leaves the server.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from byline import readers
from byline.engagement import actions, countfiles, seen, viewmarks
from byline.engagement.models import ViewLogPosition, ViewMark
from byline.engagement.viewbuffer import Batch, add_rows_call, apply_batch, batch_rows
from byline.parsing import MAX_ID
from byline.redisconn import redis_client

logger = logging.getLogger(__name__)

SLOT_SECONDS = 100
FILE_NAME = re.compile(r"views-([0-9]{1,12})\.log\Z")
BATCH_BYTES = 1 << 20  # read at most this much of a file per transaction
LIMIT_KEY_SECONDS = 180
SEEN_PREFIX = seen.PREFIX  # the app's marks too: one reader counted once by either path
LIMIT_PREFIX = "byline:engagement:viewlog:limit:"  # (without Redis: ViewMark keys)
FIRST_PREFIX = "byline:engagement:viewlog:firsts:"  # a minute's first lines, by address
# A batch's decisions, kept until it is committed (``_decided``): longer than any outage
# the folder should ride out with the same decisions.
DECIDED_PREFIX = "byline:engagement:viewlog:decided:"
DECIDED_SECONDS = 86400
DECISIONS_LOCK = 0x62796C76  # PostgreSQL advisory lock: one folder decides at a time
_ESCAPE = re.compile(rb"\\x([0-9A-Fa-f]{2})")
# (folder, file name) -> (inode, position) this process last committed: a file no
# longer than that holds nothing new, and a fold skips it without a transaction
# (positions only move on; a file replaced under its name has another inode).
_read_to: dict[tuple[str, str], tuple[int, int]] = {}
FORGET_SECONDS = 60.0  # positions of files that are gone are looked for at most this often
_forgotten = [float("-inf")]  # when they were last looked for (monotonic)

# ARGV 7 holds the lines, one a line of text ("\n" between them), each
# "id<TAB>limit key<TAB>article<TAB>identity" (and "<TAB>reader" when the line has a
# reader cookie), or just "id<TAB>limit key" for a line the fold already knows is a
# repeat (the same article, browser and minute as a line before it in the batch: it only
# counts towards the address's limit). Ids sort in the order lines are read, so a line's
# rank is the lines read before it. Returns one character a line, "1" if counted, else
# "0" (one string: the lines as one argument and the answer as one value cost the
# folder's Python ~1 µs a line less than an argument and an integer each). ARGV 1-6:
# seconds a mark lives, the limit, seconds a limit key lives, the marks', the limits'
# and the first lines' key prefixes. Idempotent (see the module docstring): a rerun of
# the same lines gives the same answers. The script reads each line's fields where they
# are in that argument (no string made of the whole line, and a minute's 16 hash keys
# found by the address's first byte, not a string made for it: ~0.6 µs a line of Redis).
#
# The limit: most addresses send one view a minute, so an address's minute is first one
# field of the minute's hash of first lines (``HSETNX``: the address's hash -> its first
# line's id; that line's rank is 0, and a rerun of it finds its own id); only a second
# line makes the sorted set of line ids, with the first line's id in it, where ``ZRANK``
# tells each line's rank as before. The minute's first lines are 16 hashes, by the
# address hash's first hex digit: one hash of a busy minute (180,000 fields at ten
# servers' views) is freed in one go when it expires, 50-90 ms of Redis stalled for
# every vote and mark with Redis's default ``lazyfree-lazy-expire no``; a sixteenth of
# it, a few ms. Each hash is made a hash table when a call first meets it (a field ``""``,
# which no address hash is, holding a value longer than Redis's default
# ``hash-max-listpack-value``, 64): a hash of up to ``hash-max-listpack-entries`` (512)
# short fields is otherwise a listpack, which ``HSETNX`` and ``HGET`` scan field by field;
# at a few hundred views a second each of the 16 stayed one for most of its minute, and
# ``HSETNX`` cost 4-9 µs a line, ~1.2 in a hash table (Redis's CPU a line about halved).
# A Redis configured with a larger ``hash-max-listpack-value`` keeps listpacks: the same
# decisions, at the old cost. Each hash lives ``LIMIT_KEY_SECONDS`` from
# the last call with a line of that minute (renewed once a call): a batch retried for
# longer than a limit key lives still finds the address's first line. (A key of its own
# for each address's minute, as before the thirteenth round, cost Redis ~0.9 µs a line
# more: its own expiry and key. While a folder of before and one of now share a Redis, a
# rolling upgrade, each sees only its own first line of an address's minute: at most one
# view more an address a minute, never two. A folder of the thirteenth round shares every
# key with this one, the field ``""`` aside: no slack.)
_DECIDE = """
local ttl, limit, limit_ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local seen, limits, firsts = ARGV[4], ARGV[5], ARGV[6]
local find, sub, byte, call = string.find, string.sub, string.byte, redis.call
local out, n, expiring, minutes = {}, 0, {}, {}
local wide = string.rep('-', 100)  -- longer than hash-max-listpack-value (64)
local lines, from = ARGV[7], 1
local size = #lines
while from <= size do
    local stop = find(lines, '\\n', from, true) or size + 1
    local a = find(lines, '\t', from, true)
    local colon = find(lines, ':', a + 1, true)
    local b = find(lines, '\t', colon + 1, true)
    if b and b > stop then b = nil end
    local id = sub(lines, from, a - 1)
    local address = sub(lines, a + 1, colon - 1)
    local minute = sub(lines, colon + 1, (b or stop) - 1)
    local hashes = minutes[minute]
    if not hashes then
        hashes = {}
        minutes[minute] = hashes
    end
    local digit = byte(lines, a + 1)
    local firsts_key = hashes[digit]
    if not firsts_key then  -- once a call: the hash made a hash table, and lives on
        firsts_key = firsts .. minute .. ':' .. sub(lines, a + 1, a + 1)
        hashes[digit] = firsts_key
        call('HSETNX', firsts_key, '', wide)
        call('EXPIRE', firsts_key, limit_ttl)
    end
    local rank = 0
    if call('HSETNX', firsts_key, address, id) == 0 then
        local first = call('HGET', firsts_key, address)
        if first ~= id then  -- not the address's first line this minute
            local limit_key = limits .. address .. ':' .. minute
            call('ZADD', limit_key, 'NX', 0, first, 0, id)
            if not expiring[limit_key] then
                expiring[limit_key] = true
                call('EXPIRE', limit_key, limit_ttl)
            end
            rank = call('ZRANK', limit_key, id)
        end
    end
    local counted = 0
    if b and rank < limit then
        counted = 1
        local c = find(lines, '\t', b + 1, true)
        local article = sub(lines, b + 1, c - 1)
        while c do
            local d = find(lines, '\t', c + 1, true)
            if d and d > stop then d = nil end
            local key = seen .. article .. ':' .. sub(lines, c + 1, (d or stop) - 1)
            if not call('SET', key, id, 'NX', 'EX', ttl) and call('GET', key) ~= id then
                counted = 0
            end
            c = d
        end
    end
    n = n + 1
    out[n] = counted
    from = stop + 1
end
return table.concat(out)
"""
_ROUND_TRIP_LINES = 1000  # lines decided per Redis call


def folder() -> Path | None:
    """The view log's folder, or None when nginx writes none (``BYLINE_VIEW_LOG_DIR``)."""
    value = settings.BYLINE_VIEW_LOG_DIR
    return Path(value) if value else None


def log_files(directory: Path, pattern: re.Pattern[str]) -> list[tuple[int, str]] | None:
    """The files of nginx's logs in ``directory`` named as ``pattern`` says, (slot, name)
    oldest first; None when the folder is missing."""
    try:
        return sorted(
            (int(match[1]), entry.name)
            for entry in os.scandir(directory)
            if (match := pattern.match(entry.name))
        )
    except FileNotFoundError:
        return None


def fold(directory: Path | None = None) -> int:
    """Add the views in the view log's files to the totals; the views added.

    Files are read oldest first, each in batches of at most ``BATCH_BYTES``, one
    transaction a batch; a file nginx no longer writes is deleted once read.
    """
    directory = directory or folder()
    names = None if directory is None else log_files(directory, FILE_NAME)
    if directory is None or names is None:
        return 0
    # The counts files are looked at even when a batch failed (Redis or the database is
    # down: its lines wait), so votes and comments still show; the failure goes on up.
    try:
        added = _fold_files(directory, names)
        if time.monotonic() - _forgotten[0] >= FORGET_SECONDS:
            _forgotten[0] = time.monotonic()
            forget_old_positions(names)
    finally:
        try:
            countfiles.publish(directory)
        except Exception as error:  # the files keep their last counts; the next fold retries
            logger.warning("the counts files wait for the next fold: %s", error)
    return added


def _fold_files(directory: Path, names: list[tuple[int, str]]) -> int:
    """Fold the view log files ``names`` ((slot, name), oldest first); the views added."""
    current_slot = int(time.time()) // SLOT_SECONDS
    added = 0
    for slot, name in names:
        path = directory / name
        try:
            file = path.open("rb")
        except FileNotFoundError:
            continue  # deleted by another folder
        with file:
            status = os.fstat(file.fileno())
            inode, key = status.st_ino, (str(directory), name)
            if _read_to.get(key) == (inode, status.st_size):
                offset = status.st_size  # nothing new since this process read it
            else:
                while True:
                    read_to = _read_to.get(key)
                    start = read_to[1] if read_to and read_to[0] == inode else None
                    batch_added, offset, more = _fold_batch(file, name, inode, start)
                    added += batch_added
                    if offset >= 0:
                        _read_to[key] = (inode, offset)
                    else:  # moved or held by another folder: its row is read next time
                        _read_to.pop(key, None)
                    if not more:
                        break
            delete_if_read(file, path, offset, slot <= current_slot - 2, _read_to)
    return added


def delete_if_read(
    file: Any,
    path: Path,
    offset: int,
    moved_on: bool,
    read_to: dict[tuple[str, str], tuple[int, int]],
) -> None:
    """Delete the open log ``file`` at ``path`` that nginx has ``moved_on`` from, once read
    to its end (``offset``) as its position row says, and then that row; ``read_to``: the
    positions this process remembers (the file's forgotten either way when not deleted)."""
    status = os.fstat(file.fileno())
    key = (str(path.parent), path.name)
    if not moved_on or offset != status.st_size:
        return
    if position(path.name) != (status.st_ino, offset):
        # Not read to its end in the database, whatever this process remembers (a
        # failover's new primary may lack its last commits): read from the row.
        read_to.pop(key, None)
        return
    # The file first, then its position: a crash in between leaves a position without
    # a file (removed later), never a file without its position.
    path.unlink(missing_ok=True)
    ViewLogPosition.objects.filter(name=path.name).delete()
    read_to.pop(key, None)


def _fold_batch(file: Any, name: str, inode: int, start: int | None) -> tuple[int, int, bool]:
    """Read on from the file's position, count, and add the views with the position moved,
    in one transaction. ``start``: where this process committed the file's position (its
    row is there, unless another folder moved it since), or None: the row is read.

    Returns (views added, position now or -1 when another folder moved it, whether more
    may be read right away).
    """
    size = os.fstat(file.fileno()).st_size
    if start is not None and start > size:  # a new file, same name (and inode)
        start = None
    old: tuple[int, int] | None = None if start is None else (inode, start)
    if start is None:
        old = position(name)
        start = 0 if old is None or old[0] != inode or old[1] > size else old[1]
    file.seek(start)
    data = file.read(BATCH_BYTES)
    end = data.rfind(b"\n") + 1  # a line nginx is still writing waits
    if not end and old == (inode, start):
        return 0, start, False
    lines, packed, kept = _published_lines(data[:end], slot_of(name), inode, start)
    # With Redis the decisions are taken before the transaction (they are idempotent: a
    # rerun, or another folder deciding the same lines, decides the same), so on
    # PostgreSQL the transaction is one statement; without, they are rows written in it.
    # They are kept until the batch is committed (``_decided``): a rerun after the limit
    # keys expired (the database away for longer than they live) applies them again.
    decided = f"{DECIDED_PREFIX}{name}:{inode}:{start}"
    counted = None
    if lines and redis_client() is not None:
        counted = _decided(decided, packed, kept)
    if old is None and not named(file.name, inode):
        # No row, and the file gone from its name: another folder read it to its end,
        # deleted it, then its row (in that order), after this one opened it. Read again
        # from 0 its lines would be counted twice (their marks hold their own ids).
        return 0, -1, False
    batch = _commit_batch(name, old, (inode, start + end), lines, counted)
    # Committed (or by another folder first): no rerun needs the decisions. Their DEL
    # goes in the round trip of the views' mark (one Redis round trip a batch fewer).
    forget = [("DEL", decided)] if counted is not None else []
    if batch is None:  # another folder moved the position first: read it again
        if forget:
            _forget_decisions(decided)
        return 0, -1, False
    folded: Counter[int] = Counter()
    for (article_id, _day), count in batch.items():
        folded[article_id] += count
    countfiles.note_folded(folded, also=forget)
    return sum(batch.values()), start + end, len(data) == BATCH_BYTES


def named(path: str | Path, inode: int) -> bool:
    """Whether the file at ``path`` is still the one with ``inode`` (an open log file's
    name: not deleted and replaced since it was opened)."""
    try:
        return os.stat(path).st_ino == inode
    except FileNotFoundError:
        return False


def position(name: str) -> tuple[int, int] | None:
    """Where the file's position row says it was read to: (inode, offset), or None."""
    table, offset_column = ViewLogPosition._meta.db_table, connection.ops.quote_name("offset")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT inode, {offset_column} FROM {table} WHERE name = %s",  # noqa: S608
            [name],
        )
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1])


def _commit_batch(
    name: str,
    old: tuple[int, int] | None,
    new: tuple[int, int],
    lines: list[Line],
    counted: list[bool] | None,
) -> Batch | None:
    """Add the views of ``lines`` (``counted``: the decisions taken in Redis; None: taken
    here, in the database) and move the file's position from ``old`` ((inode, offset),
    None for no row) to ``new``, in one transaction; None (nothing done) when the row is
    no longer at ``old``. The lines' articles were just read as published: one deleted
    since makes the commit fail, and the next fold drops its views."""
    if counted is not None and connection.vendor == "postgresql":
        batch = _batch(lines, counted)
        days, totals = batch_rows(batch)
        with connection.cursor() as cursor:  # one statement: viewsql.engagement_add_views
            cursor.execute(*add_rows_call(days, totals, (name, old, new)))
            (moved,) = cursor.fetchone()
        return batch if moved else None
    # Plain SQL for the position row: the ORM's select_for_update().first() and
    # save() cost ~1.4 ms of CPU a fold, these statements ~0.3.
    table, offset_column = ViewLogPosition._meta.db_table, connection.ops.quote_name("offset")
    skip_locked = connection.features.has_select_for_update_skip_locked
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        if old is None:
            cursor.execute(
                f"INSERT INTO {table} (name, inode, {offset_column}, updated_at)"  # noqa: S608
                " VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO NOTHING",
                [name, *new, now],
            )
            if cursor.rowcount != 1:
                return None
        else:
            cursor.execute(
                f"SELECT inode, {offset_column} FROM {table} WHERE name = %s{lock}",  # noqa: S608
                [name],
            )
            if cursor.fetchone() != old:  # held or moved by another folder
                return None
            cursor.execute(
                f"UPDATE {table} SET inode = %s, {offset_column} = %s,"  # noqa: S608
                " updated_at = %s WHERE name = %s",
                [*new, now, name],
            )
        if counted is None:
            counted = _counted_in_database(lines)
        batch = _batch(lines, counted)
        apply_batch(batch, known=True)
    return batch


def forget_old_positions(
    names: list[tuple[int, str]], pattern: re.Pattern[str] = FILE_NAME
) -> None:
    """Positions of the files named as ``pattern`` says that are gone (deleted by a fold
    that crashed before), ``names`` being those ``log_files`` found."""
    present = {name for _, name in names}
    stale = datetime.now(UTC).timestamp() - 3600
    for name in ViewLogPosition.objects.values_list("name", flat=True):
        match = pattern.match(name)
        if name not in present and match and int(match[1]) * SLOT_SECONDS < stale:
            ViewLogPosition.objects.filter(name=name).delete()


# --- the counting rules ---------------------------------------------------------------


class Line(NamedTuple):
    """One view in the log, as the counting rules need it."""

    id: str  # sorts in reading order: slot, offset, inode
    minute: int  # the line's own time, in whole minutes since the epoch
    article_id: int
    ip_hash: str
    identities: tuple[str, ...]  # the browser (address and agent), and the cookie's reader


def unescape(value: bytes, encoding: str = "utf-8") -> str:
    """A field of nginx's log as text: its ``\\xHH`` escapes undone."""
    if b"\\x" in value:
        value = _ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), value)
    return value.decode(encoding, "replace")


def slot_of(name: str) -> int:
    match = FILE_NAME.match(name)
    return int(match[1]) if match else 0


# What a User-Agent or a reader cookie in the log comes to depends on its bytes alone
# (and the secret key): kept across chunks, at most CACHE_SIZE each (then started
# again). Most lines are browsers the folder has met already. Addresses are not kept:
# they are only ever hashed with the day's salt.
CACHE_SIZE = 20_000
_agents: dict[bytes, str] = {}  # User-Agent -> its hash, "" for a declared bot
_cookies: dict[bytes, str] = {}  # reader cookie -> the reader, "" when not a valid one


def agent_hash(agent: bytes) -> str:
    """The hash of a User-Agent as nginx logged it, or "" for a declared bot."""
    known = _agents.get(agent)
    if known is None:
        # The header's bytes as latin-1, as WSGI gives them to the app (``hash_text``).
        text = unescape(agent, "latin-1")
        known = "" if actions.is_declared_bot(text) else actions.hash_text(text)
        if len(_agents) >= CACHE_SIZE:
            _agents.clear()
        _agents[agent] = known
    return known


def _cookie_reader(cookie: bytes) -> str:
    known = _cookies.get(cookie)
    if known is None:
        known = readers.reader_from_cookie(unescape(cookie)) or ""
        if len(_cookies) >= CACHE_SIZE:
            _cookies.clear()
        _cookies[cookie] = known
    return known


def parse(data: bytes, slot: int, inode: int, offset: int) -> list[Line]:
    """The lines of a chunk of file ``slot`` read at ``offset``, declared bots left out;
    malformed lines are logged and skipped. A line's id sorts as the lines are read
    (slot, then offset)."""
    return _parse(data, slot, inode, offset)[0]


def _parse(data: bytes, slot: int, inode: int, offset: int) -> tuple[list[Line], list[str]]:
    """``parse``, and each line as the ``_DECIDE`` script takes it (``_packed``), built
    in the same pass (the line's fields are at hand: a second pass over the lines cost
    ~1 µs a line)."""
    lines: list[Line] = []
    packed: list[str] = []
    append, pack = lines.append, packed.append
    make = tuple.__new__  # a Line without its generated __new__'s Python call
    # A line with the same article, identities and minute as one before it (the same
    # limit key, article and marks: the part of its packed text after its id)
    earlier: set[str] = set()
    # Each line's address is hashed with its own day's salt, as the app hashed it then
    # (a view at 23:59:59.9 folded after midnight is still that day's browser).
    day = -1
    hash_ip = readers.ip_bytes_hasher()
    agents, cookies = _agents, _cookies
    prefix = f"{slot:012d}:"
    suffix = f":{inode}"
    for raw in data.split(b"\n")[:-1]:
        start = offset
        offset += len(raw) + 1
        try:
            msec, article, address, agent, cookie = raw.split(b"\t")
            article_id = int(article)
            if not 0 < article_id <= MAX_ID:  # no database holds it: the fold would fail
                raise ValueError(article)
            minute = int(float(msec)) // 60
        except (ValueError, OverflowError):
            logger.warning("view log: skipping a malformed line %r", raw[:200])
            continue
        agent_id = agents.get(agent)
        if agent_id is None:
            agent_id = agent_hash(agent)
        if not agent_id:
            continue
        if minute // 1440 != day:
            day = minute // 1440
            hash_ip = readers.ip_bytes_hasher(_day(minute).isoformat())
        ip_hash = hash_ip(address)
        browser = f"{ip_hash}:{agent_id}"
        limit = f"{ip_hash}:{minute}"
        reader = ""
        if cookie != b"-" and cookie:
            reader = cookies.get(cookie)  # type: ignore[assignment]
            if reader is None:
                reader = _cookie_reader(cookie)
        line_id = f"{prefix}{start:013d}{suffix}"
        if reader:
            identities: tuple[str, ...] = (browser, reader)
            rest = f"{limit}\t{article_id}\t{browser}\t{reader}"
        else:
            identities = (browser,)
            rest = f"{limit}\t{article_id}\t{browser}"
        if rest in earlier:
            pack(f"{line_id}\t{limit}")
        else:
            earlier.add(rest)
            pack(f"{line_id}\t{rest}")
        append(make(Line, (line_id, minute, article_id, ip_hash, identities)))
    return lines, packed


_days: dict[int, date] = {}


def _day(minute: int) -> date:
    """The UTC day of a minute since the epoch."""
    number = minute // 1440
    day = _days.get(number)
    if day is None:
        day = _days[number] = datetime.fromtimestamp(number * 86400, UTC).date()
    return day


def _published_lines(
    data: bytes, slot: int, inode: int, offset: int
) -> tuple[list[Line], list[str], list[int] | None]:
    """The lines of a chunk of the log whose articles are published (``parse``), each
    as the ``_DECIDE`` script takes it, and where each is among the chunk's lines (None:
    every line kept)."""
    lines, packed = _parse(data, slot, inode, offset)
    if not lines:
        return lines, packed, None
    articles = {line.article_id for line in lines}
    live = countfiles.published_among(articles)
    countfiles.note_viewed(live)
    if len(live) == len(articles):
        return lines, packed, None
    kept = [n for n, line in enumerate(lines) if line.article_id in live]
    return [lines[n] for n in kept], [packed[n] for n in kept], kept


def _decided(key: str, packed: list[str], kept: list[int] | None) -> list[bool]:
    """The decisions of a batch's lines (``packed``, at ``kept`` among the chunk's lines),
    the same as an earlier run of this batch took them when one did and its batch was
    not committed: kept under ``key`` (the file and where the batch starts) until it is.

    The limit keys live ``LIMIT_KEY_SECONDS``: a batch whose commit failed and that is
    run again after they expired (the database away longer, the folds failing before
    Redis) would rank its lines without the address's earlier lines of the minute, and
    count an address over its limit up to the limit again. Its lines are decided as
    before: one counted stays counted, one not counted is sent as a repeat (it counts
    towards the address's limit, sets no mark), so the keys hold them again for the
    lines after. One string, a character a line of the chunk ("1", "0", "-" for a line
    never decided: its article not published at any run), for ``DECIDED_SECONDS``; a
    batch decided for the first time costs one ``GET`` and one ``SET`` more, and its
    commit a ``DEL``."""
    client = redis_client()
    assert client is not None
    got = client.get(key) or b""
    earlier = got.encode() if isinstance(got, str) else got
    at = range(len(packed)) if kept is None else kept
    before = [earlier[n : n + 1] for n in at]
    sent = [
        "\t".join(text.split("\t", 2)[:2]) if was == b"0" else text
        for text, was in zip(packed, before, strict=True)
    ]
    counted = _counted_in_redis(sent)
    counted = [
        was == b"1" if was in (b"0", b"1") else now
        for now, was in zip(counted, before, strict=True)
    ]
    # From the earlier decisions: a line left out now (its article unpublished since)
    # keeps its own for a run that finds it published again.
    flags = bytearray(earlier.ljust(max(at) + 1 if at else 0, b"-"))
    for n, yes in zip(at, counted, strict=True):
        flags[n] = 49 if yes else 48  # "1", "0"
    if bytes(flags) != earlier:
        client.set(key, bytes(flags), ex=DECIDED_SECONDS)
    return counted


def _forget_decisions(key: str) -> None:
    """After the commit: the batch's decisions are not needed again (if Redis cannot be
    reached they expire)."""
    client = redis_client()
    try:
        if client is not None:
            client.delete(key)
    except Exception as error:  # noqa: BLE001  (the commit stands; the key expires)
        logger.warning("view log: a folded batch's decisions stay until they expire: %s", error)


def _batch(lines: list[Line], counted: list[bool]) -> Batch:
    """The views to add: (article, day) -> count of the lines counted."""
    per_day = Counter(
        (line.article_id, line.minute // 1440)
        for line, yes in zip(lines, counted, strict=True)
        if yes
    )
    batch: Batch = Counter()
    for (article_id, number), count in per_day.items():
        batch[(article_id, _day(number * 1440))] += count
    return batch


def _limit_key(line: Line) -> str:
    return f"{LIMIT_PREFIX}{line.ip_hash}:{line.minute}"


def _mark_keys(line: Line) -> list[str]:
    return [f"{SEEN_PREFIX}{line.article_id}:{identity}" for identity in line.identities]


def _counted_in_redis(packed: list[str]) -> list[bool]:
    """The decisions of the lines ``packed`` (``_parse``), in ``_DECIDE``."""
    client = redis_client()
    assert client is not None
    counted: list[bool] = []
    script = client.register_script(_DECIDE)
    head: list[Any] = [
        actions.VIEW_REPEAT_SECONDS,
        settings.BYLINE_VIEWS_PER_MINUTE,
        LIMIT_KEY_SECONDS,
        SEEN_PREFIX,
        LIMIT_PREFIX,
        FIRST_PREFIX,
    ]
    for start in range(0, len(packed), _ROUND_TRIP_LINES):
        # A RedisError: nothing is committed, and the next fold reads these lines again.
        lines = "\n".join(packed[start : start + _ROUND_TRIP_LINES])
        flags = script(keys=[], args=[*head, lines])
        if isinstance(flags, str):
            flags = flags.encode()
        counted += [flag == 49 for flag in flags]  # b"1"
    return counted


def _counted_in_database(lines: list[Line]) -> list[bool]:
    """The same decisions without Redis: the marks and limits are ``ViewMark`` rows,
    written in the fold's transaction (so a crash leaves none behind).

    Two folders on different files at once would each read an address's count,
    add their own lines and write the sum, one overwriting the other: so the
    decisions take turns (on PostgreSQL a lock held to the end of the
    transaction; SQLite's write transactions already queue).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DECISIONS_LOCK])
    now = datetime.now(UTC)
    ViewMark.objects.filter(expires_at__lt=now).delete()
    wanted = {_limit_key(line) for line in lines}
    for line in lines:
        wanted.update(_mark_keys(line))
    known = viewmarks.counts(sorted(wanted))
    limit = settings.BYLINE_VIEWS_PER_MINUTE
    limits: dict[str, int] = {}
    marks: set[str] = set()
    counted: list[bool] = []
    for line in lines:
        key = _limit_key(line)
        limits[key] = known[key] = known.get(key, 0) + 1
        if known[key] > limit:
            counted.append(False)
            continue
        keys = _mark_keys(line)
        counted.append(not any(mark in known for mark in keys))
        for mark in keys:
            if mark not in known:
                known[mark] = 1
                marks.add(mark)
    seen_until = now + timedelta(seconds=actions.VIEW_REPEAT_SECONDS)
    ViewMark.objects.bulk_create(
        [ViewMark(key=mark, count=1, expires_at=seen_until) for mark in sorted(marks)],
        batch_size=2000,
    )
    limit_until = now + timedelta(seconds=LIMIT_KEY_SECONDS)
    viewmarks.store(sorted(limits.items()), limit_until)
    return counted


def fold_if_configured() -> int:
    """``fold()`` when nginx writes a view log (``BYLINE_VIEW_LOG_DIR``), else nothing."""
    return fold() if folder() is not None else 0
