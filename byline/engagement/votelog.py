"""Votes nginx answered itself: its vote log cast in batches, exactly once.

Behind the shipped nginx configuration (deploy/nginx.conf, "vote log") the page
script's vote, ``POST /api/articles/<id>/reaction/?reaction=<key>`` or
``.../rating/?stars=<1-5>`` (an empty value withdraws), sent same-origin with no
body, is answered by nginx (202 and the article's counts file) and written as one
line to ``votes-<unix time // 100>.log`` in ``BYLINE_VIEW_LOG_DIR``, beside the view
log: ``msec<TAB>article<TAB>kind<TAB>=value<TAB>address<TAB>-<TAB>reader``.
The reader is the reader cookie as sent, or the id nginx minted for a browser without
one (``$request_id``, set as its cookie): ``readers.reader_from_cookie`` takes both.

``fold()`` runs with the view log's fold (``flush_views --every 2``) and applies to
each line what ``actions.vote()`` applies to a vote the app receives:

- the choice must be valid (``actions.parse_reaction`` / ``parse_stars``); a line that
  is not is dropped and counts towards no limit (the app answers it 400 first);
- the reader and the address (hashed with the salt of the line's own day) send at
  most ``BYLINE_VOTES_PER_MINUTE`` votes a minute, the line's own minute: counted in
  ``ViewMark`` rows written in the batch's transaction, so a rerun decides the same;
- the article must be published (``stats.cast_published_votes``).

The batch's votes are cast in line order in one transaction (a reader's later vote
wins, as if sent one after the other). Lines refused are dropped and counted, and the
counts logged at most once a minute, never a line each.

**Exactly once.** The file's read position (``ViewLogPosition``, the view log's table:
the names differ) moves at the start of the transaction that casts its lines, from
where this folder read it (compare and set: another folder that moved it first wins,
and this one reads on from there next time). A crash anywhere rolls the whole batch
back; the next fold reads again from the last committed position and decides the
same. PostgreSQL down: nothing is cast, nothing is lost, the lines wait in the file.
Redis is not needed (a vote's cast marks its article's counts changed after the
commit, as any vote does; without the mark the counts files' full look shows it).
The mark names this folder, which skips it at its next look: its counts files take the
figures the cast answered (``countfiles.note_cast``), other folders read the article.
A file is deleted once read to its end and nginx has moved on (two slots later).

The addresses in the log are only hashed, with the day's salt; the user agent is not
written ("-": its field is kept for the line's shape, and a line is a hundred bytes or
so however long the header); the file is deleted once folded, and nothing leaves the
server.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from byline import readers
from byline.engagement import actions, countfiles, stats, viewmarks
from byline.engagement.models import ViewLogPosition, ViewMark
from byline.engagement.viewlog import (
    SLOT_SECONDS,
    delete_if_read,
    folder,
    forget_old_positions,
    log_files,
    named,
    position,
    unescape,
)
from byline.parsing import MAX_ID

logger = logging.getLogger(__name__)

FILE_NAME = re.compile(r"votes-([0-9]{1,12})\.log\Z")
BATCH_BYTES = 256 << 10  # read at most this much of a file per transaction
LIMIT_PREFIX = "byline:engagement:votelog:limit:"  # ViewMark keys: an identity's minute
# A limit row lives this long after the fold that last wrote it: the lines of one minute
# are in at most two files read one after the other, seconds apart. (A fold that fails
# for longer between two batches of one minute lets that minute start again: at most
# the limit once more.)
LIMIT_SECONDS = 600
DECISIONS_LOCK = 0x62796C77  # PostgreSQL advisory lock: one vote folder decides at a time
REFUSALS_LOG_SECONDS = 60.0
KINDS = {b"reaction": "reaction", b"rating": "rating"}
# (folder, file name) -> (inode, position) this process last committed or found: a file
# no longer than that holds nothing new, and a fold skips it without a query (a file
# replaced under its name has another inode).
_read_to: dict[tuple[str, str], tuple[int, int]] = {}
_refused: Counter[str] = Counter()
# Positions of files that are gone, and limit rows expired, are removed at most this often.
FORGET_SECONDS = 60.0
_forgotten = [
    float("-inf")
]  # when they were last looked for (monotonic)  # why lines were dropped, since the last log line
_refused_logged = [float("-inf")]  # monotonic


class Line(NamedTuple):
    """One vote in the log, as the rules need it."""

    minute: int  # the line's own time, in whole minutes since the epoch
    article_id: int
    kind: str  # "reaction" or "rating"
    value: str | None  # the reaction key or the stars as text; None withdraws
    ip_hash: str
    reader: str


def fold(directory: Path | None = None) -> int:
    """Cast the votes in the vote log's files; the votes cast.

    Files are read oldest first, each in batches of at most ``BATCH_BYTES``, one
    transaction a batch; a file nginx no longer writes is deleted once read. A failure
    (the database away) goes up: the lines wait for the next fold."""
    directory = directory or folder()
    names = None if directory is None else log_files(directory, FILE_NAME)
    if directory is None or names is None:
        return 0
    cast = 0
    current_slot = int(time.time()) // SLOT_SECONDS
    for slot, name in names:
        cast += _fold_file(directory / name, name, slot <= current_slot - 2)
    if time.monotonic() - _forgotten[0] >= FORGET_SECONDS:
        _forgotten[0] = time.monotonic()
        forget_old_positions(names, FILE_NAME)
        # Limit rows of minutes long folded (a row kept longer only holds its own minute).
        ViewMark.objects.filter(
            key__startswith=LIMIT_PREFIX, expires_at__lt=timezone.now()
        ).delete()
    _log_refusals()
    return cast


def fold_if_configured() -> int:
    """``fold()`` when nginx writes a view log (``BYLINE_VIEW_LOG_DIR``), else nothing;
    as a source of ``viewbuffer.flush()`` (``also_flush``): no views added."""
    if folder() is not None:
        fold()
    return 0


def _fold_file(path: Path, name: str, nginx_moved_on: bool) -> int:
    """Fold one file to its last whole line; delete it when nginx moved on and it is read."""
    try:
        file = path.open("rb")
    except FileNotFoundError:
        return 0  # deleted by another folder
    cast = 0
    key = (str(path.parent), name)
    with file:
        status = os.fstat(file.fileno())
        inode = status.st_ino
        if _read_to.get(key) == (inode, status.st_size):
            offset = status.st_size  # nothing new since this process read it: no query
        else:
            while True:
                known = _read_to.get(key)
                batch_cast, offset, more = _fold_batch(file, path, name, inode, known)
                cast += batch_cast
                if offset >= 0:
                    _read_to[key] = (inode, offset)
                else:
                    _read_to.pop(key, None)
                if not more:
                    break
        delete_if_read(file, path, offset, nginx_moved_on, _read_to)
    return cast


def _fold_batch(
    file: Any, path: Path, name: str, inode: int, known: tuple[int, int] | None
) -> tuple[int, int, bool]:
    """Read on from the file's committed position (``known``: where this process last
    committed it, else its row is read) and cast its whole lines, the position moved in
    the same transaction. Returns (votes cast, position now or -1 when another folder
    holds or moved it, whether more may be read right away)."""
    size = os.fstat(file.fileno()).st_size
    old = known if known is not None and known[0] == inode else position(name)
    start = 0 if old is None or old[0] != inode or old[1] > size else old[1]
    if start >= size:
        return 0, start, False
    file.seek(start)
    data = file.read(BATCH_BYTES)
    end = data.rfind(b"\n") + 1  # a line nginx is still writing waits for its newline
    if not end:
        return 0, start, False
    lines = parse(data[:end], name, start)
    cast = _commit_batch(path, name, old, (inode, start + end), lines)
    if cast is None:
        return 0, -1, False
    return cast, start + end, len(data) == BATCH_BYTES


def _commit_batch(
    path: Path, name: str, old: tuple[int, int] | None, new: tuple[int, int], lines: list[Line]
) -> int | None:
    """Move the file's position from ``old`` to ``new`` and cast the votes of ``lines``
    that pass the rules, in one transaction; the votes cast, or None (nothing done)
    when another folder moved the position first."""
    table = ViewLogPosition._meta.db_table
    offset_column = connection.ops.quote_name("offset")
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        if old is None:
            cursor.execute(
                f"INSERT INTO {table} (name, inode, {offset_column}, updated_at)"  # noqa: S608
                " VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO NOTHING",
                [name, *new, connection.ops.adapt_datetimefield_value(now)],
            )
            # No row and the file gone from its name: another folder read it to its end
            # and deleted it, then its row, after this one opened it. Read again from 0
            # its votes would be cast twice (an old vote over a later one).
            if cursor.rowcount != 1 or not named(path, new[0]):
                transaction.set_rollback(True)
                return None
        else:
            cursor.execute(
                f"UPDATE {table} SET inode = %s, {offset_column} = %s, updated_at = %s"  # noqa: S608
                f" WHERE name = %s AND inode = %s AND {offset_column} = %s",
                [*new, connection.ops.adapt_datetimefield_value(now), name, *old],
            )
            if cursor.rowcount != 1:  # moved by another folder: it read these lines
                return None
        votes = _within_limits(lines, now)
        if not votes:
            return 0
        reads = countfiles.reads_done()
        outcomes = stats.cast_published_votes(votes, by=countfiles.me())
        # Its counts files take the figures the cast answered (after the commit; dropped
        # on a rollback): this process skips its own marks.
        figures = {
            vote[1]: outcome[1]
            for vote, outcome in zip(votes, outcomes, strict=True)
            if outcome is not None
        }
        transaction.on_commit(lambda: countfiles.note_cast(figures, reads))
        unpublished = sum(outcome is None for outcome in outcomes)
        if unpublished:
            _refused["article not published"] += unpublished
        return len(votes) - unpublished


# --- the lines and the rules ---------------------------------------------------------


def parse(data: bytes, name: str, offset: int) -> list[Line]:
    """The votes in a chunk of the file ``name`` read at ``offset`` whose choice is
    valid; any other line is dropped (and counted)."""
    lines: list[Line] = []
    hashers: dict[int, Any] = {}
    for raw in data.split(b"\n")[:-1]:
        at = offset
        offset += len(raw) + 1
        line = _parse_line(raw, name, at, hashers)
        if line is not None:
            lines.append(line)
    return lines


def _parse_line(raw: bytes, name: str, at: int, hashers: dict[int, Any]) -> Line | None:
    try:
        msec, article, kind, value, address, _agent, cookie = raw.split(b"\t")
        article_id = int(article)
        if not 0 < article_id <= MAX_ID:  # no database holds it
            raise ValueError(article)
        minute = int(float(msec)) // 60
        if minute < 0 or kind not in KINDS or not value.startswith(b"="):
            raise ValueError(raw)
    except (ValueError, OverflowError):
        _refused["malformed"] += 1
        return None
    choice = unescape(value[1:])
    try:
        if not choice:
            chosen = None
        elif kind == b"reaction":
            chosen = actions.parse_reaction(choice)
        else:
            chosen = str(actions.parse_stars(choice))
    except actions.VoteRefused:
        _refused["choice not valid"] += 1
        return None
    day = minute // 1440
    hash_ip = hashers.get(day)
    if hash_ip is None:
        day_text = datetime.fromtimestamp(day * 86400, UTC).date().isoformat()
        hash_ip = hashers[day] = readers.ip_bytes_hasher(day_text)
    reader = readers.reader_from_cookie(unescape(cookie)) if cookie != b"-" else None
    return Line(
        minute, article_id, KINDS[kind], chosen, hash_ip(address), reader or _new_reader(name, at)
    )


def _new_reader(name: str, at: int) -> str:
    """The new reader of a line whose cookie is not a reader's (the app gives such a
    vote a new reader too): derived from where the line is, so a rerun casts it as the
    same one, and unguessable without the secret key."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"byline.votelog:{name}:{at}".encode(), "sha256").hexdigest()[:32]


def _within_limits(lines: list[Line], now: datetime) -> list[stats.Vote]:
    """The votes of the lines within ``BYLINE_VOTES_PER_MINUTE`` for their reader and
    their address in the line's minute, the counts kept in ``ViewMark`` rows written in
    the caller's transaction (a vote over either limit is refused and not counted)."""
    if not lines:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # two folders on two files take turns
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DECISIONS_LOCK])
    keyed = [
        (
            f"{LIMIT_PREFIX}r:{line.reader}:{line.minute}",
            f"{LIMIT_PREFIX}a:{line.ip_hash}:{line.minute}",
        )
        for line in lines
    ]
    counts = viewmarks.counts(sorted({key for pair in keyed for key in pair}))
    limit = settings.BYLINE_VOTES_PER_MINUTE
    moved: set[str] = set()
    votes: list[stats.Vote] = []
    for line, keys in zip(lines, keyed, strict=True):
        if any(counts.get(key, 0) >= limit for key in keys):
            _refused["over the limit"] += 1
            continue
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
            moved.add(key)
        votes.append((line.kind, line.article_id, line.reader, line.value))
    viewmarks.store(
        [(key, counts[key]) for key in sorted(moved)], now + timedelta(seconds=LIMIT_SECONDS)
    )
    return votes


def _log_refusals() -> None:
    """The lines dropped since the last such line, at most once a minute."""
    if _refused and time.monotonic() - _refused_logged[0] >= REFUSALS_LOG_SECONDS:
        _refused_logged[0] = time.monotonic()
        told = ", ".join(f"{count} {why}" for why, count in sorted(_refused.items()))
        logger.info("vote log: lines dropped: %s", told)
        _refused.clear()
