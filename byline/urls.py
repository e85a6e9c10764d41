"""The site's URLs: each app brings its own."""

from django.conf import settings
from django.contrib import admin
from django.http import Http404
from django.urls import include, path
from django.views.static import serve

from byline import chrome
from byline.csrf import csrf_token_json

# Every error, for browsers and JSON clients alike, comes from byline/errors.py.
handler400 = "byline.errors.bad_request"
handler403 = "byline.errors.permission_denied"
handler404 = "byline.errors.page_not_found"
handler500 = "byline.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/csrf/", csrf_token_json, name="csrf-token"),
    path("favicon.ico", chrome.favicon, name="favicon"),
    path("manifest.webmanifest", chrome.manifest, name="manifest"),
    path("comments/", include("byline.discussion.urls")),
    path("", include("byline.discussion.reaction_urls")),
    path("", include("byline.engagement.urls")),
    path("", include("byline.articles.urls")),
]


def serve_media(request, path: str):
    """Uploads, from MEDIA_ROOT as it is now (tests point it at a folder of their own).

    A name the file system cannot hold (too long, a NUL byte) is no upload: 404."""
    try:
        return serve(request, path, document_root=settings.MEDIA_ROOT)
    except (OSError, ValueError) as error:
        raise Http404("No such file.") from error


if settings.DEBUG or not settings.PRODUCTION:
    # The embedded tier (`byline run`) serves uploads itself; production's nginx does.
    urlpatterns += [path("media/<path:path>", serve_media)]
