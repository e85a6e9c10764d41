"""``{% load links %}``: the template's ``{% url %}`` reverses each URL name once per
process (``byline.links.url_for``), not once per link. Same addresses, same errors:
a tag with keyword arguments, more than one argument, an admin name (whose address
depends on the admin site being shown) or an argument that is no plain int or text
is Django's ``{% url %}`` as it is."""

from __future__ import annotations

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from byline.links import url_for

register = template.Library()


class LinkNode(defaulttags.URLNode):
    def render(self, context) -> str:
        name = self.view_name.resolve(context)
        args = [arg.resolve(context) for arg in self.args]
        value = args[0] if args else None
        if (
            self.kwargs
            or len(args) > 1
            or not isinstance(name, str)
            or name.startswith("admin:")
            or isinstance(value, bool)
            or not isinstance(value, int | str | None)
        ):
            return super().render(context)
        try:
            url = url_for(name, value)
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token) -> LinkNode:
    node = defaulttags.url(parser, token)
    return LinkNode(node.view_name, node.args, node.kwargs, node.asvar)
