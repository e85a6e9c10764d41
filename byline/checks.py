"""Start-up checks for a safe production configuration (ids byline.E0xx / W0xx)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from byline.conf import moved_values_in


@register(Tags.security, deploy=True)
def production_settings(app_configs, **kwargs) -> list[Error]:
    errors: list[Error] = []
    if settings.PRODUCTION and settings.DEBUG:
        errors.append(
            Error(
                "BYLINE_DEBUG is on in production mode.",
                hint="Unset BYLINE_DEBUG: tracebacks must never reach readers.",
                id="byline.E001",
            )
        )
    if settings.PRODUCTION and len(settings.SECRET_KEY) < 40:
        errors.append(
            Error(
                "BYLINE_SECRET_KEY is shorter than 40 characters.",
                hint="Generate one: python -c 'import secrets; print(secrets.token_urlsafe(50))'",
                id="byline.E002",
            )
        )
    return errors


@register()
def moved_setting_values(app_configs, **kwargs) -> list[CheckMessage]:
    """A value a setting no longer takes works as what now says it, with a warning."""
    return [
        Warning(
            f"{name}={old} is deprecated: it now means {other}={new}.",
            hint=f"Set {other}={new} and remove {name}={old} (see docs/settings.md).",
            id="byline.W001",
        )
        for name, old, other, new in moved_values_in()
    ]
