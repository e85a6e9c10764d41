"""The vote caster's hand-over (any database): a vote handed to the caster is cast, or
its reader is told within a bound — never left waiting where nobody reads it.

What a batch does in the database is in ``test_batches.py`` (PostgreSQL).
"""

from __future__ import annotations

import os
import queue
import threading
import time

import pytest
from django.db import connections

from byline import outages
from byline.engagement import batches
from byline.engagement.stats import figures_for
from tests.factory import make_article

ANN, BOB = "a" * 32, "b" * 32


def in_a_thread(work, seconds: float = 30.0):
    """``work()`` on a daemon thread (a vote that hangs must not hang the test run):
    what it returned, or raised; fails if it is still waiting after ``seconds``."""
    done: list[tuple[str, object]] = []

    def run() -> None:
        try:
            done.append(("returned", work()))
        except BaseException as error:  # noqa: BLE001  (reported to the test)
            done.append(("raised", error))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=seconds)
    assert done, "the vote is still waiting: nobody will ever answer it"
    return done[0]


@pytest.fixture
def through_the_caster(monkeypatch):
    """Every vote handed to the caster (none cast on its own thread); stopped after."""
    monkeypatch.setattr(batches, "CAST_WHEN_IDLE", False)
    yield
    batches.stop()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("through_the_caster")
def test_a_vote_handed_over_as_the_caster_stops_is_cast_by_the_next(monkeypatch):
    """A request thread takes the caster's inbox, then ``stop()`` runs whole before it
    queues its vote: the vote goes to a caster that is running, and counts."""
    article = make_article()
    running = batches._caster

    def stopped_just_after() -> queue.SimpleQueue:
        inbox = running()
        if not stops:
            stops.append(1)
            batches.stop()  # casts what is queued, stops: this inbox is read no more
        return inbox

    stops: list[int] = []
    monkeypatch.setattr(batches, "_caster", stopped_just_after)
    how, outcome = in_a_thread(lambda: batches.cast("rating", article.pk, ANN, "4"))
    assert how == "returned" and outcome[0] == "4"
    assert stops == [1]
    assert figures_for(article.pk).rating_count == 1
    assert batches._handed == 0


@pytest.mark.usefixtures("through_the_caster")
def test_a_vote_left_in_a_queue_nobody_reads_is_taken_back_and_answered_503(monkeypatch):
    """A caster that died after the vote was queued (and before it took it): after
    ``wait_seconds`` the vote is taken back — never cast later — and fails as an outage
    (the reader gets 503 with Retry-After and may send it again); nothing stays counted
    as handed over, so later votes may be cast on their own thread again."""
    monkeypatch.setattr(batches, "wait_seconds", lambda: 0.2)
    never = threading.Event()
    deaf = threading.Thread(target=never.wait, daemon=True)  # alive, never reads
    deaf.start()
    inbox: queue.SimpleQueue = queue.SimpleQueue()
    monkeypatch.setattr(batches, "_inbox", inbox)
    monkeypatch.setattr(batches, "_thread_of", deaf)
    monkeypatch.setattr(batches, "_pid", os.getpid())
    vote = batches.Vote("rating", 1, ANN, "3")
    how, error = in_a_thread(lambda: batches.cast_checked(vote))
    never.set()
    assert how == "raised" and isinstance(error, batches.NotCast)
    assert outages.is_outage(error)
    assert batches._handed == 0
    assert not vote.take()  # taken back: a caster reading it now skips it
    monkeypatch.setattr(batches, "_inbox", None)
    monkeypatch.setattr(batches, "_thread_of", None)


class CasterDies(BaseException):
    """What ends a caster thread (no ``except Exception`` catches it)."""


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("through_the_caster")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_vote_whose_caster_dies_casting_it_fails_in_bounded_time(monkeypatch):
    """The caster took the vote and died before answering it: its reader is answered
    (an outage) once ``wait_seconds`` finds the caster gone; the next vote starts a new
    caster."""
    monkeypatch.setattr(batches, "wait_seconds", lambda: 0.2)
    article = make_article()
    real = batches.close_old_connections

    def dies_once() -> None:
        if not died:
            died.append(1)
            raise CasterDies
        real()

    died: list[int] = []
    monkeypatch.setattr(batches, "close_old_connections", dies_once)
    how, error = in_a_thread(lambda: batches.cast("rating", article.pk, ANN, "2"))
    assert how == "raised" and isinstance(error, batches.NotCast), error
    assert outages.is_outage(error)
    monkeypatch.setattr(batches, "wait_seconds", lambda: 30.0)
    how, outcome = in_a_thread(lambda: batches.cast("rating", article.pk, BOB, "5"))
    assert how == "returned" and outcome[0] == "5"
    assert figures_for(article.pk).rating_count == 1
    assert batches._handed == 0


def test_a_process_forked_while_a_batch_was_cast_casts_votes_again(monkeypatch):
    """A worker forked while ``_casting`` was held (by the caster or a request thread)
    and votes were handed over starts free: no caster, nothing waiting, the lock open."""
    monkeypatch.setattr(batches, "_handed", 3, raising=False)
    read, write = os.pipe()
    with batches._casting:
        pid = os.fork()
        if pid == 0:  # the child: report and leave at once
            state = (
                not batches._casting.locked(),
                batches._casting.acquire(blocking=False),
                not batches._lock.locked(),
                batches._handed == 0,
                batches._inbox is None and batches._thread_of is None,
            )
            os.write(write, repr(state).encode())
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read) as reported:
        assert reported.read() == repr((True, True, True, True, True))
    assert os.waitstatus_to_exitcode(status) == 0


def rate(article_id: int, reader: str, stars: str):
    """A reader's rating, on a request thread of its own (its connection closed after, as
    at the end of a request: it may cast the vote itself)."""
    try:
        return batches.cast("rating", article_id, reader, stars)
    finally:
        connections.close_all()


class CasterFailsToStart(Exception):
    """What the injected caster raises the moment it starts."""


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("through_the_caster")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_caster_that_dies_at_once_every_time_is_not_started_in_a_loop(monkeypatch, caplog):
    """A caster that dies the moment it starts, every time (a bug, a broken deploy):
    the votes that meet it start a new caster once, not one after another for as long
    as it dies (none for ``BACKOFF_SECONDS`` after the second); each vote is still
    answered, cast on its own request thread (or, one queued to a caster that died,
    503), and the backoff is logged once."""
    monkeypatch.setattr(batches, "wait_seconds", lambda: 0.5)
    article = make_article()
    starts: list[float] = []

    def dies_at_once(inbox) -> None:
        starts.append(1)
        raise CasterFailsToStart

    monkeypatch.setattr(batches, "_run", dies_at_once)
    readers = [f"{n:032x}" for n in range(1, 13)]
    with caplog.at_level("ERROR", logger=batches.logger.name):
        answers = [
            in_a_thread(lambda reader=reader: rate(article.pk, reader, "4")) for reader in readers
        ]
    assert len(starts) == batches.QUICK_DEATHS, f"{len(starts)} casters for {len(readers)} votes"
    cast = [outcome for how, outcome in answers if how == "returned"]
    refused = [error for how, error in answers if how == "raised"]
    assert all(isinstance(e, batches.NotCast) and outages.is_outage(e) for e in refused)
    assert len(refused) <= batches.QUICK_DEATHS and len(cast) + len(refused) == len(readers)
    assert figures_for(article.pk).rating_count == len(cast)
    assert batches._handed == 0
    died = [
        r
        for r in caplog.records
        if "died" in r.getMessage() and "after it started" in r.getMessage()
    ]
    assert len(died) == 1, [r.getMessage() for r in caplog.records]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("through_the_caster")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_after_the_backoff_a_new_caster_is_tried_and_one_that_lives_casts_again(monkeypatch):
    """The caster died at once twice: no caster for ``BACKOFF_SECONDS``, then one is
    tried again; this one lives (whatever broke it was fixed), and votes go through it."""
    monkeypatch.setattr(batches, "wait_seconds", lambda: 0.5)
    monkeypatch.setattr(batches, "BACKOFF_SECONDS", 0.5)
    article = make_article()
    real, starts = batches._run, []

    def dies_twice(inbox) -> None:
        starts.append(1)
        if len(starts) <= batches.QUICK_DEATHS:
            raise CasterFailsToStart
        real(inbox)

    monkeypatch.setattr(batches, "_run", dies_twice)
    for n in range(4):
        in_a_thread(lambda n=n: rate(article.pk, f"{n + 1:032x}", "3"))
    assert len(starts) == batches.QUICK_DEATHS  # backing off: cast on the request threads
    time.sleep(0.6)
    how, outcome = in_a_thread(lambda: rate(article.pk, "f" * 32, "5"))
    assert how == "returned" and outcome[0] == "5"
    assert len(starts) == batches.QUICK_DEATHS + 1 and batches._thread_of.is_alive()


def back_off(monkeypatch, article_id: int) -> None:
    """Two casters die the moment they start: no caster for ``BACKOFF_SECONDS`` (votes are
    cast on their request threads meanwhile)."""

    def dies_at_once(inbox) -> None:
        raise CasterFailsToStart

    monkeypatch.setattr(batches, "_run", dies_at_once)
    for n in range(batches.QUICK_DEATHS + 1):
        in_a_thread(lambda n=n: rate(article_id, f"{n + 1:032x}", "2"))
    assert batches._caster() is None, "not backing off"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("through_the_caster")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_while_no_caster_runs_a_vote_waits_for_the_batch_before_it_no_longer_than_its_wait(
    monkeypatch,
):
    """Backing off, a vote cast on its request thread waits its turn behind the batch
    being cast (``_casting``, held here as a batch stuck in the database holds it) for
    ``wait_seconds()`` at most: then it is not cast, a 503 (``NotCast``) its reader may
    send again, and sent again it counts once."""
    monkeypatch.setattr(batches, "wait_seconds", lambda: 0.5)
    article = make_article()
    back_off(monkeypatch, article.pk)
    before = figures_for(article.pk).rating_count
    with batches._casting:  # a batch still being cast
        how, error = in_a_thread(lambda: rate(article.pk, ANN, "5"), seconds=10)
    assert how == "raised" and isinstance(error, batches.NotCast), (how, error)
    assert outages.is_outage(error)
    assert figures_for(article.pk).rating_count == before  # not cast
    how, outcome = in_a_thread(lambda: rate(article.pk, ANN, "5"))
    assert how == "returned" and outcome[0] == "5"
    assert figures_for(article.pk).rating_count == before + 1


class NoCasterThread(threading.Thread):
    """Threads as ever, but the caster's cannot be started (CPython's error when no
    thread is to be had): ``threading.Thread`` while a test runs."""

    tried = 0

    def start(self) -> None:
        if self.name == "byline-vote-caster":
            NoCasterThread.tried += 1
            raise RuntimeError("can't start new thread")
        super().start()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("through_the_caster")
def test_a_caster_that_cannot_be_started_is_not_a_500_nor_tried_for_every_vote(monkeypatch, caplog):
    """No thread to be had for the caster: the vote that met it is cast on its own
    request thread, as every vote until ``BACKOFF_SECONDS`` have passed (one start tried
    for them all, logged); ``stop()`` then stops cleanly."""
    article = make_article()
    monkeypatch.setattr(NoCasterThread, "tried", 0)
    monkeypatch.setattr(threading, "Thread", NoCasterThread)
    with caplog.at_level("ERROR", logger=batches.logger.name):
        answers = [
            in_a_thread(lambda n=n: rate(article.pk, f"{n + 1:032x}", "4")) for n in range(5)
        ]
    assert [how for how, _ in answers] == ["returned"] * 5, answers
    assert figures_for(article.pk).rating_count == 5
    assert NoCasterThread.tried == 1
    assert ["could not be started" in r.getMessage() for r in caplog.records] == [True]
    batches.stop()
