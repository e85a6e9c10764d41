"""Settings of the engagement app (see byline/conf.py)."""

from byline.conf import Setting

SETTINGS: list[Setting] = []
