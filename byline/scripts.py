"""The article page's scripts, written into the page itself rather than linked.

The article page runs three small scripts (the counts and votes, the
discussion, the comment reactions: about 24 KB, 7 KB gzipped). Linked, they
cost a new reader three more requests to the server on top of the page and
the stylesheet; on the night a story goes viral most readers are new, and
those requests were half of what nginx served (bench/readers.py). Written
into the cached page they cost nothing per view: the page is served whole
from nginx's page file, and a returning reader's revalidation (a 304) does not
resend them. The stylesheet stays linked: every page uses it, so a browser
fetches it once and keeps it a year (fingerprinted, ``immutable``).

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
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

# What would end the <script> element early or change how the HTML parser reads it.
_UNSAFE = re.compile(r"</script|<!--|<script", re.IGNORECASE)


class ScriptError(ValueError):
    """A script cannot be written into a page as it is."""


def read_scripts(names: tuple[str, ...]) -> str:
    """The scripts ``names`` (static paths) joined, each on its own lines."""
    parts = []
    for name in names:
        found = finders.find(name)
        if not found:
            raise ScriptError(f"no static file {name!r}")
        text = Path(str(found)).read_text(encoding="utf-8")
        if _UNSAFE.search(text):
            raise ScriptError(f"{name} holds '</script', '<script' or '<!--': link it instead")
        parts.append(f"// {name}\n{text.strip()}\n")
    return "\n".join(parts)


_kept = cache(read_scripts)


def page_scripts(names: tuple[str, ...]) -> str:
    """``read_scripts`` as the page writes it: kept per process unless ``DEBUG``."""
    return read_scripts(names) if settings.DEBUG else _kept(names)


def script_hash(names: tuple[str, ...]) -> str:
    """The CSP source that allows these scripts inline: ``'sha256-…'``."""
    digest = hashlib.sha256(page_scripts(names).encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"
