"""Reading an uploaded image safely, removing its location, and making its renditions.

Pillow does the work. An upload is refused, with a message an editor can act
on, when it is too large a file, not an image Pillow can read, in a format the
web does not show, or has more pixels than ``BYLINE_MEDIA_MAX_PIXELS`` (a
"decompression bomb": a small file that decodes to gigabytes). The pixel count
is read from the header, before anything is decoded.

The stored image is re-encoded, never the uploaded bytes: the orientation is
applied, and the EXIF GPS block and XMP packet (where cameras and phones
write where a picture was taken) are left out.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from PIL.ExifTags import IFD

# Formats an upload may be in, and the format its renditions are stored in.
ACCEPTED = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp", "GIF": "png"}
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp"}
SAVE_OPTIONS = {
    "jpeg": {"format": "JPEG", "quality": 85, "optimize": True, "progressive": True},
    "png": {"format": "PNG", "optimize": True},
    "webp": {"format": "WEBP", "quality": 80, "method": 4},
}


class ImageRejected(ValueError):
    """The upload is not taken; the message says why, for the editor."""


@dataclass(frozen=True)
class Encoded:
    width: int
    height: int
    format: str  # jpeg, png or webp
    content: bytes

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def open_upload(upload: IO[bytes], *, size: int, max_bytes: int, max_pixels: int) -> PILImage.Image:
    """The upload decoded, or ``ImageRejected`` saying why it cannot be."""
    if size > max_bytes:
        raise ImageRejected(
            f"This file is {_megabytes(size)}; the library takes images up to "
            f"{_megabytes(max_bytes)}. Export a smaller version and upload that."
        )
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRejected(f"This file is larger than {_megabytes(max_bytes)}.")
    bomb = ImageRejected(
        f"This image has more than {max_pixels:,} pixels, too many to process safely "
        "(it may be a decompression bomb). Upload a smaller version."
    )
    not_an_image = ImageRejected(
        "This file is not an image the library can read. Upload a JPEG, PNG, WebP or GIF."
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            picture = PILImage.open(io.BytesIO(data))
            if picture.format not in ACCEPTED:
                raise not_an_image
            if picture.width * picture.height > max_pixels:
                raise bomb
            picture.load()
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise bomb from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        if isinstance(error, ImageRejected):
            raise
        raise not_an_image from None
    if picture.width < 1 or picture.height < 1:
        raise not_an_image
    return picture


def without_location(picture: PILImage.Image) -> tuple[PILImage.Image, bytes]:
    """The picture upright, and its EXIF without the GPS block (bytes to save with it)."""
    source_format = picture.format
    upright = ImageOps.exif_transpose(picture) or picture
    exif = upright.getexif()
    if IFD.GPSInfo in exif:
        del exif[IFD.GPSInfo]
    exif._ifds.pop(IFD.GPSInfo, None)  # a GPS block already read would be written back
    upright.format = source_format
    return upright, exif.tobytes() if len(exif) else b""


def _ready_for(picture: PILImage.Image, fmt: str) -> PILImage.Image:
    if fmt == "jpeg":
        return picture.convert("RGB") if picture.mode != "RGB" else picture
    if picture.mode not in {"RGB", "RGBA", "L", "LA"}:
        has_alpha = picture.mode in {"P", "PA"} and "transparency" in picture.info
        return picture.convert("RGBA" if has_alpha or picture.mode.endswith("A") else "RGB")
    return picture


def encode(
    picture: PILImage.Image, fmt: str, *, width: int | None = None, exif: bytes = b""
) -> Encoded:
    """The picture in ``fmt``, resized to ``width`` (height kept in proportion)."""
    if width is not None and width < picture.width:
        height = max(1, round(picture.height * width / picture.width))
        picture = picture.resize((width, height), PILImage.Resampling.LANCZOS)
    picture = _ready_for(picture, fmt)
    out = io.BytesIO()
    options: dict = dict(SAVE_OPTIONS[fmt])
    if exif:
        options["exif"] = exif
    icc = picture.info.get("icc_profile")
    if icc and fmt != "png":
        options["icc_profile"] = icc
    picture.save(out, **options)
    return Encoded(picture.width, picture.height, fmt, out.getvalue())


def stored_format(picture: PILImage.Image) -> str:
    return ACCEPTED[picture.format or "PNG"]


def rendition_widths(original_width: int, widths: list[int]) -> list[int]:
    """The configured widths narrower than the original, then the original's own width."""
    return [w for w in widths if w < original_width] + [original_width]
