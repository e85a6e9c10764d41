"""Library images in HTML: ``<picture>`` with ``srcset``/``sizes``, and in-body figures.

An editor writes ``![alt text](media:123)`` in the Markdown (the editor's
picker inserts it). The reference is kept in the stored Markdown, so it
survives every edit; when the article is rendered, after sanitizing, it
becomes a ``<figure>`` with the image's renditions and its caption and credit
(alone on its line) or a bare picture (inside text). An image that no longer
exists leaves nothing behind; pages are rendered again when one is deleted or
described anew (``references``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from byline.media.models import Image

# The article column is at most 42rem of 18 px (756 px); narrow screens use the full width.
BODY_SIZES = "(min-width: 48rem) 756px, calc(100vw - 2rem)"
# nh3 writes attributes in double quotes with ", <, > and & escaped.
IMG = re.compile(r'<img\b[^>]*?\bsrc="media:(\d{1,18})"[^>]*>')
BLOCK = re.compile(r'<p>\s*(<img\b[^>]*?\bsrc="media:\d{1,18}"[^>]*>)\s*</p>')
ALT = re.compile(r'\balt="([^"]*)"')


def _srcset(renditions: Iterable[dict]) -> str:
    return ", ".join(f"{default_storage.url(r['name'])} {r['width']}w" for r in renditions)


def picture_html(
    image: Image,
    *,
    alt: str | None = None,
    sizes: str = BODY_SIZES,
    lazy: bool = True,
    css_class: str = "",
) -> SafeString:
    """The image as ``<picture>``: WebP first, the original format as fallback, sized."""
    webp = image.renditions_in("webp")
    fallback = image.renditions_in(image.original_format) or webp
    if not fallback:
        return mark_safe("")  # noqa: S308 (an empty string)
    default = image.rendition_for(1200) or fallback[-1]
    source = ""
    if webp and fallback is not webp:
        source = format_html(
            '<source type="image/webp" srcset="{}" sizes="{}">', _srcset(webp), sizes
        )
    return format_html(
        "<picture>{}"
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}"{}{}></picture>',
        mark_safe(source),  # noqa: S308 (built with format_html just above)
        default_storage.url(default["name"]),
        _srcset(fallback),
        sizes,
        image.width,
        image.height,
        image.alt if alt is None else alt,
        mark_safe(' loading="lazy" decoding="async"' if lazy else ""),  # noqa: S308
        format_html(' class="{}"', css_class) if css_class else "",
    )


def caption_html(image: Image) -> SafeString:
    """“caption — credit”, either alone, or nothing."""
    parts = [escape(image.caption)] if image.caption else []
    if image.credit:
        parts.append(format_html('<span class="credit">{}</span>', image.credit))
    return mark_safe(" — ".join(parts))  # noqa: S308 (each part escaped above)


def figure_html(image: Image, *, alt: str | None = None) -> SafeString:
    caption = caption_html(image)
    return format_html(
        '<figure class="image">{}{}</figure>',
        picture_html(image, alt=alt),
        format_html("<figcaption>{}</figcaption>", caption) if caption else "",
    )


def referenced_ids(text: str) -> set[int]:
    """The library images a Markdown source or sanitized HTML refers to."""
    return {int(found) for found in re.findall(r"media:(\d{1,18})\b", text)}


def _alt(tag: str) -> str | None:
    found = ALT.search(tag)
    alt = html.unescape(found.group(1)).strip() if found else ""
    return alt or None  # an empty alt in the Markdown: the library's alt text


def expand_library_images(sanitized: str) -> str:
    """Turn sanitized ``<img src="media:N">`` into the library image's HTML (one query)."""
    if "media:" not in sanitized:
        return sanitized
    ids = {int(found) for found in IMG.findall(sanitized)}
    found = Image.objects.in_bulk(ids) if ids else {}

    def image_of(tag: str) -> Image | None:
        match = IMG.match(tag)
        return found.get(int(match.group(1))) if match else None

    def block(match: re.Match) -> str:
        image = image_of(match.group(1))
        return figure_html(image, alt=_alt(match.group(1))) if image else ""

    def inline(match: re.Match) -> str:
        image = image_of(match.group(0))
        return picture_html(image, alt=_alt(match.group(0))) if image else ""

    return IMG.sub(inline, BLOCK.sub(block, sanitized))
