"""The media library: images uploaded once, with alt text, caption, credit and renditions."""

from __future__ import annotations

from typing import Any

from django.db import models

from byline.modelfields import done_by


class Image(models.Model):
    """One picture of the library, stored without its EXIF location, with its renditions.

    ``renditions`` lists the files made once at upload (several widths, WebP and
    the original format): ``{"width", "height", "format", "name"}``, narrowest
    first, where ``name`` is the file's name in the default storage. Pages read
    it to write ``srcset`` without touching the files.
    """

    file = models.ImageField(
        upload_to="library/%Y/%m/",
        max_length=300,
        editable=False,
        help_text="The image as stored: re-encoded, its EXIF location removed.",
    )
    alt = models.CharField(
        "alt text",
        max_length=300,
        help_text="Describes the image for readers who cannot see it. Required.",
    )
    caption = models.CharField(max_length=500, blank=True)
    credit = models.CharField(
        max_length=200, blank=True, help_text="Who made it: “Photo: Jane Doe / Agency”."
    )
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    renditions = models.JSONField(default=list, editable=False)
    uploaded_by = done_by()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = "library image"

    def __str__(self) -> str:
        return self.alt or f"Image {self.pk}"

    @property
    def token(self) -> str:
        """What the editor puts in an article's Markdown to show this image."""
        alt = self.alt.replace("[", "(").replace("]", ")").replace("\n", " ")
        return f"![{alt}](media:{self.pk})"

    def renditions_in(self, fmt: str) -> list[dict[str, Any]]:
        return [r for r in self.renditions if r["format"] == fmt]

    @property
    def original_format(self) -> str:
        formats = [r["format"] for r in self.renditions if r["format"] != "webp"]
        return formats[0] if formats else "webp"

    def rendition_for(self, width: int, fmt: str | None = None) -> dict[str, Any] | None:
        """The narrowest rendition at least ``width`` wide (else the widest), in ``fmt``."""
        found = self.renditions_in(fmt or self.original_format)
        if not found:
            return None
        return next((r for r in found if r["width"] >= width), found[-1])
