"""Text that XML 1.0 can carry: feeds and sitemaps drop what it forbids.

An editor's text may hold control characters pasted from a terminal or a word
processor (form feed, vertical tab, escape). HTML shrugs them off; XML 1.0 forbids
them, so a feed would fail to render and a sitemap would not parse.
"""

from __future__ import annotations

import re
from typing import Any

NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids."""
    return NOT_XML.sub("", value)


def xml_safe(value: Any) -> Any:
    """``value`` with every string in it (inside dicts, lists and tuples too) made XML text."""
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, dict):
        return {key: xml_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(xml_safe(item) for item in value)
    return value
