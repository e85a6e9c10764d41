"""Model fields and constraints that several apps declare alike."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


def done_by(**options: Any) -> models.ForeignKey[Any, Any]:
    """Who did something (wrote, uploaded, moderated): a login, set by the code.

    The row outlives the login (``SET_NULL``), the user has no reverse accessor
    (``related_name="+"``), and forms leave it alone unless ``editable=True``.
    Other ``ForeignKey`` options (``help_text``, ``editable``) may be given.
    """
    defaults: dict[str, Any] = {
        "null": True,
        "blank": True,
        "on_delete": models.SET_NULL,
        "related_name": "+",
        "editable": False,
    }
    return models.ForeignKey(settings.AUTH_USER_MODEL, **{**defaults, **options})


def imported_once(source: str, original_id: str, name: str) -> models.UniqueConstraint:
    """Importing the same export twice adds nothing twice: one row per site imported
    from (``source``) and id there (``original_id``); rows made here have no such id."""
    return models.UniqueConstraint(
        fields=[source, original_id],
        condition=models.Q(**{f"{original_id}__isnull": False}),
        name=name,
    )
