"""The admin's Markdown editor: a textarea that a script gives a toolbar, a live preview
and an image picker. Without JavaScript it is the plain textarea it always was.

``EditorAdminMixin`` puts it on a model admin's Markdown fields and, when the
editor saves, warns about what readers will not see (``body_checks``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.templatetags.static import static
from django.urls import reverse_lazy

from byline.media.body_checks import body_warnings


class MarkdownEditor(forms.Textarea):
    def __init__(self, attrs: dict | None = None) -> None:
        defaults = {
            "rows": 24,
            "data-editor": "markdown",
            "data-preview-url": reverse_lazy("admin:media_editor_preview"),
            "data-picker-url": reverse_lazy("admin:media_image_picker"),
            "data-upload-url": reverse_lazy("admin:media_image_add"),
            "data-site-css": static("byline/site.css"),
        }
        super().__init__({**defaults, **(attrs or {})})

    class Media:
        css = {"all": ["media/editor.css"]}
        js = ["media/editor.js"]


class EditorAdminMixin:
    """For a ModelAdmin whose ``editor_fields`` hold Markdown (``body`` by default)."""

    editor_fields: tuple[str, ...] = ("body",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.editor_fields:
            kwargs["widget"] = MarkdownEditor()
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        for name in self.editor_fields:
            for warning in body_warnings(getattr(obj, name, "") or ""):
                messages.warning(request, warning)
