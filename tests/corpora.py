"""The hostile-string corpora (tests/data/naughty, tests/data/xss), and the characters
that can only hide, scramble or break a name, for the tests that feed them in."""

from __future__ import annotations

import json
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
