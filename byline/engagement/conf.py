"""Settings of the engagement app (see byline/conf.py)."""

from __future__ import annotations

from dataclasses import dataclass

from byline.conf import (
    Setting,
    parse_bool,
    parse_non_negative_int,
    parse_positive_int,
    parse_str,
)


@dataclass(frozen=True)
class ReactionKind:
    """One reaction readers can choose: its key in the API, its emoji and its label."""

    key: str
    emoji: str
    label: str


def parse_reactions(value: str) -> tuple[ReactionKind, ...]:
    """``key:emoji:Label`` items separated by commas, for example ``happy:😀:Happy``."""
    kinds: list[ReactionKind] = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        parts = [part.strip() for part in item.split(":")]
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"{item!r} is not key:emoji:Label")
        key, emoji, label = parts
        if not key.isascii() or not key.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"the key {key!r} must be letters, digits, - or _")
        if len(key) > 20:
            raise ValueError(f"the key {key!r} is longer than 20 characters")
        kinds.append(ReactionKind(key.lower(), emoji, label))
    if not kinds:
        raise ValueError("at least one reaction is needed")
    if len({kind.key for kind in kinds}) != len(kinds):
        raise ValueError("two reactions have the same key")
    return tuple(kinds)


def parse_header_name(value: str) -> str:
    value = value.strip()
    if value and not all(ch.isalnum() or ch == "-" for ch in value):
        raise ValueError("expected an HTTP header name such as X-Real-IP")
    return value


DEFAULT_REACTIONS = ",".join(
    [
        "happy:😀:Happy",
        "sad:😢:Sad",
        "excited:🤩:Excited",
        "sleepy:😴:Sleepy",
        "angry:😠:Angry",
        "surprise:😲:Surprise",
    ]
)

SETTINGS: list[Setting] = [
    Setting(
        "BYLINE_REACTIONS",
        DEFAULT_REACTIONS,
        "The reactions offered under each article, as comma-separated key:emoji:Label items.",
        parse_reactions,
    ),
    Setting(
        "BYLINE_VOTES_PER_MINUTE",
        "30",
        "Votes (reactions, ratings) one reader, and one IP address, may send a minute "
        "(then HTTP 429); reactions to comments are counted apart, with the same limit.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_VOTE_BATCHES",
        "on",
        "On PostgreSQL, cast the votes that arrive together at one app-server process in one "
        "statement and one commit (off: one statement and one commit per vote).",
        parse_bool,
    ),
    Setting(
        "BYLINE_VIEWS_PER_MINUTE",
        "120",
        "Views counted a minute from one IP address (more are received but not counted).",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_VIEW_FLUSH_SECONDS",
        "5",
        "How often buffered view counts are written to the database, in seconds.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_VIEW_LOG_DIR",
        "",
        "Folder where nginx writes the views it answered itself (deploy/nginx.conf, "
        "views-*.log); they are added to the counts every BYLINE_VIEW_FLUSH_SECONDS, or every "
        "2 s by `byline flush_views --every 2`. Empty: views reach the app only.",
        parse_str,
    ),
    Setting(
        "BYLINE_COUNTS_REFRESH_SECONDS",
        "60",
        "How often an open article page refreshes its views, comments, reactions and rating "
        "while the reader has it in view, in seconds (0: only when they come back to it).",
        parse_non_negative_int,
    ),
    Setting(
        "BYLINE_CLIENT_IP_HEADER",
        "",
        "Header carrying the reader's IP set by your proxy (X-Real-IP). Empty: the socket address.",
        parse_header_name,
    ),
    Setting(
        "BYLINE_READER_COOKIE",
        "byline_reader",
        "Name of the signed cookie that identifies a reader who has reacted or rated.",
        parse_str,
    ),
]
