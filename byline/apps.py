from django.apps import AppConfig


class BylineConfig(AppConfig):
    """The project itself: site chrome, the `run` command and start-up checks."""

    name = "byline"
    label = "byline"
    verbose_name = "Byline"

    def ready(self) -> None:
        from byline import checks  # noqa: F401  (registers the system checks)
