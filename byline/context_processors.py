from django.conf import settings
from django.http import HttpRequest

from byline.articles.navigation import sections_for_navigation


def site(request: HttpRequest) -> dict:
    """What every page's chrome needs: the site's name and its sections."""
    return {
        "site_name": settings.BYLINE_SITE_NAME,
        "nav_sections": sections_for_navigation,
    }
