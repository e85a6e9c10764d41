"""Reading numbers and JSON that came from a request: the one place that does it.

Anything a client sends is hostile until parsed here. ``str.isdigit()`` is
true for "²" and "٣", and ``int()`` of a 5,000-digit string is slow and then
overflows every database column; ``json.loads`` of a document nested 100,000
deep raises ``RecursionError``. These helpers answer "not a valid value"
(None, or ``ValueError``) instead, so a view can give a clear 400 or 404.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Database ids are BigAutoField: 1 .. 2**63 - 1 (19 digits), written in ASCII digits,
# with spaces or tabs around them as a browser may send a form field (the comment
# form's hidden ids read them with Django's IntegerField: discussion/forms.py).
MAX_ID = 2**63 - 1
ID_DIGITS = re.compile(r"[ \t]*[0-9]{1,19}[ \t]*")
# Deeper than any document the site reads, far below Python's recursion limit.
MAX_JSON_DEPTH = 32


def parse_id(value: object) -> int | None:
    """A database id from request input: ASCII digits only, 1 .. 2**63 - 1; else None.

    Leading and trailing spaces are allowed (browsers send form fields as typed);
    signs, Unicode digits, underscores, exponents and anything longer than
    19 digits are not. Integers (from JSON) are accepted in range; booleans are not.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    if not isinstance(value, str):
        return None
    if not ID_DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_page(value: object, default: int = 1) -> int:
    """A page number from a query string (``?page=``, ``?cpage=``): ``default`` if not one."""
    number = parse_id(value)
    return default if number is None else number


def _depth(text: str) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads_json(data: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` for request input: ``ValueError`` for anything but valid UTF-8 JSON
    nested at most ``max_depth`` deep (never ``RecursionError``)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("not UTF-8") from None
    if data.count("[") + data.count("{") > max_depth and _depth(data) > max_depth:
        raise ValueError("nested too deep")
    try:
        return json.loads(data)
    except RecursionError:  # pragma: no cover (the depth check comes first)
        raise ValueError("nested too deep") from None
