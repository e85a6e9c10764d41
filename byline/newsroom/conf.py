"""Settings of the newsroom app (see byline/conf.py)."""

from byline.conf import Setting, parse_non_negative_int, parse_positive_int

SETTINGS = [
    Setting(
        "BYLINE_COMMENTS_CLOSE_AFTER_DAYS",
        "0",
        "Comments on an article close this many days after publication, unless the article "
        "says otherwise (open, closed, or its own number of days); 0: they never close by time.",
        parse_non_negative_int,
    ),
    Setting(
        "BYLINE_AUTOSAVE_SECONDS",
        "5",
        "How long the article form waits after the last keystroke before it autosaves a draft.",
        parse_positive_int,
    ),
]
