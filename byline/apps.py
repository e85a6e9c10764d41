from django.apps import AppConfig
from django.conf import settings
from django.utils.functional import lazy


def newsroom_name() -> str:
    """What the admin calls itself: "<site name> newsroom", read when a page is shown."""
    return f"{settings.BYLINE_SITE_NAME} newsroom"


class BylineConfig(AppConfig):
    """The project itself: site chrome, the `run` command and start-up checks."""

    name = "byline"
    label = "byline"
    verbose_name = "Byline"

    def ready(self) -> None:
        from django.contrib import admin

        from byline import checks  # noqa: F401  (registers the system checks)

        # The admin's header and page titles name the site, not "Django administration".
        admin.site.site_header = admin.site.site_title = lazy(newsroom_name, str)()
