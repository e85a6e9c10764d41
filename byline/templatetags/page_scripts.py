"""What is written into the page rather than linked.

``{% page_scripts "app/one.js" "app/two.js" data_name=value %}``: scripts
(``byline.scripts``), as one ``<script>`` element whose ``data-*`` attributes the
scripts read through ``document.currentScript``.

``{% page_style %}``: the site's stylesheet, minified (``byline.styles``), as one
``<style>`` element."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from byline import scripts, styles

register = template.Library()


@register.simple_tag(name="page_scripts")
def page_scripts_tag(*names: str, **data: str) -> SafeString:
    attributes = format_html_join(
        "", ' data-{}="{}"', ((key.replace("_", "-"), value) for key, value in data.items())
    )
    # Our own static files, checked to hold nothing that ends the element.
    text = mark_safe(scripts.page_scripts(names))  # noqa: S308 - see scripts.read_scripts
    return format_html("<script{}>{}</script>", attributes, text)


@register.simple_tag(name="page_style")
def page_style_tag(name: str = styles.SITE_CSS) -> SafeString:
    # Our own static file, checked to hold nothing that ends the element.
    return format_html("<style>{}</style>", mark_safe(styles.page_style(name)))  # noqa: S308
