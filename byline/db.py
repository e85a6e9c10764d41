"""Read replicas: the database router and the switch that pins reads to the primary.

With ``DATABASE_REPLICA_URLS`` set, reads go to a replica chosen at random and
writes to the primary (``default``). Reads stay on the primary when
replication lag would show a reader something older than they just wrote or
than the cache already knows:

- inside a transaction on the primary (a write and its reads see one state);
- for the rest of a request once it has written (read your own writes);
- inside ``reading_from_primary()``, which the page cache uses while rendering
  a page it will store, so a lagging replica cannot put an old copy of a page
  under a new cache generation.

And ``after_commit``: a side effect (an e-mail, a counter, the page cache, the spam
filter's learning) that runs once the current transaction commits.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.signals import request_started
from django.db import connections, transaction

PRIMARY = "default"
log = logging.getLogger(__name__)

_forced: ContextVar[bool] = ContextVar("byline_db_forced", default=False)
_wrote: ContextVar[bool] = ContextVar("byline_db_wrote", default=False)


@contextmanager
def reading_from_primary() -> Iterator[None]:
    """Every read inside the block goes to the primary."""
    token = _forced.set(True)
    try:
        yield
    finally:
        _forced.reset(token)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def unpin() -> None:
    """A new request: its reads may go to a replica until it writes."""
    _wrote.set(False)


def _unpin(**kwargs) -> None:
    unpin()


request_started.connect(_unpin, dispatch_uid="byline.db.unpin")


class ReplicaRouter:
    """Send reads to a replica unless the primary is required (see the module docstring)."""

    def db_for_read(self, model, **hints) -> str:
        replicas = replica_aliases()
        if not replicas or _forced.get() or _wrote.get() or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return random.choice(replicas)

    def db_for_write(self, model, **hints) -> str:
        _wrote.set(True)  # this request reads its own writes from now on
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # replicas hold the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        return db == PRIMARY


def after_commit(function: Callable[..., object], *args: object) -> None:
    """Run a side effect (notifications, counters, the page cache, learning) once the
    current transaction commits, or now outside one. It may fail (it is logged), but
    never undoes or changes what was committed, nor the answer the reader gets."""

    def run() -> None:
        try:
            function(*args)
        except Exception:
            log.exception("After the commit, %s failed.", getattr(function, "__name__", function))

    connection = transaction.get_connection()
    # A test case's own wrapping transaction counts as committed, as it does for
    # Django's durable blocks: what the test sees is what a reader would.
    outer = [block for block in connection.atomic_blocks if not block._from_testcase]
    if connection.in_atomic_block and outer:
        transaction.on_commit(run)
    else:
        run()
