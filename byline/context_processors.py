from django.conf import settings
from django.http import HttpRequest

from byline.articles.navigation import (
    pages_for_footer,
    pages_for_header,
    sections_for_navigation,
)


def site(request: HttpRequest) -> dict:
    """What every page's chrome needs: the site's name, its sections and footer pages."""
    return {
        "site_name": settings.BYLINE_SITE_NAME,
        "nav_sections": sections_for_navigation,
        "footer_pages": pages_for_footer,
        "header_pages": pages_for_header,
    }
