"""The site's public origin, for every absolute URL Byline writes (feeds, sitemaps, share tags)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site_origin(request: HttpRequest) -> str:
    """``BYLINE_SITE_URL`` when set, else the scheme and host the request came in on."""
    return settings.BYLINE_SITE_URL or f"{request.scheme}://{request.get_host()}"


def absolute_url(request: HttpRequest, path_or_url: str) -> str:
    """An absolute URL for a path on this site; URLs that are already absolute pass through."""
    if path_or_url.startswith(("http://", "https://")):
        return path_or_url
    return site_origin(request) + path_or_url
