"""Settings of the antispam app (see byline/conf.py)."""

from byline.conf import Setting, parse_positive_int


def parse_probability(value: str) -> float:
    number = float(value.strip())
    if not 0.0 <= number <= 1.0:
        raise ValueError("expected a number from 0 to 1")
    return number


def parse_seconds(value: str) -> float:
    number = float(value.strip())
    if number < 0:
        raise ValueError("expected a number of seconds, 0 or more")
    return number


FIRST_COMMENT_POLICIES = ("publish", "hold", "hold-links")


def parse_first_comment(value: str) -> str:
    policy = value.strip().lower()
    if policy not in FIRST_COMMENT_POLICIES:
        raise ValueError("expected publish, hold or hold-links")
    return policy


SETTINGS: list[Setting] = [
    Setting(
        "BYLINE_SPAM_BACKEND",
        "byline.antispam.backends.LocalFilterBackend",
        "Dotted path of the spam backend class that checks every new comment.",
    ),
    Setting(
        "BYLINE_SPAM_APPROVE_BELOW",
        "0.5",
        "Spam score under which the filter finds a comment genuine: published at once "
        "(a first comment too, unless BYLINE_SPAM_FIRST_COMMENT holds it).",
        parse_probability,
    ),
    Setting(
        "BYLINE_SPAM_SPAM_AT",
        "0.9",
        "Spam score from which a comment goes to the spam folder. Between the two, a known "
        "commenter is published and a first comment waits for a moderator.",
        parse_probability,
    ),
    Setting(
        "BYLINE_SPAM_FIRST_COMMENT",
        "publish",
        "A first comment from an unknown address that the filter finds genuine: publish "
        "(at once), hold (every one waits for a moderator) or hold-links (waits only when it "
        "has links).",
        parse_first_comment,
    ),
    Setting(
        "BYLINE_SPAM_DISCARD_AT",
        "1",
        "Spam score from which a comment is dropped without being stored (1 keeps all spam).",
        parse_probability,
    ),
    Setting(
        "BYLINE_SPAM_MIN_SECONDS",
        "3",
        "A comment sent sooner than this after the form was shown counts as a sign of a bot.",
        parse_seconds,
    ),
    Setting(
        "BYLINE_SPAM_LOG_DAYS",
        "90",
        "Days the filter keeps its record of each check (for duplicates and the report).",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_AKISMET_API_KEY",
        "",
        "Akismet API key, for the optional AkismetBackend (off unless chosen as the backend).",
    ),
    Setting(
        "BYLINE_AKISMET_SITE_URL",
        "",
        "The site URL registered with Akismet (https://news.example), for AkismetBackend.",
    ),
]
