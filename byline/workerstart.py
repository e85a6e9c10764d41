"""What an app worker does once, when it starts: its page store; the spam model, in the background.

**The page store** (``start_page_store_if_wanted``): with page files for nginx
(``BYLINE_PAGE_FILES_DIR``), a production worker builds its page store as it
starts, so its polling thread runs from the start: it keeps this code's claim on
nginx's folder fresh (``pagecache.files.PageFiles.owns``) and points ``current``
at the generation. Built on a worker's first page request instead, a new
version's workers that got no page request for ``CLAIM_LASTS`` seconds (nginx
serving every read from files, or a balancer still sending them to the old
servers) let a still-running old version take the folder back during a rolling
deploy. Building it opens no connection (Redis is asked at the first poll) and a
failure is logged, never raised: the first page request builds it as before.

The first comment a worker checks otherwise imports numpy and reads the model
from the database (about 0.3 s; over 10 s on a busy server while scoring also
imported SciPy and scikit-learn). The production
entry (``byline.wsgi``) calls ``start_if_wanted()`` as each granian worker
imports it; the loading runs in a thread, so the worker answers pages
meanwhile, and a comment arriving before it is done waits on the same import
instead of starting a second one. A failure (the database down at start) is logged and
forgotten: the first check then loads the model as it always did.

The price is memory: numpy and the model's arrays, about 60 MB a granian
worker (bench/pages.py: 114 MB without, 172-177 MB with, target 150 MB), for
about 0.3 s saved on one comment a worker now that scoring imports neither
SciPy nor scikit-learn. So it is off unless ``BYLINE_PRELOAD_SPAM_MODEL`` is on.
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


def start_page_store_if_wanted() -> bool:
    """Build this production worker's page store now when it writes page files for nginx
    (``page_store()``: its polling thread starts with it); False when not wanted or it
    failed (logged: the first page request builds it)."""
    from django.conf import settings

    if not (settings.PRODUCTION and settings.BYLINE_PAGE_FILES_DIR):
        return False
    from byline.pagecache.store import page_store

    try:
        page_store()
    except Exception:
        logger.warning("worker start: the page store was not built early", exc_info=True)
        return False
    return True


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
