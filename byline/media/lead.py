"""An article's lead image, wherever it comes from, for pages, link previews and JSON-LD.

The library's image (``lead_media``) comes first, then an image uploaded
before the library (``lead_image``), then, for link previews and structured
data only, the site's default image: search engines require an image for a
``NewsArticle``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.templatetags.static import static
from django.utils.safestring import SafeString

from byline.media.markup import caption_html

DEFAULT_IMAGE = "byline/default-image.png"


def has_lead_image(article) -> bool:
    return bool(article.lead_media_id or article.lead_image)


def lead_caption(article) -> SafeString | str:
    """The caption under the lead image: the library's “caption — credit”, else the old one."""
    if article.lead_media_id and article.lead_media is not None:
        return caption_html(article.lead_media)
    return article.lead_image_caption if article.lead_image else ""


def default_image_url() -> str:
    """The site's stand-in image: ``BYLINE_DEFAULT_IMAGE``, else the shipped one."""
    return settings.BYLINE_DEFAULT_IMAGE or static(DEFAULT_IMAGE)


def share_image(article) -> tuple[str, str]:
    """(URL, alt text) of the image link previews and JSON-LD show; never empty."""
    if article.lead_media_id and article.lead_media is not None:
        image = article.lead_media
        rendition = image.rendition_for(1200)
        if rendition is not None:
            return default_storage.url(rendition["name"]), image.alt
    if article.lead_image:
        return article.lead_image.url, article.lead_image_alt
    return default_image_url(), settings.BYLINE_SITE_NAME
