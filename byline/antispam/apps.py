from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate


def _reset_backend(setting: str, **kwargs: Any) -> None:
    if setting == "BYLINE_SPAM_BACKEND":
        from byline.antispam.backends import get_backend

        get_backend.cache_clear()


def _retrain_if_unusable(using: str = DEFAULT_DB_ALIAS, verbosity: int = 1, **kwargs: Any) -> None:
    if using != DEFAULT_DB_ALIAS:
        return
    from byline.antispam.actions import retrain_if_unusable

    result = retrain_if_unusable()
    if result is not None and verbosity >= 1:
        stdout = kwargs.get("stdout")
        if stdout is not None:
            stdout.write(
                f"  Spam model retrained as v{result.version}: the stored one could not be "
                "read by this version of Byline."
            )


class AntispamConfig(AppConfig):
    name = "byline.antispam"
    label = "antispam"
    verbose_name = "Spam filter"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from byline.antispam import checks  # noqa: F401  (registers the system checks)

        setting_changed.connect(_reset_backend)
        post_migrate.connect(_retrain_if_unusable, sender=self)
