"""One render of a page at a time: readers who ask while it is drawn wait for it.

A purged hot page (an approved comment purges its article's page; a new ranking the
listings) is asked for by every reader arriving after the purge. Without more,
each of them rendered it: with 300 views a second on a page that takes 15 ms to draw,
several renders ran side by side, each as costly as the first, and all but one were
thrown away (only the first copy becomes a file for nginx).

So the first request for a missing page *leads*: it renders and stores the page.
Requests for the same page while it does *follow*: they wait for the leader, then
answer the page it stored (a hit). Within one worker process a follower waits on the
leader's event; across workers and app servers (Redis) the leader holds a short
claim (``SET NX PX`` with a token of its own, given back only by its owner) that the
followers look at, and they read the stored page from Redis once the claim is gone.

The leader tells its followers how its render ended (``Flight.outcome``):

- stored: they answer the stored page (a hit);
- not stored (an error page, a redirect, a page for one reader...): they render
  their own, and for ``UNSTORED_SECONDS`` no request for that page waits on
  another's render (a page no cache keeps is not made slower by waiting);
- the stale copy served (the database failed: stale-if-error): they answer their own
  stale copy at once, if they have one, instead of each trying the database again.

A request waits at most ``RENDER_WAIT`` seconds in all (a render takes milliseconds;
well below the database's deadline), whether its leader is a thread of its own
process, another process, or a thread itself following another process: one
deadline, taken when the request arrives. After it, or whenever Redis cannot be
asked, a follower renders the page itself, as before; a HEAD never leads (its answer
is never stored). So a fault costs renders, never an answer.

What a follower gets is the page the leader stored, rendered after the leader began,
so after the purge that made the page missing; it is as fresh as the follower's own
render would have been, except for what changed during the leader's render, which a
render can miss anyway (the page is then purged again). Across app servers a purge
reaches a worker within ``BYLINE_PAGE_CACHE_SYNC_SECONDS`` (``purges``): until then
that worker, following or not, may answer the page from before it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger("byline.pagecache")

REDIS_PREFIX = "byline:pagecache:rendering:"
# The longest a request waits for another's render, in all, before rendering itself.
RENDER_WAIT = 0.3
# The longest a claim is held in Redis (a leader that died leaves it this long; a
# follower waits for it RENDER_WAIT at most).
CLAIM_SECONDS = 2.0
# How long a page whose render was not stored is rendered by every request at once.
UNSTORED_SECONDS = 2.0
# How long a leader's "served stale" is left for the followers still looking.
STALE_SECONDS = 0.5
# How often a follower in another process looks at the claim, growing from FIRST_LOOK.
FIRST_LOOK = 0.004
LONGEST_LOOK = 0.05
# A bound on the pages remembered as not stored (bots asking for missing pages).
MOST_UNSTORED = 1000

# How a render ended (``Flight.outcome``); also the claim's value after it, in Redis.
STORED = "stored"
UNSTORED = "unstored"
STALE = "stale"

# Take the claim unless it is held: 1 when taken, else what it holds (a leader's
# token, or how the last render ended). "stale" is for the followers of that render
# only: a new request leads again (the database may be back).
CLAIM = """
local held = redis.call('GET', KEYS[1])
if held and held ~= 'stale' then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
# Give the claim back if it is still ours: removed (the page is stored), or replaced
# by how the render ended for that many milliseconds.
RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1])
else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1
"""


class Flight:
    """One request's part in a render: ``leads`` (render the page) or follow, and how
    the leader's render ended (``outcome``, one of STORED, UNSTORED, STALE, or None:
    not known)."""

    __slots__ = ("done", "leads", "outcome")

    def __init__(self, leads: bool, outcome: str | None = None) -> None:
        self.leads = leads
        self.outcome = outcome
        self.done = threading.Event()


class Flights:
    """The renders this process is leading (one per page key), and its claims in Redis."""

    def __init__(self, client=None) -> None:
        self.client = client  # Redis, shared by every worker and app server; or None
        self._lock = threading.Lock()
        self._leading: dict[str, Flight] = {}
        self._unstored: dict[str, float] = {}  # key: rendered at once until then
        self._down_until = float("-inf")  # Redis failed: not asked again until then
        if client is not None:
            self._claim_script = client.register_script(CLAIM)
            self._release_script = client.register_script(RELEASE)

    @contextmanager
    def flight(self, key: str, generation: str, lead: bool = True) -> Iterator[Flight]:
        """Lead or follow the render of ``key``. The flight yielded ``leads`` when this
        request should render (it leads, waiting is over, or the page is not stored);
        else the leader's render ended meanwhile (``outcome``: look for its page, or
        answer the stale copy). A request that renders records how (``outcome``), for
        its followers. ``lead=False`` (a HEAD): follow a render of this process, never
        lead one."""
        now = time.monotonic()
        deadline = now + RENDER_WAIT  # one wait in all, however many layers
        with self._lock:
            unstored = self._unstored.get(key, 0.0) > now
            ahead = None if unstored else self._leading.get(key)
            if not (unstored or ahead is not None or not lead):
                mine = self._leading[key] = Flight(leads=True)
        if unstored or (ahead is None and not lead):
            yield Flight(leads=True)
            return
        if ahead is not None:  # another thread of this process is rendering it
            ahead.done.wait(max(0.0, deadline - time.monotonic()))
            outcome = ahead.outcome if ahead.done.is_set() else None
            yield Flight(leads=outcome not in (STORED, STALE), outcome=outcome)
            return
        claim = f"{REDIS_PREFIX}{generation}:{key}"
        token = None
        try:
            ours, held = self._claim(claim)
            if ours:
                token = held
            elif held == UNSTORED:
                self._remember_unstored(key)
            elif held is not None:  # another process renders it
                outcome = self._wait_for(claim, deadline)
                if outcome in (STORED, STALE):
                    mine.leads, mine.outcome = False, outcome
                elif outcome == UNSTORED:
                    self._remember_unstored(key)
            yield mine
        finally:
            if mine.outcome == UNSTORED:
                self._remember_unstored(key)
            if token is not None:
                self._release(claim, token, mine.outcome)
            with self._lock:
                del self._leading[key]
            mine.done.set()

    def _remember_unstored(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._unstored) >= MOST_UNSTORED:
                self._unstored = {k: t for k, t in self._unstored.items() if t > now}
                if len(self._unstored) >= MOST_UNSTORED:
                    self._unstored.clear()
            self._unstored[key] = now + UNSTORED_SECONDS

    def _claim(self, claim: str) -> tuple[bool, str | None]:
        """(True, our token) when this request renders the page; else (False, what the
        claim holds): another's token (another process renders it), UNSTORED (a render
        just stored nothing), or None: Redis cannot say (render)."""
        if self.client is None or time.monotonic() < self._down_until:
            return False, None
        token = f"{os.getpid()}:{threading.get_ident()}:{time.monotonic_ns()}"
        try:
            held = self._claim_script(keys=[claim], args=[token, int(CLAIM_SECONDS * 1000)])
        except Exception as error:
            self._failed(error)
            return False, None
        if held == 1:
            return True, token
        return False, held.decode() if isinstance(held, bytes) else str(held)

    def _wait_for(self, claim: str, deadline: float) -> str | None:
        """Wait until another process's render ends: how it ended (gone: STORED), or None
        when it did not by ``deadline`` or Redis failed."""
        pause = FIRST_LOOK
        while time.monotonic() + pause < deadline:
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_LOOK)
            try:
                held = self.client.get(claim)
            except Exception as error:
                self._failed(error)
                return None
            if held is None:
                return STORED
            held = held.decode() if isinstance(held, bytes) else held
            if held in (UNSTORED, STALE):
                return held
        return None

    def _release(self, claim: str, token: str, outcome: str | None) -> None:
        if outcome == UNSTORED:
            after, milliseconds = UNSTORED, int(UNSTORED_SECONDS * 1000)
        elif outcome == STALE:
            after, milliseconds = STALE, int(STALE_SECONDS * 1000)
        else:
            after, milliseconds = "", 0
        try:
            self._release_script(keys=[claim], args=[token, after, milliseconds])
        except Exception as error:  # it expires by itself
            self._failed(error)

    def _failed(self, error: Exception) -> None:
        logger.debug("page cache: render claims unavailable (%s): rendering", error)
        self._down_until = time.monotonic() + 1.0
