"""The media library's writes: upload, describe, delete. Admin, demo and tests use these.

An upload is checked and re-encoded (``images``), its renditions are made once
and stored beside it, and the row lists them. Files are removed again when
the transaction does not commit, and a deleted image's files go after its row
is gone, so the library and the storage never disagree for long.
"""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.text import slugify

from byline.media import images
from byline.media.models import Image
from byline.media.signals import image_changed

MAX_STEM = 60


def _stem(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return (slugify(name)[:MAX_STEM] or "image") + "-" + get_random_string(6).lower()


def check_upload(upload: IO[bytes], *, size: int):
    """The upload decoded, or ``images.ImageRejected`` with the reason (nothing stored)."""
    return images.open_upload(
        upload,
        size=size,
        max_bytes=settings.BYLINE_MEDIA_MAX_BYTES,
        max_pixels=settings.BYLINE_MEDIA_MAX_PIXELS,
    )


def upload_image(
    upload: IO[bytes],
    *,
    filename: str,
    size: int,
    alt: str,
    caption: str = "",
    credit: str = "",
    user: Any = None,
) -> Image:
    """Store an uploaded image in the library with its renditions; returns it.

    Raises ``images.ImageRejected`` (nothing stored) for a file that is too big,
    not an image, or has too many pixels, and ``ValueError`` without alt text.
    """
    alt = " ".join(alt.split())
    if not alt:
        raise ValueError("Alt text is required: describe the image for readers who cannot see it.")
    picture = check_upload(upload, size=size)
    upright, exif = images.without_location(picture)
    fmt = images.stored_format(picture)
    folder = timezone.now().strftime("library/%Y/%m/")
    stem = _stem(filename)
    written: list[str] = []

    def save(name: str, content: bytes) -> str:
        stored = default_storage.save(folder + name, ContentFile(content))
        written.append(stored)
        return stored

    try:
        original = images.encode(upright, fmt, exif=exif)
        original_name = save(f"{stem}.{original.extension}", original.content)
        renditions = []
        for width in images.rendition_widths(original.width, settings.BYLINE_MEDIA_WIDTHS):
            for rendition_format in ("webp", fmt) if fmt != "webp" else ("webp",):
                if width == original.width and rendition_format == fmt:
                    made, name = original, original_name
                else:
                    made = images.encode(upright, rendition_format, width=width)
                    name = save(f"{stem}-{width}.{made.extension}", made.content)
                renditions.append(
                    {
                        "width": made.width,
                        "height": made.height,
                        "format": made.format,
                        "name": name,
                    }
                )
        renditions.sort(key=lambda r: (r["format"], r["width"]))
        with transaction.atomic():
            image = Image(
                alt=alt[:300],
                caption=caption.strip()[:500],
                credit=credit.strip()[:200],
                width=original.width,
                height=original.height,
                renditions=renditions,
                uploaded_by=user if getattr(user, "pk", None) else None,
            )
            image.file.name = original_name
            image.save()
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return image


def describe_image(image: Image, *, alt: str, caption: str, credit: str) -> Image:
    """Change an image's alt text, caption or credit; pages that show it are redrawn."""
    alt = " ".join(alt.split())
    if not alt:
        raise ValueError("Alt text is required: describe the image for readers who cannot see it.")
    image.alt, image.caption, image.credit = alt[:300], caption.strip()[:500], credit.strip()[:200]
    image.save(update_fields=["alt", "caption", "credit", "updated_at"])
    image_id = image.pk
    transaction.on_commit(lambda: image_changed.send(sender=Image, image_id=image_id))
    return image


def delete_image(image: Image) -> None:
    """Delete an image and, after the commit, its files; pages that showed it are redrawn."""
    names = {image.file.name, *(r["name"] for r in image.renditions)}
    image_id = image.pk
    image.delete()

    def after() -> None:
        for name in names:
            if name:
                default_storage.delete(name)
        image_changed.send(sender=Image, image_id=image_id)

    transaction.on_commit(after)
