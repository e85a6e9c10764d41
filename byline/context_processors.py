from django.conf import settings
from django.http import HttpRequest

from byline.articles.navigation import Chrome


def site(request: HttpRequest) -> dict:
    """What every page's chrome needs: the site's name, its sections and menu pages (read
    once, and only if the page shows them)."""
    chrome = Chrome(request)
    return {
        "site_name": settings.BYLINE_SITE_NAME,
        "nav_sections": chrome.sections,
        "footer_pages": chrome.footer,
        "header_pages": chrome.header,
    }
