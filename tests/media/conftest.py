"""Fixtures of the media library's tests: uploads go to a fresh folder, images are drawn."""

from __future__ import annotations

import io

import pytest
from PIL import Image as PILImage
from PIL.ExifTags import IFD


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def jpeg_with_location(width: int = 1300, height: int = 780) -> bytes:
    """A real JPEG as a phone writes it: camera make and model, and where it was taken."""
    picture = PILImage.new("RGB", (width, height), (200, 120, 60))
    for x in range(0, width, 100):
        picture.paste((30, 60, 90), (x, 0, x + 40, height))
    exif = PILImage.Exif()
    exif[0x010F] = "ExampleCam"  # Make
    exif[0x0110] = "Model 7"  # Model
    gps = exif.get_ifd(IFD.GPSInfo)
    gps.update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=90, exif=exif)
    return out.getvalue()


def png(width: int = 900, height: int = 600) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGBA", (width, height), (10, 150, 90, 255)).save(out, format="PNG")
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG that claims ten billion pixels: its header, then a token of data."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def library_image(db):
    """A 1300 × 780 JPEG in the library, uploaded as an editor would."""
    from byline.media.actions import upload_image

    data = jpeg_with_location()
    return upload_image(
        io.BytesIO(data),
        filename="quay.jpg",
        size=len(data),
        alt="Boats at the quay",
        caption="The north quay at noon.",
        credit="Photo: Ada Example",
    )
