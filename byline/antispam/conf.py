"""Settings of the antispam app (see byline/conf.py)."""

from byline.conf import Setting

SETTINGS: list[Setting] = []
