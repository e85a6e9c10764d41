"""Settings of the media library and the editor (see byline/conf.py)."""

from byline.conf import Setting, parse_positive_int


def parse_widths(value: str) -> list[int]:
    """``480,800,1200`` → ``[480, 800, 1200]``: rendition widths in pixels, sorted."""
    widths = sorted({int(part) for part in value.split(",") if part.strip()})
    if not widths or any(width < 16 or width > 8000 for width in widths):
        raise ValueError("expected comma-separated widths in pixels, each from 16 to 8000")
    return widths


SETTINGS = [
    Setting(
        "BYLINE_MEDIA_MAX_BYTES",
        "20000000",
        "Largest image file, in bytes, the media library accepts for upload (20 MB).",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_MEDIA_MAX_PIXELS",
        "50000000",
        "Largest image, in pixels (width × height), the media library decodes; bigger files, "
        "decompression bombs among them, are refused before they are decoded.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_MEDIA_WIDTHS",
        "480,800,1200,1600",
        "Widths in pixels of the renditions made once at upload (WebP and the original "
        "format); none wider than the original.",
        parse_widths,
    ),
    Setting(
        "BYLINE_DEFAULT_IMAGE",
        "",
        "Image (absolute URL or path on the site) for Open Graph and JSON-LD when an article "
        "has no lead image. Empty: the shipped static/byline/default-image.png.",
    ),
    Setting(
        "BYLINE_EDITOR_PREVIEW_RATE_LIMIT",
        "120",
        "Live previews an editor may ask for a minute (the admin editor's preview pane).",
        parse_positive_int,
    ),
]
