"""Settings of the antispam app (see byline/conf.py)."""

from byline.conf import Setting

SETTINGS: list[Setting] = [
    Setting(
        "BYLINE_SPAM_BACKEND",
        "byline.antispam.backends.FirstTimersWaitBackend",
        "Dotted path of the spam backend class that checks every new comment.",
    ),
]
