"""Start-up checks for the spam filter's settings (ids antispam.E0xx)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

from byline.antispam.contract import SpamBackend

AKISMET = "byline.antispam.akismet_backend.AkismetBackend"


@register()
def spam_settings(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    try:
        backend = import_string(settings.BYLINE_SPAM_BACKEND)
    except ImportError as error:
        errors.append(
            Error(
                f"BYLINE_SPAM_BACKEND={settings.BYLINE_SPAM_BACKEND!r} cannot be imported.",
                hint=str(error),
                id="antispam.E001",
            )
        )
    else:
        if not (isinstance(backend, type) and issubclass(backend, SpamBackend)):
            errors.append(
                Error(
                    "BYLINE_SPAM_BACKEND must name a subclass of SpamBackend.",
                    id="antispam.E002",
                )
            )
    low, high = settings.BYLINE_SPAM_APPROVE_BELOW, settings.BYLINE_SPAM_SPAM_AT
    if not low <= high <= settings.BYLINE_SPAM_DISCARD_AT:
        errors.append(
            Error(
                "Spam thresholds are out of order.",
                hint="Need BYLINE_SPAM_APPROVE_BELOW ≤ BYLINE_SPAM_SPAM_AT ≤ "
                "BYLINE_SPAM_DISCARD_AT.",
                id="antispam.E003",
            )
        )
    if settings.BYLINE_SPAM_BACKEND == AKISMET and not (
        settings.BYLINE_AKISMET_API_KEY
        and settings.BYLINE_AKISMET_SITE_URL.startswith(("http://", "https://"))
    ):
        errors.append(
            Error(
                "The Akismet backend needs BYLINE_AKISMET_API_KEY and BYLINE_AKISMET_SITE_URL.",
                hint="Set both, or choose the local filter (the default).",
                id="antispam.E004",
            )
        )
    return errors
