"""What an app worker does once, when it starts: load the spam model in the background.

The first comment a worker checks would otherwise import numpy and read the
model from the database: over 10 s on a busy
server, long enough for the commenter's request to time out. The production
entry (``byline.wsgi``) calls ``start_if_wanted()`` as each granian worker
imports it; the loading runs in a thread, so the worker answers pages
meanwhile, and a comment arriving before it is done waits on the same import
instead of starting a second one. A failure (the database down at start) is logged and
forgotten: the first check then loads the model as it always did.

The price is memory: numpy and the model's arrays, about 50 MB a worker that a
worker serving only pages would not need (scoring needs neither SciPy nor
scikit-learn, only training does) (``BYLINE_PRELOAD_SPAM_MODEL=false`` for a site without
comments). A site with comments pays it anyway from each worker's first
comment on; preloading only moves it to the start, off the commenter's time.
"""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger("byline.workerstart")


def warm_spam_model() -> bool:
    """Load the local spam filter's model into this process (``byline.antispam.warm``);
    False if it is not used or could not be loaded."""
    from byline.antispam import warm

    return warm()


def warm_safely() -> None:
    """``warm_spam_model``, never raising: a worker must start whatever happens."""
    try:
        warm_spam_model()
    except Exception:
        logger.warning("worker start: the spam model was not loaded early", exc_info=True)
    finally:
        from django.db import connections

        connections.close_all()  # this thread's connections, not left for the server to time out


def start_if_wanted() -> threading.Thread | None:
    """``start()`` in a production worker with ``BYLINE_PRELOAD_SPAM_MODEL`` on (a test
    importing the application, or a site without comments, keeps workers small)."""
    from django.conf import settings

    if settings.PRODUCTION and settings.BYLINE_PRELOAD_SPAM_MODEL:
        return start()
    return None


def start() -> threading.Thread:
    """Warm this worker in a background thread (returned, for tests to join)."""
    thread = threading.Thread(target=warm_safely, name="byline-worker-start", daemon=True)
    thread.start()
    return thread
