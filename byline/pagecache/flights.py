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
claim (``SET NX PX``) that the followers see, and they read the stored page from
Redis once the claim is gone. Waiting never outlasts ``RENDER_WAIT`` seconds: after
it, or if the leader's page was not stored (an error, a page no cache keeps), or
whenever Redis cannot be asked, a follower renders the page itself, as before. So a
fault costs renders, never an answer, and no follower ever gets an older page than
a render would give it (the page the leader stored was begun after the purge).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger("byline.pagecache")

REDIS_PREFIX = "byline:pagecache:rendering:"
# The longest a follower waits for another request's render before rendering itself
# (a render takes milliseconds; a slower one is a database in trouble, and waiting
# longer would only hold readers up).
RENDER_WAIT = 2.0
# How often a follower in another process looks for the page, growing from FIRST_LOOK.
FIRST_LOOK = 0.004
LONGEST_LOOK = 0.05


class Flights:
    """The renders this process is leading (one per page key), and its claims in Redis."""

    def __init__(self, client=None) -> None:
        self.client = client  # Redis, shared by every worker and app server; or None
        self._lock = threading.Lock()
        self._leading: dict[str, threading.Event] = {}
        self._down_until = float("-inf")  # Redis failed: not asked again until then

    @contextmanager
    def flight(self, key: str, generation: str) -> Iterator[bool]:
        """Lead or follow the render of ``key``: yields True when this request should
        render (it leads, or waiting is over), False when a render by another request
        of this process or another finished meanwhile (look for its page)."""
        with self._lock:
            ahead = self._leading.get(key)
            if ahead is None:
                done = self._leading[key] = threading.Event()
        if ahead is not None:  # another thread of this process is rendering it
            ahead.wait(RENDER_WAIT)
            yield not ahead.is_set()
            return
        claim = f"{REDIS_PREFIX}{generation}:{key}"
        claimed = False
        try:
            claimed = self._claim(claim)
            if claimed is None:
                yield True
            elif claimed:
                yield True
            else:
                yield not self._wait_for(claim)
        finally:
            if claimed:
                self._release(claim)
            with self._lock:
                del self._leading[key]
            done.set()

    def _claim(self, claim: str) -> bool | None:
        """True: this process renders the page; False: another does; None: Redis
        cannot say (render)."""
        if self.client is None or time.monotonic() < self._down_until:
            return None
        try:
            return bool(self.client.set(claim, b"1", nx=True, px=int(RENDER_WAIT * 1000)))
        except Exception as error:
            self._failed(error)
            return None

    def _wait_for(self, claim: str) -> bool:
        """Wait until another process's claim is gone: True when it went in time."""
        deadline = time.monotonic() + RENDER_WAIT
        pause = FIRST_LOOK
        while time.monotonic() < deadline:
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_LOOK)
            try:
                if not self.client.exists(claim):
                    return True
            except Exception as error:
                self._failed(error)
                return False
        return False

    def _release(self, claim: str) -> None:
        try:
            self.client.delete(claim)
        except Exception as error:  # it expires by itself
            self._failed(error)

    def _failed(self, error: Exception) -> None:
        logger.debug("page cache: render claims unavailable (%s): rendering", error)
        self._down_until = time.monotonic() + 1.0
