"""``{% most_read %}``: the "Most read" block of the front and listing pages.

The articles app's templates load it; the articles code never imports
engagement, which builds on articles (see ``popular.py`` for the queries).
"""

from __future__ import annotations

from typing import Any

from django import template

from byline.engagement.popular import most_read as most_read_lists

register = template.Library()


@register.inclusion_tag("engagement/most_read.html")
def most_read() -> dict[str, Any]:
    lists = most_read_lists()
    return {"day": lists.day, "week": lists.week}
