"""``freeze_start_up``: what a long-lived process made before it serves (or folds) is
kept out of the garbage collector's full collections. The app's workers call it once
started (``byline.wsgi``), the view folder after its first fold (``flush_views``)."""

import gc


def freeze_start_up() -> None:
    """Keep what start-up made (modules, settings, URL patterns, models, compiled
    queries and scripts, connections: about 90,000-100,000 objects) out of the garbage
    collector's full collections.

    A full collection walks every object the process holds: about 40 ms of CPU in a
    worker, 25-30 ms in the folder, on whichever request or fold is allocating when
    one falls due, often a big one (the long thread's page: thousands of rows; that
    was the one slow request in ten of that page, p50 37 ms, p95 139 ms). Collected
    once and frozen here, those objects are never walked again, and a full collection
    is due only once the objects made since grow by a quarter of them; when it comes
    it walks only those. (The workers also share the frozen pages after a fork.)
    """
    gc.collect()
    gc.freeze()
