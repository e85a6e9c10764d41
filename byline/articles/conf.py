"""Settings of the articles app (see byline/conf.py)."""

from byline.conf import Setting, parse_bool, parse_positive_int

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
    Setting(
        "BYLINE_RANKING_SECONDS",
        "120",
        "How long the listings' Most read and Most discussed rankings are reused before a recount.",
        parse_positive_int,
    ),
]

SETTINGS += [
    Setting(
        "BYLINE_SITE_LANGUAGE",
        "en",
        "Language of the site's articles (BCP 47 code) for feeds and the Google News sitemap.",
    ),
    Setting(
        "BYLINE_FEED_FULL_TEXT",
        "1",
        "Feeds carry each article's full text (1) or only its standfirst (0).",
        parse_bool,
    ),
    Setting(
        "BYLINE_FEED_ITEMS",
        "20",
        "How many of the latest articles (or comments) each feed lists.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_SEARCH_PER_PAGE",
        "10",
        "Results on each page of the site search.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_PUBLISHER_LOGO",
        "",
        "URL of the publisher's logo for structured data (an absolute URL or a path on the site).",
    ),
    Setting(
        "BYLINE_TWITTER_SITE",
        "",
        "The site's account on X/Twitter (@handle) for twitter:site; empty leaves it out.",
    ),
]
