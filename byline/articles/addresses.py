"""Many pages' addresses at once, without a ``reverse()`` for each.

``reverse()`` costs tens of microseconds; a sitemap page writes a thousand
addresses and a commenter's data download one for each comment's article. The
address of a page named by its slug is the same text around the slug, so it is
reversed once and the slug (percent-encoded as ``reverse()`` does it) put in.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

MARKER = "slugmarker"


def by_slug(url_name: str) -> Callable[[str], str]:
    """A function from a slug to the address ``reverse(url_name, kwargs={"slug": slug})``
    gives (the script prefix of now included)."""
    prefix, suffix = reverse(url_name, kwargs={"slug": MARKER}).split(MARKER)
    safe = RFC3986_SUBDELIMS + "/~:@"
    return lambda slug: prefix + quote(slug, safe=safe) + suffix
