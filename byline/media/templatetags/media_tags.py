"""Lead images in templates: ``{% lead_picture article "card" %}``.

A library image (``Article.lead_media``) is written with its renditions
(``srcset``, ``sizes``, width and height); an image uploaded before the
library (``Article.lead_image``, WordPress imports) as the plain ``<img>`` it
always was. Nothing when the article has neither.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from byline.media.lead import has_lead_image, lead_caption
from byline.media.markup import picture_html

register = template.Library()

# variant: (css class, sizes, lazy, legacy width, legacy height, alt shown)
VARIANTS = {
    "lead": ("lead-story-image", "(min-width: 74rem) 1300px, 100vw", False, 1200, 675, True),
    "card": ("story-card-image", "(min-width: 64rem) 420px, (min-width: 40rem) 50vw, 100vw",
             True, 640, 360, False),
    "article": ("", "(min-width: 48rem) 756px, calc(100vw - 2rem)", False, 0, 0, True),
}  # fmt: skip


@register.simple_tag
def lead_picture(article, variant: str = "article") -> SafeString:
    css_class, sizes, lazy, width, height, with_alt = VARIANTS[variant]
    image = article.lead_media if article.lead_media_id else None
    if image is not None:
        alt = image.alt if with_alt else ""
        return picture_html(image, alt=alt, sizes=sizes, lazy=lazy, css_class=css_class)
    if not article.lead_image:
        return mark_safe("")  # noqa: S308 (an empty string)
    field = article.lead_image
    if not width:  # the article page: the file's own size, when the storage can tell it
        try:
            width, height = field.width, field.height
        except (OSError, ValueError):
            width = height = 0
    return format_html(
        '<img{} src="{}" alt="{}"{}{}>',
        format_html(' class="{}"', css_class) if css_class else "",
        field.url,
        article.lead_image_alt if with_alt else "",
        format_html(' width="{}" height="{}"', width, height) if width else "",
        mark_safe(' loading="lazy"' if lazy else ""),  # noqa: S308
    )


register.filter("has_lead_image", has_lead_image)
register.filter("lead_caption", lead_caption)
