from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed


def _reset_backend(setting: str, **kwargs: Any) -> None:
    if setting == "BYLINE_SPAM_BACKEND":
        from byline.antispam.backends import get_backend

        get_backend.cache_clear()


class AntispamConfig(AppConfig):
    name = "byline.antispam"
    label = "antispam"
    verbose_name = "Spam filter"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from byline.antispam import checks  # noqa: F401  (registers the system checks)

        setting_changed.connect(_reset_backend)
