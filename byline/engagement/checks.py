"""Start-up checks for the engagement app (ids engagement.W0xx)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def client_ip_behind_a_proxy(app_configs: object, **kwargs: object) -> list[Warning]:
    """In production the app sits behind a proxy: without its header, every reader shares one IP."""
    if settings.PRODUCTION and not settings.BYLINE_CLIENT_IP_HEADER:
        return [
            Warning(
                "BYLINE_CLIENT_IP_HEADER is not set in production mode.",
                hint=(
                    "Behind nginx every request comes from the proxy's address, so all readers "
                    "share one vote rate limit. Set it to the header your proxy sets, for "
                    "example X-Real-IP (nginx: proxy_set_header X-Real-IP $remote_addr)."
                ),
                id="engagement.W001",
            )
        ]
    return []
