"""Settings of the articles app (see byline/conf.py)."""

from byline.conf import Setting, parse_positive_int

SETTINGS = [
    Setting(
        "BYLINE_READING_WPM",
        "238",
        "Reading speed in words a minute (Brysbaert 2019, silent reading of English non-fiction).",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_READING_CJK_CPM",
        "500",
        "Reading speed for Chinese, Japanese and Korean text, in characters a minute.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_ARTICLES_PER_PAGE",
        "10",
        "Articles on each page of the front, section, tag and author listings.",
        parse_positive_int,
    ),
]
