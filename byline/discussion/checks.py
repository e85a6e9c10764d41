"""Start-up checks for the discussion's configuration (ids discussion.E0xx / W0xx)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ValidationError
from django.core.validators import validate_email


@register()
def discussion_settings(app_configs, **kwargs) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for address in settings.BYLINE_COMMENT_MODERATOR_EMAILS:
        try:
            validate_email(address)
        except ValidationError:
            messages.append(
                Error(
                    f"BYLINE_COMMENT_MODERATOR_EMAILS holds {address!r}, not an e-mail address.",
                    hint="Give comma-separated addresses, e.g. desk@news.example,ed@news.example",
                    id="discussion.E001",
                )
            )
    if settings.PRODUCTION and not settings.BYLINE_SMTP_HOST:
        messages.append(
            Warning(
                "No SMTP server: comment notifications are only printed to the console.",
                hint="Set BYLINE_SMTP_HOST (and BYLINE_SMTP_USER / BYLINE_SMTP_PASSWORD).",
                id="discussion.W001",
            )
        )
    return messages
