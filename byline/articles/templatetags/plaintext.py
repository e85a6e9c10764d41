"""``{{ html|plain_text }}``: stored, sanitized HTML as the words a reader sees.

For places that show an excerpt without its markup (a story card's dek): the
entities are decoded here, so the template escapes each character once.
"""

from __future__ import annotations

from django import template

from byline.articles import rendering

register = template.Library()


@register.filter
def plain_text(html: str) -> str:
    return rendering.plain_text(html or "")
