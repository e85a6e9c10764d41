"""How every app server learns that the spam model changed, without asking the database
at each comment.

The model an app server holds (``store.loaded``) is right while the database holds no
newer version and no decision it has not added. Rather than ask the database on every
check (one statement), each server reads one Redis key, the model's *generation*: a
token written after the commit of every change to the model (a new version, a decision
taught, a rollback: ``changed``). While the key holds the token the server last checked
the database under, nothing changed; when it holds another, the server asks the
database (and reloads if it must). The token is read before the database is asked, so a
change committed meanwhile is always seen at the next check.

What Redis cannot tell (a token lost with a write that died after its commit, a
change made outside Byline, such as a restored backup, while Redis kept the old token)
is caught by asking the database anyway ``RECHECK_SECONDS`` after the last time. Without
Redis (the embedded tier), or while it cannot be read, every check asks the database,
as before.
"""

from __future__ import annotations

import logging
import secrets

import redis

from byline.db import after_commit
from byline.redisconn import redis_client

logger = logging.getLogger("byline.antispam")

KEY = "antispam:model-generation"
# The longest a server goes without asking the database about its model.
RECHECK_SECONDS = 5.0

# What ``pipeline.current_model()`` last checked against the database: (the model,
# ``store.loaded``; the generation read before the database was asked; when, as
# ``time.monotonic()``), or None. The pipeline reads and writes it on every check without
# calling in here (a check's path stays in two modules); writers clear it (``forget``).
checked: tuple[object, bytes | str, float] | None = None


def forget() -> None:
    """Ask the database at the next check (tests, and when this process dropped its model)."""
    global checked
    checked = None


def changed() -> None:
    """The model changed: once the current transaction commits, a new generation, so that
    every server asks the database at its next check. A write Redis refuses is logged;
    the servers then see the change within ``RECHECK_SECONDS``. This process asks the
    database at its next check already."""
    forget()
    after_commit(_new_generation)


def _new_generation() -> None:
    forget()
    client = redis_client()
    if client is None:
        return
    try:
        client.set(KEY, secrets.token_hex(8))
    except redis.RedisError as error:
        logger.warning(
            "Could not tell the app servers the spam model changed (%s): they see it "
            "within %.0f s.",
            error,
            RECHECK_SECONDS,
        )
