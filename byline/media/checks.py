"""Start-up checks for the media library's settings (ids media.E0xx / W0xx)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from PIL import Image as PILImage


@register()
def media_settings(app_configs, **kwargs) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    default = settings.BYLINE_DEFAULT_IMAGE
    if default and not default.startswith(("https://", "http://", "/")):
        found.append(
            Error(
                f"BYLINE_DEFAULT_IMAGE={default!r} is neither an absolute URL nor a path.",
                hint="Give https://news.example/brand.png or /static/brand.png, or leave it "
                "empty for the shipped default image.",
                id="media.E001",
            )
        )
    pillow_limit = PILImage.MAX_IMAGE_PIXELS
    if pillow_limit and settings.BYLINE_MEDIA_MAX_PIXELS > 2 * pillow_limit:
        found.append(
            Warning(
                f"BYLINE_MEDIA_MAX_PIXELS ({settings.BYLINE_MEDIA_MAX_PIXELS:,}) is above "
                f"what Pillow decodes ({2 * pillow_limit:,} pixels).",
                hint="Images between the two limits are refused as decompression bombs.",
                id="media.W001",
            )
        )
    return found
