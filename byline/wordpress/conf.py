"""Settings of the WordPress import and export (see byline/conf.py)."""

from byline.conf import Setting, parse_positive_int

SETTINGS = [
    Setting(
        "BYLINE_IMPORT_MEDIA_MAX_BYTES",
        "20000000",
        "import-wxr --copy-media: the largest image file it copies, in bytes (larger ones are "
        "left on the old site and listed).",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_IMPORT_MEDIA_TIMEOUT",
        "30",
        "import-wxr --copy-media: seconds to wait for the old site at each step of a download; "
        "a file that takes ten times this in all is abandoned.",
        parse_positive_int,
    ),
]
