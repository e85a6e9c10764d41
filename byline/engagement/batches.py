"""Vote batches: the votes that arrive together in one process, cast in one statement.

On PostgreSQL a vote alone costs a locked row, two updates, a commit (a WAL
flush) and a figures query, most of it the same whatever the number of
votes. So each app-server process casts its votes through one thread, the
caster: a request thread hands over its vote (``actions.vote`` calls
``cast_checked()``) and waits; the caster takes every vote waiting when it is
free, counts their rate limits in one Redis round trip, and casts them all
with one call of ``stats.cast_votes``, the write every vote goes through:
on PostgreSQL one statement (``votesql.py``), one transaction, one commit,
with the figures of every article voted on. While a batch is in
the database the next votes queue, so batches grow with the load and a vote
on a quiet site waits for nobody (no timer). Each vote is answered after
its batch commits, with the reader's vote afterwards and the figures of
its article after the batch.

A vote that finds nothing to wait for (no batch in the database, no vote
queued, the caster not about to cast) on a thread whose connection is open
is a batch of one: its own request thread casts it, on that connection,
holding the same one-at-a-time lock the caster casts under (``_casting``),
so a process still has at most one batch in the database and the votes
that arrive meanwhile queue for the caster's next batch. Handing one vote
to the caster and waking the request thread again cost more CPU than the
cast (1.5-1.9 ms against 1.1-1.4 a vote with votes one at a time, as a site
that is not voting in a storm gets them). A thread that would connect first
hands its vote to the caster, whose connection is open.

What the votes of one batch do is what they would do cast one after
another in the order they arrived: each states the reader's choice, so a
reader's last vote in the batch is where they end up. Each is answered with
the figures after the batch and with where its reader ended up then (so two
answers to one reader, arriving in either order, agree with each other and
with the figures). What can fail:

- a batch the database refuses (an article deleted after the vote was
  checked) is cast again one vote at a time, so only the refused vote fails
  (no statement begun that could end after ``wait_seconds``: the votes not
  reached by then fail with ``NotCast``, not cast);
- a batch whose connection the server dropped (a restart) is cast again, once,
  on a new connection (``postgres.again_if_dropped``: casting it twice changes
  nothing); if that fails too, the batch fails as a whole (503s) and the next
  batch opens a new connection. Like the vote layer, the caster skips Django's
  health check on a connection that cast a batch less than ``TRUSTED_FOR``
  seconds ago, its statements cut off by the server's clock where the caster
  stops waiting (``byline.postgres.cutoff``);
- a batch whose statement ran past that cut-off (a server that froze with it
  and thawed after the caster gave up, or a statement slower than the wait)
  cast nothing: its votes fail with ``NotCast`` (503s), not cast again.

Not batched (``actions.batching``): votes on other databases (SQLite takes
one writer at a time), votes cast inside a transaction (they belong to it),
and all votes when ``BYLINE_VOTE_BATCHES`` is off.
"""

from __future__ import annotations

import _thread
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    OperationalError,
    close_old_connections,
    connections,
)

from byline import postgres, readers
from byline.engagement import stats
from byline.engagement.stats import Outcome
from byline.postgres import cutoff

logger = logging.getLogger(__name__)

# A connection that cast a batch this recently is used without a health check, if its
# statements are cut off where the caster stops waiting (as the vote layer's,
# ``vote_layer.TRUSTED_FOR``, which says why).
TRUSTED_FOR = 30.0
# The caster closes its connection after this long without a vote.
IDLE_SECONDS = 30.0
# At most this many votes in one statement (more wait for the next).
MAX_BATCH = 500
# How long a vote waits for its caster outside an app server (no database deadline).
WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class Check:
    """What the caster checks of a vote before casting it, in one Redis call per batch.

    The vote counts one hit on each rate-limit counter of ``identities`` and
    reads ``read`` (the article's buffered views); ``refusal(over)`` then says
    why the vote is refused (an exception for the reader) or None. Its article
    must be published: when ``known_live(article)`` does not say so already,
    the statement that casts it checks (``stats.cast_published_votes``), tells
    ``seen_live`` the articles it found published and fails the others' votes
    with ``unpublished(article)``, not cast.
    """

    identities: tuple[str, ...]
    read: tuple[str, str] | None
    limit: int
    refusal: Callable[[bool], BaseException | None]
    unpublished: Callable[[int], BaseException]
    known_live: Callable[[int], bool]
    seen_live: Callable[[Iterable[int]], None]


class Vote:
    """One vote on its way through the caster; ``wait()`` gives its outcome or raises."""

    __slots__ = (
        "kind", "article_id", "reader", "value", "check", "read", "outcome", "error", "_done",
        "_taken", "_taker",
    )  # fmt: skip

    def __init__(
        self,
        kind: str,
        article_id: int,
        reader: str,
        value: str | None,
        check: Check | None = None,
    ) -> None:
        self.kind, self.article_id, self.reader, self.value = kind, article_id, reader, value
        self.check = check
        self.read: bytes | None = None  # what the check read
        self.outcome: Outcome | None = None
        self.error: BaseException | None = None
        self._done = _thread.allocate_lock()
        self._done.acquire()
        self._taken = _thread.allocate_lock()  # held by whoever took it (``take``)
        self._taker: threading.Thread | None = None

    def wait(self) -> Outcome:
        """The vote's outcome, or what failed it.

        A vote no caster took within ``wait_seconds`` (its caster stopped or
        died with it queued) is taken back: it is never cast, and fails with
        ``NotCast`` (an outage: 503 and ``Retry-After``). One a caster took is
        waited for as long as that caster lives: its batch is in the database
        (each statement within its deadline, the one-at-a-time fallback within
        ``wait_seconds``), and an answer given before the vote is cast would let
        it overwrite the reader's next vote, answered meanwhile by another
        process. Its caster dead, it fails the same way (cast or not: the caster
        died casting it).
        """
        while not self._done.acquire(timeout=wait_seconds()):
            if _give_up(self):  # nobody took it: it will never be cast
                raise NotCast("no vote caster took the vote in time")
            taker = self._taker
            if taker is not None and not taker.is_alive():
                if self._done.acquire(blocking=False):
                    break  # answered as it went
                raise NotCast("the vote caster stopped while casting the vote")
        if self.error is not None:
            raise self.error
        assert self.outcome is not None
        return self.outcome

    @property
    def taken(self) -> bool:
        return self._taken.locked()

    def take(self) -> bool:
        """Take the vote to cast it (or, its reader, to give it up): True for the one
        who takes it first, False after."""
        if not self._taken.acquire(blocking=False):
            return False
        self._taker = threading.current_thread()
        return True

    def answer(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self._done.release()

    def fail(self, error: BaseException) -> None:
        self.error = error
        self._done.release()

    @property
    def settled(self) -> bool:
        return self.outcome is not None or self.error is not None


def cast(
    kind: str, article_id: int, reader: str, value: str | None, check: Check | None = None
) -> Outcome:
    """Cast one vote in the next batch; the reader's vote afterwards and the figures.

    ``kind`` is "reaction" (``value`` a key to set, '' withdraws) or "rating"
    (``value`` the stars as text, None withdraws). Raises what the database
    raised if the vote could not be cast, or the ``check``'s refusal.
    """
    return cast_checked(Vote(kind, article_id, reader, value, check))[0]


def cast_checked(vote: Vote) -> tuple[Outcome, bytes | None]:
    """Cast ``vote`` in the next batch; its outcome and what its check read.

    With no batch in the database and none waiting, on this thread at once.
    """
    global _handed
    if CAST_WHEN_IDLE and _idle() and _casting.acquire(blocking=False):
        try:
            alone = _idle()  # nobody queued meanwhile: a batch of one, here
            if alone:
                _cast_here(vote)
        finally:
            _casting.release()
        if alone:
            return vote.wait(), vote.read
    while True:
        inbox = _caster()
        if inbox is None:  # no caster for now (one died at once): cast here, in turn
            # Within the vote's wait: a reader is never left waiting behind a batch stuck
            # in the database; not cast, the vote fails (503) and may be sent again.
            if not _casting.acquire(timeout=wait_seconds()):
                raise NotCast("no vote caster, and the votes before it were still being cast")
            try:
                _cast_here(vote)
            finally:
                _casting.release()
            return vote.wait(), vote.read
        with _lock:  # counted before it is queued: no vote cast alone overtakes it
            # Still the running caster's inbox: ``stop()`` and the move of a dead
            # caster's queue happen under ``_lock``, and one taken before them is theirs.
            if inbox is _inbox and _thread_of is not None and _thread_of.is_alive():
                _handed += 1
                inbox.put(vote)
                break
    return vote.wait(), vote.read


class NotCast(OperationalError):
    """A vote no caster cast in time (stopped or died): a 503 for its reader, who may send
    it again."""


def wait_seconds() -> float:
    """How long a vote waits for its caster before it is taken back (and then for its
    batch): a batch's Redis call, its statement and the same statement once more on a
    new connection (``postgres.again_if_dropped``), each within their deadline."""
    deadline = postgres.deadline()
    return WAIT_SECONDS if deadline is None else 2 * (deadline + postgres.GRACE_SECONDS) + 5


def _give_up(vote: Vote) -> bool:
    """Take back a vote handed to the caster that no caster took: True if it was still
    there (it is then never cast and no longer counted as handed over)."""
    global _handed
    with _lock:  # with the count: a dead caster's queue is moved under it
        if not vote.take():
            return False
        _handed -= 1
        return True


def _idle() -> bool:
    """No vote handed to the caster and not yet cast (queued, or taken and waiting for
    ``_casting``), and this thread's database connection open (a request thread that
    would connect first costs more than the hand-over: its vote goes to the caster,
    whose connection is)."""
    return not _handed and connections[DEFAULT_DB_ALIAS].connection is not None


def _cast_by_caster(count: int) -> None:
    """``count`` votes handed to the caster are cast (or failed): no longer waiting."""
    global _handed
    with _lock:
        _handed -= count


def _cast_here(vote: Vote) -> None:
    """Cast a batch of one on this thread (the caller holds ``_casting``); whatever
    happens, the vote is answered or failed."""
    try:
        cast_batch([vote])
    except Exception as error:  # answered with the error, as the caster would
        if not vote.settled:
            vote.fail(error)


# Votes cast on the request thread when nothing waits (tests of the caster turn it off).
CAST_WHEN_IDLE = True
_STOP = object()
_lock = threading.Lock()
# Held while a batch is cast, by the caster or by a request thread casting its own vote.
_casting = threading.Lock()
# Votes handed to the caster and not yet cast (counted under ``_lock`` before they are
# queued, uncounted after their batch releases ``_casting``): a vote cast alone on its
# request thread while one is would overtake it (a reader's newer vote then overwritten
# by their older one).
_handed = 0
_inbox: queue.SimpleQueue[Any] | None = None
_thread_of: threading.Thread | None = None
_pid = 0
# A caster that dies at once every time would be started again and again, by every vote,
# in a loop: after QUICK_DEATHS casters in a row each died within QUICK_DEATH_SECONDS of
# its start, no caster is started for BACKOFF_SECONDS (votes are cast on their request
# threads meanwhile), then one is tried again.
QUICK_DEATH_SECONDS = 2.0
QUICK_DEATHS = 2
BACKOFF_SECONDS = 10.0
_started = 0.0  # time.monotonic() when this process's caster was started
_quick_deaths = 0  # casters in a row that died within QUICK_DEATH_SECONDS
_no_caster_until = 0.0
_backed_off_for: threading.Thread | None = None  # the caster whose death began it


def _caster() -> queue.SimpleQueue[Any] | None:
    """This process's caster's inbox, starting the caster if needed (also after a fork);
    None while no caster may start (``_died_at_once``)."""
    global _inbox, _thread_of, _pid, _handed, _started
    inbox, thread = _inbox, _thread_of
    if inbox is not None and _pid == os.getpid() and thread is not None and thread.is_alive():
        return inbox
    with _lock:
        alive = _thread_of is not None and _thread_of.is_alive()
        if _inbox is None or _pid != os.getpid() or not alive:
            stranded = _inbox if _inbox is not None and _pid == os.getpid() else None
            if stranded is not None and _died_at_once(stranded):
                return None
            _inbox = queue.SimpleQueue()
            if stranded is not None:  # a caster that died: its queue moves to the next
                logger.error("The vote caster had stopped; starting a new one.")
                moved = 0  # those the dead caster took are lost: only these wait
                while not stranded.empty():
                    vote = stranded.get_nowait()
                    if isinstance(vote, Vote) and not vote.taken:  # (not given up)
                        _inbox.put(vote)
                        moved += 1
                _handed = moved
            _thread_of = threading.Thread(
                target=_run, args=(_inbox,), name="byline-vote-caster", daemon=True
            )
            _pid = os.getpid()
            _started = time.monotonic()
            try:
                _thread_of.start()
            except Exception:  # (no thread to be had): as a caster that died at once
                logger.exception("The vote caster could not be started.")
                _back_off(_inbox)
                return None
        return _inbox


def _died_at_once(stranded: queue.SimpleQueue[Any]) -> bool:
    """Whether no caster may start now (called under ``_lock`` when this process's
    caster has died, ``stranded`` its queue): for ``BACKOFF_SECONDS`` after the
    ``QUICK_DEATHS``-th caster in a row died within ``QUICK_DEATH_SECONDS`` of its
    start. Votes are then cast on their request threads, one batch at a time as ever
    (``_casting``); those the dead caster left queued fail at once (``NotCast``: 503,
    sent again), none cast later behind a newer one. One line logged a backoff."""
    global _quick_deaths
    now = time.monotonic()
    if now < _no_caster_until:
        return True
    if _thread_of is _backed_off_for:  # its backoff is over: a new caster is tried
        return False
    _quick_deaths = _quick_deaths + 1 if now - _started < QUICK_DEATH_SECONDS else 0
    if _quick_deaths < QUICK_DEATHS:
        return False
    logger.error(
        "The vote caster died %.1f s after it started; votes are cast on their request "
        "threads for %.0f s, then a new caster is tried.",
        now - _started,
        BACKOFF_SECONDS,
    )
    _back_off(stranded)
    return True


def _back_off(stranded: queue.SimpleQueue[Any]) -> None:
    """No caster for ``BACKOFF_SECONDS`` (under ``_lock``): the votes left in
    ``stranded``, the queue of a caster that died or never started, fail at once."""
    global _handed, _no_caster_until, _quick_deaths, _backed_off_for
    _no_caster_until, _backed_off_for = time.monotonic() + BACKOFF_SECONDS, _thread_of
    _quick_deaths = max(_quick_deaths, QUICK_DEATHS)  # (the next to die at once: again)
    while not stranded.empty():
        vote = stranded.get_nowait()
        if isinstance(vote, Vote) and vote.take():  # (not given up)
            vote.fail(NotCast("the vote caster stopped before it cast the vote"))
    _handed = 0  # (as when a queue moves: those the dead caster took are lost)


def queued() -> int:
    """How many votes wait for the caster of this process."""
    inbox = _inbox
    return inbox.qsize() if inbox is not None and _pid == os.getpid() else 0


def stop() -> None:
    """Cast what is queued, stop the caster and close its connections (tests, shutdown);
    a vote handed over after that fails."""
    global _inbox, _thread_of, _no_caster_until, _quick_deaths
    with _lock:
        inbox, thread = _inbox, _thread_of
        _inbox = _thread_of = None
        _no_caster_until, _quick_deaths = 0.0, 0  # the next start is a fresh one
    if inbox is not None and thread is not None and _pid == os.getpid():
        inbox.put(_STOP)
        if thread.ident is not None:  # (one that could not be started: nothing to join)
            thread.join()
        while not inbox.empty():  # handed over after the stop: never left waiting
            vote = inbox.get_nowait()
            if isinstance(vote, Vote) and vote.take():
                vote.fail(RuntimeError("the vote caster has stopped"))
                _cast_by_caster(1)


def _run(inbox: queue.SimpleQueue[Any]) -> None:
    db = connections[DEFAULT_DB_ALIAS]
    last_used = 0.0
    stopping = False
    try:
        while not stopping:
            try:
                first = inbox.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                connections.close_all()
                continue
            if first is _STOP:
                break
            # A request thread may be casting its own vote: this batch is the next.
            _casting.acquire()
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    vote = inbox.get_nowait()
                except queue.Empty:
                    break
                if vote is _STOP:
                    stopping = True
                    break
                batch.append(vote)
            batch = [vote for vote in batch if vote.take()]  # not those given up
            try:
                # What request_started does for a request thread, for every database
                # the batch may read (the checks read replicas when there are some).
                close_old_connections()
                if (
                    db.connection is not None
                    and time.monotonic() - last_used < TRUSTED_FOR
                    and cutoff.covered(db)
                ):
                    postgres.trust(db)
                if cast_batch(batch):
                    last_used = time.monotonic()
            except Exception as error:  # the caster must outlive any batch
                logger.exception("The vote caster failed a batch.")
                for vote in batch:
                    if not vote.settled:
                        vote.fail(error)
            finally:
                _casting.release()
                _cast_by_caster(len(batch))
    finally:
        connections.close_all()


def _after_fork_in_child() -> None:
    """A forked process starts with no caster, nothing handed over and ``_casting``
    free: the parent's threads do not survive a fork, and a lock one of them held at
    the fork would stay held in the child, every vote waiting on it for ever."""
    global _lock, _casting, _handed, _inbox, _thread_of, _pid, _no_caster_until, _quick_deaths
    _lock, _casting = threading.Lock(), threading.Lock()
    _handed, _inbox, _thread_of, _pid = 0, None, None, 0
    _no_caster_until, _quick_deaths = 0.0, 0


os.register_at_fork(after_in_child=_after_fork_in_child)


def cast_batch(batch: list[Vote]) -> bool | None:
    """Check and cast a batch on this thread's connections and answer its votes (the
    caster's step).

    First the checks of all its votes in one Redis call; refused votes are
    answered with their refusal. True if the database connection is still
    good (None if it was not used). A batch the database refuses is cast
    again one vote at a time; on a broken connection every vote fails.
    """
    return _cast(_checked(batch))


def _cast(batch: list[Vote]) -> bool | None:
    """Cast checked votes and answer them; True if the connection is still good, None
    if there was nothing to cast."""
    if not batch:
        return None
    began = time.monotonic()
    checked = [vote for vote in batch if vote.check is not None]
    if checked and len(checked) < len(batch):  # votes cast with no check too (tests, the demo)
        unchecked = _cast([vote for vote in batch if vote.check is None])
        return bool(_cast(checked) and unchecked)
    # Articles this process saw published a moment ago need no check (the hot ones).
    unsure = [vote for vote in checked if vote.check and not vote.check.known_live(vote.article_id)]
    cast_votes: Callable[[list[stats.Vote]], list[Any]]
    cast_votes = stats.cast_published_votes if unsure else stats.cast_votes
    try:
        votes = [(v.kind, v.article_id, v.reader, v.value) for v in batch]
        # A connection a restart dropped: the batch is cast again on a new one.
        outcomes = postgres.again_if_dropped(lambda: cast_votes(votes))
    except stats.RanLate as error:  # past its cut-off: nothing cast, its time is out
        for vote in batch:
            vote.fail(NotCast(f"the vote's statement ran past its cut-off: {error}"))
        return False
    except DatabaseError as error:
        db = connections[DEFAULT_DB_ALIAS]
        usable = db.connection is not None and db.is_usable()
        if not usable:
            db.close()  # broken: the next batch opens a new one
        if len(batch) > 1 and usable:
            # Refused, not broken: find the vote it refused, one statement a vote
            # (checked once already: its hits are counted), no statement begun that
            # could end after ``wait_seconds`` (its readers wait for the batch: up to
            # 500 statements could hold them, and the votes queued behind, for minutes).
            last_start = (
                began + wait_seconds() - (postgres.deadline() or 0) - postgres.GRACE_SECONDS
            )
            for vote in batch:
                if time.monotonic() > last_start:
                    vote.fail(NotCast("the vote's batch was refused and its time ran out"))
                else:
                    _cast([vote])
            return False
        for vote in batch:
            vote.fail(error)
        return False
    except BaseException as error:  # answer every waiting reader, whatever happened
        for vote in batch:
            vote.fail(error)
        return False
    if unsure and unsure[0].check:  # the statement found these published
        unsure[0].check.seen_live({v.article_id for v, o in zip(batch, outcomes, strict=True) if o})
    # A reader's votes on one article in one batch are all answered with where the
    # reader ended up, which is what the figures show: answers that arrive in any
    # order then leave the page right.
    final: dict[tuple[str, int, str], Outcome] = {}
    for vote, outcome in zip(batch, outcomes, strict=True):
        if outcome is not None:
            final[vote.kind, vote.article_id, vote.reader] = outcome
        elif vote.check is not None:  # its article is not published: not cast
            vote.fail(vote.check.unpublished(vote.article_id))
    for vote in batch:
        if not vote.settled:
            vote.answer(final[vote.kind, vote.article_id, vote.reader])
    return True


def _checked(batch: list[Vote]) -> list[Vote]:
    """Run the votes' checks; answer the refused ones, return those to cast."""
    checked = [vote for vote in batch if vote.check is not None]
    if not checked:
        return batch
    # One round trip per limit (all votes share one) for the whole batch; never
    # raises for Redis: while Redis fails, limits are counted in this process.
    outcomes: dict[int, tuple[bool, bytes | None]] = {}
    for limit in {vote.check.limit for vote in checked if vote.check}:
        group = [vote for vote in checked if vote.check and vote.check.limit == limit]
        found = readers.hits_and_reads(
            "vote",
            [(vote.check.identities, vote.check.read) for vote in group if vote.check],
            limit,
        )
        outcomes.update((id(vote), outcome) for vote, outcome in zip(group, found, strict=True))
    to_cast = []
    for vote in batch:
        if vote.check is not None:
            over, vote.read = outcomes[id(vote)]
            try:
                refusal = vote.check.refusal(over)
            except Exception as error:
                refusal = error
            if refusal is not None:
                vote.fail(refusal)
                continue
        to_cast.append(vote)
    return to_cast
