"""The article page's scripts, written into the page itself rather than linked.

The article page runs three small scripts (the counts and votes, the
discussion, the comment reactions: about 24 KB, 7 KB gzipped). Linked, they
cost a new reader three more requests to the server on top of the page and
the stylesheet; on the night a story goes viral most readers are new, and
those requests were half of what nginx served (bench/readers.py). Written
into the cached page they cost nothing per view: the page is served whole
from nginx's page file, and a returning reader's revalidation (a 304) does not
resend them. The stylesheet is written into every page too (``byline.styles``,
which shares this module's reading, keeping and hashing).

Why not one linked bundle instead: it still costs a new reader one request,
and a bundle needs a build step; inline costs 7 KB gzipped on a page of
about 20 KB, and only on article pages. Should the site ever send a
Content-Security-Policy, the scripts are the same bytes on every article
page, so a ``script-src 'sha256-…'`` hash allows them without 'unsafe-inline'
(``script_hash`` gives it).

The scripts are read from the apps' static folders through Django's finders
(the same files ``collectstatic`` copies), joined in the order given, and
kept per process (read again on each page while ``DEBUG`` is on, so editing
one shows at once).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Hashable
from functools import cache
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.contrib.staticfiles import finders

# What would end the <script> element early or change how the HTML parser reads it.
_UNSAFE = re.compile(r"</script|<!--|<script", re.IGNORECASE)


K = TypeVar("K", bound=Hashable)


class ScriptError(ValueError):
    """A script cannot be written into a page as it is."""


def static_text(name: str, error: type[ValueError] = ScriptError) -> str:
    """The text of the static file ``name``, found as ``collectstatic`` finds it."""
    found = finders.find(name)
    if not found:
        raise error(f"no static file {name!r}")
    return Path(str(found)).read_text(encoding="utf-8")


def read_scripts(names: tuple[str, ...]) -> str:
    """The scripts ``names`` (static paths) joined, each on its own lines."""
    parts = []
    for name in names:
        text = static_text(name)
        if _UNSAFE.search(text):
            raise ScriptError(f"{name} holds '</script', '<script' or '<!--': link it instead")
        parts.append(f"// {name}\n{text.strip()}\n")
    return "\n".join(parts)


def per_process(read: Callable[[K], str]) -> Callable[[K], str]:
    """``read`` kept per process for each argument, called afresh while ``DEBUG`` is on."""
    kept = cache(read)

    def current(key: K) -> str:
        return read(key) if settings.DEBUG else kept(key)

    return current


page_scripts = per_process(read_scripts)
page_scripts.__doc__ = "``read_scripts`` as the page writes it: kept per process unless ``DEBUG``."


def csp_source(text: str) -> str:
    """The CSP source that allows ``text`` inline: ``'sha256-…'``."""
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def script_hash(names: tuple[str, ...]) -> str:
    """The CSP source that allows these scripts inline: ``'sha256-…'``."""
    return csp_source(page_scripts(names))
