"""Old WordPress addresses keep working: they redirect permanently to the imported articles."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect

from byline.articles.models import ImportedPost, LegacyURL

WP_POST_ID = re.compile(r"[0-9]{1,18}")


def legacy_target(request: HttpRequest) -> str | None:
    """Where an old address now lives: ``/?p=123`` by WordPress id, other paths by the table."""
    post_id = request.GET.get("p", "")
    if request.path == "/" and WP_POST_ID.fullmatch(post_id):
        found = (
            ImportedPost.objects.filter(wp_id=int(post_id), article__in=_live())
            .select_related("article")
            .order_by("-imported_at")
            .first()
        )
        return found.article.get_absolute_url() if found else None
    if request.path == "/" or "\x00" in request.path:
        return None  # a NUL is in no stored path (and PostgreSQL refuses to compare one)
    path = request.path[:500]
    candidates = {path, path.rstrip("/") + "/", path.rstrip("/")} - {""}
    found = (
        LegacyURL.objects.filter(path__in=candidates, article__in=_live())
        .select_related("article")
        .first()
    )
    return found.article.get_absolute_url() if found else None


def _live():
    from byline.articles.models import Article

    return Article.objects.published()


class LegacyRedirectMiddleware:
    """Answer ``/?p=123`` before the front page does, and any other old path instead of a 404.

    Only two kinds of request reach the database here: the front page with a
    numeric ``p`` parameter, and requests that were going to be 404 anyway.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in {"GET", "HEAD"} and request.path == "/" and "p" in request.GET:
            target = legacy_target(request)
            if target:
                return HttpResponsePermanentRedirect(target)
        response = self.get_response(request)
        if response.status_code == 404 and request.method in {"GET", "HEAD"}:
            target = legacy_target(request)
            if target:
                return HttpResponsePermanentRedirect(target)
        return response
