"""Old WordPress addresses keep working: they answer 301 to their new place.

Every kind of address a WordPress site had answers with a permanent redirect
(301) to its new place, also when WordPress lived in a sub-folder (``/blog/``):

- plain links: ``?p=12``, ``?page_id=3``, ``?cat=5``, ``?tag=x``, ``?author=2``,
  ``?attachment_id=9``, ``?s=words`` (Byline's search), ``?feed=rss2``;
- pretty links, whatever the permalink structure: every path the import saw
  (``LegacyURL``: the post's own link, the date-based forms, ``/category/…``,
  ``/tag/…``, ``/author/…``, attachment pages) and ``/archives/12``;
- what WordPress adds to them: ``…/feed/`` (the matching feed), ``…/page/2/``,
  date archives (``/2014/06/``, to the front page), ``/search/words``.

Only requests that were going to be 404 reach the database here, plus the
front page with a WordPress query parameter and ``/search/`` with no query
(an imported post whose slug was ``search`` keeps its old address).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import reverse

from byline.articles.models import Article, StaticPage, is_byline_path
from byline.parsing import parse_id
from byline.wordpress.models import ImportedPost, LegacyURL

NUMERIC_QUERIES = ("p", "page_id", "attachment_id", "cat", "author")
WP_QUERIES = {*NUMERIC_QUERIES, "tag", "s", "feed", "m", "paged"}
FEED_SUFFIX = re.compile(r"^(.*/)(?:feed/?(?:rss2?|atom|rdf)?|rss2?|atom)/?$")
PAGED_SUFFIX = re.compile(r"^(.*/)page/([0-9]{1,6})/?$")
SEARCH_PATH = re.compile(r"^(?:.*/)?search/([^/]+)/?(?:page/[0-9]+/?)?$")
DATE_ARCHIVE = re.compile(r"^(?:/[^/]+){0,2}/(?:19|20)[0-9]{2}(?:/[01][0-9](?:/[0-3][0-9])?)?/?$")
ARCHIVES_ID = re.compile(r"/archives/([0-9]{1,18})/?$")
COMMENTS_FEED_BASE = re.compile(r"(?:/[^/]+){0,2}/comments/")
BYLINE_PREFIXES = ("/articles/", "/section/", "/preview/", "/admin/", "/static/", "/media/")
# Byline's own pages an old post may have had as its address (a post called "search").
RESERVED_OLD_PATHS = {"/search/"}


def _folder(path: str) -> str:
    """``/blog/`` → ``/blog``, ``/`` → empty: the folder WordPress lived in."""
    return path.rstrip("/")


def _search_url(words: str) -> str:
    url = reverse("articles:search")
    words = words.replace("+", " ").strip()
    return f"{url}?{urlencode({'q': words})}" if words else url


def _row_target(row: LegacyURL) -> str | None:
    if row.article_id is None:
        return row.target or None
    article = Article.objects.reachable().filter(pk=row.article_id).only("slug").first()
    return article.get_absolute_url() if article else None


def _path_target(path: str) -> str | None:
    """The new place of an old path, from the table (with and without the trailing slash)."""
    path = path[:500]
    candidates = {path, path.rstrip("/") + "/", path.rstrip("/")} - {""}
    for row in LegacyURL.objects.filter(path__in=candidates).order_by("pk"):
        target = _row_target(row)
        if target:
            return target
    return None


def _imported_post(wp_id: int, folder: str) -> str | None:
    """``?p=12``, ``/archives/12``: the article WordPress post 12 became, in that folder's blog."""
    rows = list(
        ImportedPost.objects.filter(wp_id=wp_id, article__in=Article.objects.reachable())
        .select_related("article")
        .order_by("-imported_at")
    )
    for row in rows:
        if _folder(urlsplit(row.source).path) == folder:
            return row.article.get_absolute_url()
    return rows[0].article.get_absolute_url() if len(rows) == 1 else None


def _query_target(request: HttpRequest) -> str | None:
    """WordPress's plain links: ``/?p=12``, ``/blog/?cat=3``, ``/?s=words``."""
    query = request.GET
    folder = _folder(request.path)
    if "s" in query:
        return _search_url(query.get("s", "")[:200])
    for key in NUMERIC_QUERIES:
        wp_id = parse_id(query.get(key, ""))
        if wp_id is None:
            continue
        target = _path_target(f"{folder}/?{key}={wp_id}")
        if target:
            return target
        if key == "p":
            return _imported_post(wp_id, folder)
        if key == "page_id":
            page = StaticPage.objects.published().filter(wp_id=wp_id).first()
            return page.path if page else None
    if query.get("tag"):
        return _path_target(f"{folder}/tag/{query['tag'][:200]}/")
    if "feed" in query:
        return reverse("articles:feed")
    if "m" in query or "paged" in query:
        return reverse("articles:home")
    return None


def _suffix_target(path: str) -> str | None:
    """Addresses WordPress builds on others: feeds, pages of a listing, searches, dates."""
    if path.startswith(BYLINE_PREFIXES):
        return None  # Byline's own addresses: their 404 is the truth (a draft's feed)
    found = SEARCH_PATH.match(path)
    if found:
        return _search_url(found.group(1))
    found = FEED_SUFFIX.match(path)
    if found:
        base = found.group(1)
        if base == "/" or COMMENTS_FEED_BASE.fullmatch(base):
            return reverse("articles:feed")
        target = _path_target(base)
        if target is None:
            return None
        detail_prefix = reverse("articles:detail", kwargs={"slug": "x"})[:-2]
        if target.startswith(detail_prefix):
            slug = target[len(detail_prefix) :].strip("/")
            return reverse("articles:comments-feed", kwargs={"slug": slug})
        return target.rstrip("/") + "/feed/" if target != "/" else reverse("articles:feed")
    found = PAGED_SUFFIX.match(path)
    if found:
        base = found.group(1)
        target = "/" if base == "/" else _path_target(base)
        if target is None and is_byline_path(base):
            target = base  # /tag/x/page/2/: Byline's own listing, page 2
        return f"{target}?page={parse_id(found.group(2)) or 1}" if target else None
    found = ARCHIVES_ID.search(path)
    if found:
        return _imported_post(parse_id(found.group(1)) or 0, _folder(path[: found.start()]))
    if DATE_ARCHIVE.match(path):
        return reverse("articles:home")
    return None


def legacy_target(request: HttpRequest) -> str | None:
    """Where an old address now lives, or None."""
    if WP_QUERIES.intersection(request.GET):
        target = _query_target(request)
        if target or any(key in request.GET for key in NUMERIC_QUERIES):
            return target  # an unknown ?p=999 is a 404, not the blog's front page
    if request.path == "/" or "\x00" in request.path:
        return None  # a NUL is in no stored path (and PostgreSQL refuses to compare one)
    return _path_target(request.path) or _suffix_target(request.path)


def _wants_legacy_before_view(request: HttpRequest) -> bool:
    if request.path == "/":
        return bool(WP_QUERIES.intersection(request.GET))
    return request.path in RESERVED_OLD_PATHS and not request.GET


class LegacyRedirectMiddleware:
    """Answer old WordPress addresses (301) instead of a 404 (static pages answered first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in {"GET", "HEAD"}:
            return self.get_response(request)
        if _wants_legacy_before_view(request):
            target = legacy_target(request)
            if target:
                return HttpResponsePermanentRedirect(target)
        response = self.get_response(request)
        if response.status_code != 404:
            return response
        target = legacy_target(request)
        if target and target != request.get_full_path():
            return HttpResponsePermanentRedirect(target)
        return response
