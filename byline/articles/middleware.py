"""Static pages are served at their own paths (/about/, an imported page's old path)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from byline.articles.models import StaticPage


class StaticPageMiddleware:
    """A published static page answers a path that would otherwise be a 404."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in {"GET", "HEAD"}:
            return response
        page = StaticPage.objects.published().filter(path=request.path[:500]).first()
        if page is None:
            return response
        from byline.articles.views import static_page

        return static_page(request, page)
