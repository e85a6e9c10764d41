"""What browsers ask every site for: its icon and its web app manifest.

Pages link both from ``base.html``; ``/favicon.ico`` answers pages that do not
(the admin, a JSON answer opened in a tab), so no page asks for a missing file.
Both are the same for every visitor and may be kept by the browser for a day.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

THEME_COLOR = "#b0171f"
DAY = 86400


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    response = HttpResponseRedirect(static("byline/favicon.ico"))
    patch_cache_control(response, public=True, max_age=DAY)
    return response


@require_safe
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: the site's name, start page, colours and icons."""
    name = settings.BYLINE_SITE_NAME
    body = {
        "name": name,
        "short_name": name[:12],
        "start_url": reverse("articles:home"),
        "scope": "/",
        "display": "minimal-ui",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": static("byline/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("byline/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("byline/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    response = HttpResponse(json.dumps(body, indent=1), content_type="application/manifest+json")
    patch_cache_control(response, public=True, max_age=DAY)
    return response
