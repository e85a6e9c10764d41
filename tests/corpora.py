"""The hostile-string corpora (tests/data/naughty, tests/data/xss), the characters that
can only hide, scramble or break a name, and what a stored name or text never holds,
for the tests that feed them in."""

from __future__ import annotations

import json
import re
from pathlib import Path

DATA = Path(__file__).parent / "data"

NAUGHTY: list[str] = json.loads((DATA / "naughty" / "blns.json").read_text(encoding="utf-8"))
XSS: list[str] = (DATA / "xss" / "payloads.txt").read_text(encoding="utf-8").splitlines()

# Neither corpus has NUL or a lone surrogate: what a script, an API client or a pasted
# terminal line can send, each in a name around visible words.
INVISIBLE = [
    "\x00",  # NUL: PostgreSQL refuses it in text
    "\x07",  # bell
    "\x0b",  # vertical tab (Word's Shift+Enter)
    "\x1b[31m",  # a terminal colour escape
    "\x85",  # NEL, a C1 line end
    "\x9b",  # CSI, the C1 escape
    "\ud800",  # a lone surrogate: no UTF-8 holds it
    "\udfff",
    "\ufeff",  # byte-order mark
    "\ufffe",  # noncharacters XML 1.0 forbids
    "\u202e",  # right-to-left override
    "\u202d",  # left-to-right override
    "\u202b",  # right-to-left embedding
    "\u2067",  # right-to-left isolate
    "\r\n",
    "\t",
]
CONTROLLED = [f"Foo{char}Bar" for char in INVISIBLE] + [f"{char}News{char}" for char in INVISIBLE]

# What no stored name holds: C0 and C1 controls (tab and line ends too), lone
# surrogates, the byte-order mark, noncharacters, explicit direction controls.
NEVER_IN_A_NAME = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
# What no stored description or bio holds (tab and line ends are kept there).
NEVER_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")


def xml_addresses(section, tag, author) -> list[str]:
    """The feeds and sitemaps that name a section, a tag or an author."""
    return [
        "/feed/",
        "/feed/atom/",
        f"{section.get_absolute_url()}feed/",
        f"{tag.get_absolute_url()}feed/atom/",
        f"{author.get_absolute_url()}feed/",
        "/sitemap.xml",
        "/sitemap-sections.xml",
        "/sitemap-tags.xml",
        "/sitemap-authors.xml",
        "/sitemap-news.xml",
    ]
