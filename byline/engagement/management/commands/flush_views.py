"""Write buffered view counts to the database now, or every few seconds.

Why: views are buffered (Redis, or a table on the embedded tier, or nginx's
view log with BYLINE_VIEW_LOG_DIR) and flushed by readers' own requests every
BYLINE_VIEW_FLUSH_SECONDS. On a quiet site the last views of the day may wait
for the next reader; run this from cron, or before a backup, to flush them at
once. Behind nginx, run it as a service with ``--every 2``
(deploy/byline-views.service): nginx answers the view beacons itself, and
this folds its view log into the counts every 2 s, so the counts readers
see are at most a few seconds old, and writes the counts files nginx
serves (``countfiles``: every 2 s, reading again only the articles whose counts
were marked as changed, and every article every 30 s). Folding every second
made the files no fresher (they are looked at every 2 s) and paid a fold's fixed
work (the published check, the batch's statement and rows, the counts mark) twice.

With PostgreSQL or Redis stopped, frozen or restarted, ``--every`` keeps going:
the views wait in the log (a fold that fails commits nothing, its read position
included), a warning is logged (while Redis or the database fails, one line
when it starts failing, a reminder every 10 s counting the failed flushes, and
one line when it works again: no line a second), and the first fold after the
service is back counts them, exactly once, without a restart.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from byline.engagement.viewbuffer import flush
from byline.gcfreeze import freeze_start_up


def seconds(value: str) -> float:
    """``--every``'s value: a finite number of seconds, not negative (0: flush once). NaN
    compared false with everything, so it made a loop flushing without a pause; infinity
    made ``time.sleep`` fail after the first flush, and systemd restart it every 2 s."""
    try:
        every = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not math.isfinite(every) or every < 0:
        raise argparse.ArgumentTypeError(f"not a number of seconds >= 0: {value!r}")
    return every


class Command(BaseCommand):
    help = "Flush buffered view counts (and nginx's view log) into the article totals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every",
            type=seconds,
            default=0,
            metavar="SECONDS",
            help="keep flushing, every SECONDS, until stopped (SIGTERM or Ctrl-C); 0: once",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every = options["every"]
        if every <= 0:
            self.stdout.write(f"Flushed {flush()} views.")
            return
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        frozen = False
        try:
            while not stopping:
                started = time.monotonic()
                # A connection the database dropped (PostgreSQL restarted, or stopped and
                # started again) is closed here and opened afresh, as before a request.
                close_old_connections()
                # A failed service: the views wait, none is lost; ``flush`` logged it (one
                # line when it starts failing, then one a while, not one a second).
                with contextlib.suppress(Exception):
                    flush()
                if not frozen:
                    frozen = True
                    freeze_start_up()
                time.sleep(max(0.0, every - (time.monotonic() - started)))
        except KeyboardInterrupt:
            pass
