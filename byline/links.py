"""``reverse()`` once per URL name, not once per link.

An article page writes about fifty links (sections in the header and footer, related
articles, the voting forms' addresses...), and each ``reverse()`` walks Django's URL
resolver again (~25 µs). ``url_for(name, value)`` reverses each name once per process
(and script prefix and URLconf), with a marker in place of its one argument, and then
only puts the value in: the same address ``reverse()`` gives, for a plain value (an
int, or text of letters, digits, ``-``, ``_``, ``.`` and ``~``, which ``reverse()``
writes as it is). Any other value, or a URL name taking no single argument, is
reversed as before.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

_MARKER = "7319024865"  # a value every converter (int, str, slug, path) accepts
_PLAIN = re.compile(r"[-A-Za-z0-9_]+\Z")
# (name, script prefix, URLconf) -> before and after the argument, whether it takes text
# (else only digits); None: reversed each time
_PARTS: dict[tuple[str, str, str], tuple[str, str, bool] | None] = {}
_WHOLE: dict[tuple[str, str, str], str] = {}


def _key(name: str) -> tuple[str, str, str]:
    return (name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def url_for(name: str, value: int | str | None = None) -> str:
    """``reverse(name)``, or ``reverse(name, args=[value])`` for a URL taking one argument."""
    key = _key(name)
    if value is None:
        whole = _WHOLE.get(key)
        if whole is None:
            whole = _WHOLE[key] = reverse(name)
        return whole
    text = str(value)
    if not _PLAIN.match(text):
        return reverse(name, args=[value])
    if key not in _PARTS:
        _PARTS[key] = _parts(name)
    parts = _PARTS[key]
    if parts is None or not (parts[2] or text.isdigit()):
        return reverse(name, args=[value])
    return parts[0] + text + parts[1]


def _parts(name: str) -> tuple[str, str, bool] | None:
    """What comes before and after the argument in the name's address, and whether it
    takes text (or only digits: an ``int`` converter); None if it takes no one argument."""
    try:
        marked = reverse(name, args=[_MARKER])
    except NoReverseMatch:
        return None
    before, found, after = marked.rpartition(_MARKER)
    if not found or _MARKER in before:
        return None
    try:
        reverse(name, args=["x"])
    except NoReverseMatch:
        return before, after, False
    return before, after, True
