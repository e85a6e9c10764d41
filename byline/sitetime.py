"""Moments as the newsroom reads them: in the site's time zone, the zone named.

Times are stored in UTC; editors read them in ``TIME_ZONE`` (``BYLINE_TIME_ZONE``),
the zone the reader-facing pages use, with the zone's abbreviation ("CET", "EST",
"UTC") so that a time copied into a message or a log stays unambiguous.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.utils import timezone


def site_time(moment: datetime) -> str:
    """``2026-12-05 10:45 CET``: ``moment`` in the site's time zone, the zone named.

    A zone without a lettered abbreviation (``-03``) is named by its IANA name too:
    ``2026-12-05 10:45 -03 (America/Sao_Paulo)``.
    """
    local = timezone.localtime(moment, timezone.get_default_timezone())
    zone = local.strftime("%Z")
    if not zone.isalpha():
        zone = f"{zone} ({settings.TIME_ZONE})"
    return f"{local:%Y-%m-%d %H:%M} {zone}"


def admin_time(field: str, description: str) -> Callable[[Any, Any], str]:
    """An admin column or read-only field showing the moment ``field`` as ``site_time``
    reads it ("-" when empty), sorted by ``field``. On a ``ModelAdmin``:
    ``uploaded = admin_time("uploaded_at", "uploaded at")``, then ``"uploaded"`` in
    ``list_display``, ``fields`` or ``readonly_fields``."""

    @admin.display(description=description, ordering=field)
    def shown(model_admin: Any, obj: Any) -> str:
        moment = getattr(obj, field)
        return site_time(moment) if moment else "-"

    return shown
