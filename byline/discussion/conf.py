"""Settings of the discussion app (see byline/conf.py)."""

from byline.conf import (
    Setting,
    parse_bool,
    parse_int,
    parse_list,
    parse_non_negative_int,
    parse_positive_int,
)


def parse_moderation(value: str) -> str:
    value = value.strip().lower()
    if value not in {"all", "none"}:
        raise ValueError("expected none or all")
    return value


def parse_label(value: str) -> str:
    label = " ".join(value.split())
    if not 0 < len(label) <= 30:
        raise ValueError("expected a short word or two (1 to 30 characters)")
    return label


SETTINGS: list[Setting] = [
    Setting(
        "BYLINE_COMMENT_MAX_DEPTH",
        "5",
        "Deepest level of nested replies; a reply to the deepest level joins that level.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_COMMENT_THREADS_PER_PAGE",
        "50",
        "Top-level comment threads on each page of an article's discussion.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_COMMENT_THREAD_FOLD",
        "10",
        "Replies a thread shows on the article's page; a link leads to the rest of a longer one.",
        parse_non_negative_int,
    ),
    Setting(
        "BYLINE_COMMENT_THREAD_PAGE_SIZE",
        "100",
        "Comments on each page of one long thread shown on its own (the link from its fold).",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_COMMENT_MAX_LENGTH",
        "5000",
        "Longest comment accepted, in characters.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_COMMENT_MODERATION",
        "none",
        "Whether every comment waits for a moderator: none (only what the spam check "
        "holds, and first comments as BYLINE_SPAM_FIRST_COMMENT says) or all. The old "
        "value first still works as BYLINE_SPAM_FIRST_COMMENT=hold, with a warning.",
        parse_moderation,
        moved_values=(("first", "BYLINE_SPAM_FIRST_COMMENT", "hold"),),
    ),
    Setting(
        "BYLINE_COMMENT_MIN_SECONDS",
        "3",
        "Fewest seconds between loading the comment form and sending it (faster is a bot).",
        parse_non_negative_int,
    ),
    Setting(
        "BYLINE_COMMENT_RATE_LIMIT",
        "2",
        "Comments one reader, or one (hashed) IP address, may post per rate window.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_COMMENT_RATE_WINDOW",
        "60",
        "Length of the comment rate window, in seconds.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_COMMENT_EDIT_MINUTES",
        "5",
        "Minutes after posting during which a reader may edit their own comment, from the "
        "browser they posted it from (0: readers cannot edit). Edits are checked for spam again.",
        parse_non_negative_int,
    ),
    Setting(
        "BYLINE_COMMENT_REACTION_LABEL",
        "Respect",
        "The one reaction readers may give a comment (its button's label), e.g. Respect or Like.",
        parse_label,
    ),
    Setting(
        "BYLINE_COMMENT_IP_RETENTION_DAYS",
        "30",
        "Days a comment keeps its hashed IP address and browser name "
        "(`purge_comment_data` clears older ones).",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_COMMENT_SPAM_RETENTION_DAYS",
        "30",
        "Days comments marked spam or trash are kept before `purge_comment_data` deletes them.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_COMMENT_MODERATOR_EMAILS",
        "",
        "Comma-separated addresses told of comments awaiting moderation. "
        "Empty: every active staff user who may moderate comments.",
        parse_list,
    ),
    Setting(
        "BYLINE_COMMENT_DATA_LINK_HOURS",
        "1",
        "Hours an e-mailed link to export or erase one's comments stays valid (it works once).",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_EMAIL_FROM",
        "byline@localhost",
        "Sender address of the e-mails Byline sends (notifications, data links).",
    ),
    Setting(
        "BYLINE_SMTP_HOST",
        "",
        "SMTP server for outgoing e-mail. Empty: e-mails are printed to the console.",
    ),
    Setting("BYLINE_SMTP_PORT", "587", "SMTP server port.", parse_positive_int),
    Setting("BYLINE_SMTP_USER", "", "SMTP user name, if the server needs one."),
    Setting("BYLINE_SMTP_PASSWORD", "", "SMTP password, if the server needs one."),
    Setting(
        "BYLINE_SMTP_TLS",
        "1",
        "Use STARTTLS with the SMTP server.",
        parse_bool,
    ),
    Setting(
        "BYLINE_SMTP_TIMEOUT",
        "10",
        "Seconds to wait for the SMTP server before giving up on an e-mail.",
        parse_int,
    ),
    Setting(
        "BYLINE_EMAIL_IN_BACKGROUND",
        "1",
        "Hand e-mails, once the request's changes are committed, to a background thread "
        "that sends them, so a slow mail server never delays a reader. An e-mail still "
        "waiting when the process dies is lost (it is logged as queued first). 0: send "
        "them in the request, after the commit.",
        parse_bool,
    ),
]
