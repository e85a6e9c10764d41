"""Settings of the page cache (see byline/conf.py)."""

from byline.conf import Setting, parse_bool, parse_int, parse_positive_int


def parse_seconds(value: str) -> float:
    seconds = float(value.strip())
    if seconds < 0:
        raise ValueError("expected a number of seconds, zero or more")
    return seconds


SETTINGS = [
    Setting(
        "BYLINE_PAGE_CACHE",
        "1",
        "Serve anonymous article pages and listings from the page cache.",
        parse_bool,
    ),
    Setting(
        "BYLINE_PAGE_CACHE_SECONDS",
        "600",
        "Longest a cached page is kept when nothing changes (edits invalidate it at once).",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_PAGE_CACHE_MAX_AGE",
        "0",
        "Seconds browsers and CDNs may reuse a page unasked; 0: they revalidate (a 304 if same).",
        parse_int,
    ),
    Setting(
        "BYLINE_PAGE_CACHE_MEMORY_MB",
        "64",
        "Memory each app worker may use for cached pages, in megabytes.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_PAGE_CACHE_SYNC_SECONDS",
        "0.5",
        "How often a worker checks the shared cache generation: invalidations reach it this fast.",
        parse_seconds,
    ),
    Setting(
        "BYLINE_PAGE_CACHE_NGINX_SECONDS",
        "1",
        "X-Accel-Expires on cached pages: how long nginx's proxy cache may serve one.",
        parse_int,
    ),
    Setting(
        "BYLINE_PAGE_FILES_DIR",
        "",
        "Folder where cached pages are also written as files for nginx (deploy/nginx.conf).",
    ),
]
