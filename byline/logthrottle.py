"""One log line every few seconds for a failure that every request meets.

While a service is down (or answers but refuses writes) each request that needs
it fails the same way, and a line per request floods the log. ``ThrottledLog``
writes the first at once, then at most one line per ``every`` seconds per
process, each counting the failures it stands for by reason, and one line when
the service works again (``answered``). A service that flaps (back, failing
again within the interval) adds no lines: its failures are counted in the next.

``byline.outages`` logs its 503s through one (``OutageLog``); ``byline.redisconn``
the writes Redis refuses while it still answers (out of memory).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import Counter

LOG_EVERY_SECONDS = 10.0
_every_log: weakref.WeakSet[ThrottledLog] = weakref.WeakSet()  # for ``forget_failures``


def reason_of(error: BaseException) -> str:
    """The first line of ``error``'s message (its type's name if it has none)."""
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


class ThrottledLog:
    """The throttled warnings of one kind of failure in one process (see the module).

    ``noun`` names the failures in the lines ("503s", "refused writes"), ``again``
    says the service is back ("answers again").
    """

    def __init__(
        self,
        logger: logging.Logger,
        noun: str,
        again: str = "answers again",
        every: float = LOG_EVERY_SECONDS,
    ) -> None:
        self.logger = logger
        self.noun = noun
        self.again = again
        self.every = every
        self.lock = threading.Lock()
        self.next_at = 0.0  # time.monotonic() before which failures are only counted
        self.down: dict[str, list[float]] = {}  # service → [since, failures, announced]
        self.quiet: Counter[str] = Counter()  # failures in no line yet, by reason
        _every_log.add(self)

    def forget(self) -> None:
        """No failure known: the next one is logged at once, no "answers again" owed."""
        with self.lock:
            self.next_at, self.down, self.quiet = 0.0, {}, Counter()

    def failure(
        self,
        service: str,
        reason: str,
        message: str,
        *args: object,
        exc_info: BaseException | None = None,
    ) -> None:
        """``service`` failed once for ``reason``: log ``message % args`` (with the
        failures counted since the last line, and ``exc_info``'s traceback if given),
        unless a line was written less than ``every`` seconds ago; then it is only
        counted."""
        now = time.monotonic()
        with self.lock:
            period = self.down.setdefault(service, [now, 0, False])
            period[1] += 1
            if now < self.next_at:
                self.quiet[reason] += 1
                return
            quiet, self.quiet, self.next_at = self.quiet, Counter(), now + self.every
            period[2] = True
        self.logger.warning(message + "%s", *args, self._tally(quiet), exc_info=exc_info)

    def answered(self, service: str) -> None:
        """``service`` worked again: its failures are over (one line, if any was logged).
        Callers on a hot path check ``down`` first: it is empty nearly always."""
        with self.lock:
            period = self.down.pop(service, None)
            if period is None or not period[2]:  # never announced: counted in the next line
                return
            since, failures, _ = period
            quiet, self.quiet = self.quiet, Counter()
        self.logger.warning(
            "%s %s after %d %s in %.1f s%s",
            service[0].upper() + service[1:],
            self.again,
            failures,
            self.noun,
            time.monotonic() - since,
            self._tally(quiet),
        )

    def _tally(self, quiet: Counter[str]) -> str:
        """``quiet``'s failures: how many, and why (the commonest reasons first)."""
        if not quiet:
            return ""
        reasons = "; ".join(f"{count} × {reason}" for reason, count in quiet.most_common(5))
        more = "; …" if len(quiet) > 5 else ""
        return f" ({sum(quiet.values())} more since the last line: {reasons}{more})"


def forget_failures() -> None:
    """Every throttled log of the process forgets its failures (tests: a failure one test
    caused must not make the next one's first success log "answers again")."""
    for log in list(_every_log):
        log.forget()
