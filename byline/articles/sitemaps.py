"""Sitemaps for search engines: every public page, Google News, and robots.txt naming them.

``/sitemap.xml`` is an index of one sitemap per kind of page (articles,
sections, tags, authors, the front page, static pages once there are some);
each is split into pages of 50,000 URLs, the protocol's limit, and the index
lists every page. ``/sitemap-news.xml``
lists the articles of the last 48 hours in Google News' format.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem
from django.contrib.sites.shortcuts import get_current_site
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import connection
from django.db.models import DateTimeField, Exists, Expression, Max, OuterRef, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.http import http_date

from byline.articles import addresses
from byline.articles.models import Article, Author, Section, StaticPage, Tag
from byline.articles.origin import site_origin
from byline.articles.sitemap_pages import IdRangePaginator
from byline.articles.xmltext import xml_text

NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1000  # Google News reads at most 1,000 URLs from one news sitemap.
# ?page=N: a page number the page cache keys on (byline.pagecache.rules), so every
# page of a sitemap is cached, not only the first.
PAGE_PARAMETER = "page"


class BylineSitemap(Sitemap):
    """Absolute URLs from ``BYLINE_SITE_URL`` when it is set, else from the request."""

    listed_when_empty = True  # in the index even with no URL yet

    def get_protocol(self, protocol: str | None = None) -> str:
        if settings.BYLINE_SITE_URL:
            return urlsplit(settings.BYLINE_SITE_URL).scheme
        return super().get_protocol(protocol)

    def get_domain(self, site=None) -> str:
        if settings.BYLINE_SITE_URL:
            return urlsplit(settings.BYLINE_SITE_URL).netloc
        return super().get_domain(site)


class IdRangeSitemap(BylineSitemap):
    """Pages of up to ``limit`` items by id range (see ``sitemap_pages``), written from a
    slug and a date a row (``rows``), with no model instance and no ``reverse()`` per URL.

    Well under the protocol's 50,000: writing a URL costs tens of microseconds,
    so a page of 50,000 takes seconds even from an index (1,000 is what
    WordPress's SEO plugins use too), and crawlers read the pages one by one.
    """

    limit = 1_000
    url_name = "articles:detail"  # an item's page, by its slug

    @property
    def paginator(self) -> IdRangePaginator:  # type: ignore[override]
        return self._paginator

    @cached_property
    def _paginator(self) -> IdRangePaginator:
        return IdRangePaginator(self.items(), self.limit)

    def rows(self, page) -> Iterable[tuple[str, datetime | None]]:
        """(slug, lastmod) of each item on page ``page``."""
        raise NotImplementedError

    def location(self, item) -> str:
        return addresses.by_slug(self.url_name)(item.slug)

    def get_urls(self, page=1, site=None, protocol=None) -> list[dict]:
        """One page of URLs with their lastmod."""
        origin = f"{self.get_protocol(protocol)}://{self.get_domain(site)}"
        address = addresses.by_slug(self.url_name)
        urls = [
            {"location": origin + address(slug), "lastmod": lastmod}
            for slug, lastmod in self.rows(page)
        ]
        dates = [url["lastmod"] for url in urls]
        self.latest_lastmod = max(dates) if dates and None not in dates else None
        return urls


LASTMOD_FIELDS = ("updated_at", "published_at")


class ArticleSitemap(IdRangeSitemap):
    """Articles, by id range."""

    def items(self) -> QuerySet[Article]:
        return Article.objects.published().only("slug", "published_at", "updated_at").order_by("pk")

    def rows(self, page) -> Iterable[tuple[str, datetime | None]]:
        values = self.paginator.page(page).object_list.values_list(
            "slug", "published_at", "updated_at"
        )
        return ((slug, max(updated, published)) for slug, published, updated in values)

    def lastmod(self, article: Article) -> datetime:
        return max(article.updated_at, article.published_at)

    def get_latest_lastmod(self) -> datetime | None:
        """Two index reads, not Django's default of reading every article: one query a
        maximum, each read from its column's index (both in one query read every
        published article on SQLite)."""
        published = Article.objects.published()
        dates = [published.aggregate(latest=Max(field))["latest"] for field in LASTMOD_FIELDS]
        dates = [d for d in dates if d is not None]
        return max(dates) if dates else None


class SubjectSitemap(IdRangeSitemap):
    """Sections, tags or authors that have published articles, dated by their latest one.

    In pages by id range like the articles' (a site may have tens of thousands of tags).
    """

    model: type[Section | Tag | Author] = Section
    relation = "section"  # the article's field that files it under one
    # Each subject is dated by reading its newest articles (ten rows of the article
    # table for a tag): the 400 tags of a 100,000-article site on one page took
    # 129 ms, so subjects come 100 to a page, as dear as a page of 1,000 articles.
    limit = 100

    @property
    def url_name(self) -> str:  # type: ignore[override]
        return f"articles:{self.model.url_name}"

    def rows(self, page) -> Iterable[tuple[str, datetime | None]]:
        return self.paginator.page(page).object_list.values_list("slug", "latest")

    def get_latest_lastmod(self) -> datetime | None:
        """The latest article filed under any of them: one index read, not every subject's."""
        return (
            Article.objects.published()
            .filter(**{f"{self.relation}__isnull": False})
            .order_by("-published_at")
            .values_list("published_at", flat=True)
            .first()
        )

    def latest(self) -> Expression:
        """The publication time of the latest article filed under ``OuterRef("pk")``."""
        live = Article.objects.published().filter(**{self.relation: OuterRef("pk")})
        return Subquery(live.order_by("-published_at").values("published_at")[:1])

    def items(self) -> QuerySet:
        """Kept (EXISTS) when they have a published article; dated by ``latest``."""
        live = Article.objects.published().filter(**{self.relation: OuterRef("pk")})
        return self.model.objects.filter(Exists(live)).annotate(latest=self.latest()).order_by("pk")

    def lastmod(self, subject) -> datetime:
        return subject.latest


class SectionSitemap(SubjectSitemap):
    model = Section


class FiledManyToMany(SubjectSitemap):
    """Tags and authors, dated from the many-to-many table's ``(x_id, article_id)`` index.

    A tag's page changes when an article it lists first is published or
    updated, so it is dated by the latest publication or update among its
    ``RECENT`` most recently written published articles, read from the tag's
    end of that index: a handful of rows for each of a thousand tags. (Walking
    the articles' date index until one has the tag reads hundreds of rows per
    tag; the tag's every article, its whole archive.) An article written long
    ago and updated now, far down the tag's pages, does not move the date.
    """

    RECENT = 10

    def latest(self) -> Expression:
        """One read of the tag's end of the index and one of each of its ``RECENT`` newest
        published articles (a join: the article's row gives both whether it is live and
        its dates), the newest date kept. Written in SQL: the ORM would read each article
        twice, once to filter and once for its dates, which was half the page's time."""
        field = Article._meta.get_field(self.relation)
        through = field.remote_field.through  # type: ignore[union-attr]
        own = through._meta.get_field(field.m2m_reverse_field_name()).column  # type: ignore[attr-defined]
        # SQLite's two-argument max() is PostgreSQL's greatest().
        newest = "greatest" if connection.vendor == "postgresql" else "max"
        sql = (
            f"SELECT max(changed) FROM (SELECT {newest}(a.published_at, a.updated_at) AS changed "  # noqa: S608 (names from the models, values as parameters)
            f"FROM {through._meta.db_table} f JOIN {Article._meta.db_table} a "
            f"ON a.id = f.article_id WHERE f.{own} = {self.model._meta.db_table}.id "
            "AND a.status IN (%s, %s) AND a.published_at <= %s AND a.password = '' "
            f"ORDER BY f.article_id DESC LIMIT {self.RECENT}) recent"
        )
        live = [Article.Status.PUBLISHED, Article.Status.SCHEDULED]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        return RawSQL(sql, [*live, now], output_field=DateTimeField())  # noqa: S611 (as above)


class TagSitemap(FiledManyToMany):
    model = Tag
    relation = "tags"


class AuthorSitemap(FiledManyToMany):
    model = Author
    relation = "authors"


class FrontPageSitemap(BylineSitemap):
    def items(self) -> list[str]:
        return ["articles:home"]

    def location(self, name: str) -> str:
        return reverse(name)

    def lastmod(self, name: str) -> datetime | None:
        return Article.objects.published().aggregate(latest=Max("published_at"))["latest"]


class StaticPageSitemap(BylineSitemap):
    listed_when_empty = False  # most sites have no static page at first

    def items(self) -> QuerySet[StaticPage]:
        return StaticPage.objects.published().only("path", "updated_at").order_by("pk")

    def location(self, page: StaticPage) -> str:
        return page.path

    def lastmod(self, page: StaticPage) -> datetime:
        return page.updated_at


SITEMAPS: dict[str, type[Sitemap]] = {
    "front": FrontPageSitemap,
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
    "pages": StaticPageSitemap,
}


def sitemap_index(request: HttpRequest) -> HttpResponse:
    """``/sitemap.xml``: every sitemap and each of its 50,000-URL pages, with lastmod."""
    origin = site_origin(request)
    entries, latest = [], None
    for section, sitemap_class in SITEMAPS.items():
        sitemap = sitemap_class()
        if not getattr(sitemap, "listed_when_empty", True) and not sitemap.paginator.count:
            continue
        location = origin + reverse("articles:sitemap-section", kwargs={"section": section})
        lastmod = sitemap.get_latest_lastmod()
        latest = max(latest, lastmod) if latest and lastmod else latest or lastmod
        for page in range(1, sitemap.paginator.num_pages + 1):
            suffix = f"?{PAGE_PARAMETER}={page}" if page > 1 else ""
            entries.append(SitemapIndexItem(location + suffix, lastmod))
    response = render(
        request, "articles/sitemap_index.xml", {"sitemaps": entries}, content_type="application/xml"
    )
    if latest:
        response["Last-Modified"] = http_date(latest.timestamp())
    return response


def _w3c(value: datetime) -> str:
    """A date as the template's ``date:"c"`` writes it (full W3C form, local time)."""
    return timezone.localtime(value).isoformat()


def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    """One sitemap (one page of it with ``?p=N``), dates in full W3C form.

    Django's sitemap view, written with string joins instead of the template
    engine: a page holds up to 50,000 URLs, and the template spent most of a
    page's time on them.
    """
    sitemap_class = SITEMAPS.get(section)
    if sitemap_class is None:
        raise Http404(f"No sitemap available for section: {section!r}")
    if "p" in request.GET:  # the address of old (Django's parameter), for crawlers that kept it
        query = request.GET.copy()
        query.setlist(PAGE_PARAMETER, query.pop("p"))
        return HttpResponsePermanentRedirect(f"{request.path}?{query.urlencode()}")
    sitemap = sitemap_class()
    page = request.GET.get(PAGE_PARAMETER, 1)
    try:
        urls = sitemap.get_urls(page=page, site=get_current_site(request), protocol=request.scheme)
    except EmptyPage:
        raise Http404(f"Page {page} empty") from None
    except PageNotAnInteger:
        raise Http404(f"No page {page!r}") from None
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    ]
    for url in urls:
        lastmod = url.get("lastmod")
        stamp = f"<lastmod>{_w3c(lastmod)}</lastmod>" if lastmod else ""
        parts.append(f"<url><loc>{escape(url['location'])}</loc>{stamp}</url>\n")
    parts.append("</urlset>\n")
    response = HttpResponse("".join(parts), content_type="application/xml")
    latest = getattr(sitemap, "latest_lastmod", None)
    if latest is not None:
        response["Last-Modified"] = http_date(latest.timestamp())
    return response


def news_sitemap(request: HttpRequest) -> HttpResponse:
    """``/sitemap-news.xml``: articles published in the last 48 hours, Google News format."""
    since = timezone.now() - NEWS_WINDOW
    articles = (
        Article.objects.published()
        .filter(published_at__gte=since)
        .only("slug", "headline", "published_at")
        .order_by("-published_at", "-pk")[:NEWS_LIMIT]
    )
    context = {
        "origin": site_origin(request),
        "articles": [(article, xml_text(article.headline)) for article in articles],
        "publication": settings.BYLINE_SITE_NAME,
        "language": settings.BYLINE_SITE_LANGUAGE,
    }
    return render(request, "articles/sitemap_news.xml", context, content_type="application/xml")


def robots_txt(request: HttpRequest) -> HttpResponse:
    """``/robots.txt``: keep crawlers out of the admin, previews and search; name the sitemaps."""
    origin = site_origin(request)
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /search/",
        "",
        f"Sitemap: {origin}{reverse('articles:sitemap')}",
        f"Sitemap: {origin}{reverse('articles:sitemap-news')}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
