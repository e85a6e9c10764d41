"""Reader-facing pages: the front page, listings and the article itself."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, ListView

from byline.articles import hooks, keyset, protection
from byline.articles.models import Article, Author, Section, StaticPage, Tag
from byline.articles.related import related_section
from byline.articles.search import search
from byline.articles.story import story_of
from byline.readers import client_ip


class ArticleListView(ListView):
    """Published articles, latest first, paginated, under a lead story.

    The lead is the latest featured article (editors tick "featured"), kept
    out of the list below it so it is not shown twice; without one, the
    latest article of the first page leads. Later pages are the list alone.
    """

    template_name = "articles/article_list.html"
    context_object_name = "articles"

    def get_paginate_by(self, queryset) -> int:
        return settings.BYLINE_ARTICLES_PER_PAGE

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return super().get(request, *args, **kwargs)
        except keyset.Redirect as redirect:
            return HttpResponseRedirect(redirect.url)

    def paginate_queryset(self, queryset, page_size):
        """This page's articles, by number or ``?before=`` (see ``keyset``), with no count."""
        page, articles = keyset.listing_page(self.request, queryset, page_size)
        return None, page, articles, page.has_other_pages()

    def get_queryset(self):
        articles = self.filter_articles(Article.objects.teasers())
        self.featured = articles.filter(featured=True).first()
        if self.featured is not None:
            articles = articles.exclude(pk=self.featured.pk)
        return articles

    def filter_articles(self, articles):
        return articles

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        stories = list(context["articles"])
        lead = None
        if context["page_obj"].number == 1:
            lead = self.featured or (stories.pop(0) if stories else None)
        context.update(lead=lead, stories=stories)
        return context


class FilteredListView(ArticleListView):
    """Articles of one section, tag or author, in the front page's design."""

    model_of_filter: type = Section
    lookup = "section"

    def filter_articles(self, articles):
        self.subject = get_object_or_404(self.model_of_filter, slug=self.kwargs["slug"])
        return articles.filter(**{self.lookup: self.subject})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subject"] = self.subject
        context["subject_kind"] = self.model_of_filter._meta.verbose_name
        return context


class SectionView(FilteredListView):
    model_of_filter = Section
    lookup = "section"


class TagView(FilteredListView):
    model_of_filter = Tag
    lookup = "tags"

    def filter_articles(self, articles):
        self.subject = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return articles.tagged(self.subject.pk)


class AuthorView(FilteredListView):
    model_of_filter = Author
    lookup = "authors"


def article_context(
    article: Article, request: HttpRequest | None = None, kept: bool = False
) -> dict:
    """The article page's context; the apps built on articles add theirs (``hooks``).

    ``kept``: a published page anyone may read, whose story (``story``) may come from
    the cache and be kept there; otherwise (a preview, a protected article) it is read
    and drawn by the page's own template."""
    if kept and request is not None:
        story = story_of(article, request)
        tags, authors, own = story.tags, story.authors, {"story_html": story.html}
    else:
        tags, authors = list(article.tags.all()), list(article.authors.all())
        own = {"notes": list(article.notes.all())}  # corrections and updates (newsroom)
    return {
        "article": article,
        "authors": authors,
        "tags": tags,
        "related_html": related_section(article, [tag.pk for tag in tags], request),
        **hooks.extra_article_context(article),
        **own,
    }


class ArticleDetailView(DetailView):
    """The article page. Drafts and articles scheduled for later are 404.

    A password-protected article shows its headline and the password form
    until the reader has given the password; either way its page is private
    to that reader and never cached.
    """

    template_name = "articles/article_detail.html"

    def get_queryset(self):
        # Not the Markdown source: the page shows the HTML rendered from it when saved.
        return Article.objects.reachable().select_related("section", "lead_media").defer("body")

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.object = article = self.get_object()
        if (canonical := hooks.canonical_address(request)) is not None:
            return HttpResponsePermanentRedirect(canonical)  # one address, cached once
        if not article.is_protected:
            return self.render_to_response(self.get_context_data(object=article))
        if not protection.is_unlocked(request, article):
            return locked_page(request, article)
        context = {**self.get_context_data(object=article), "unlocked": True}
        return protection.never_cache_publicly(self.render_to_response(context))

    def get_context_data(self, **kwargs):
        kept = not self.object.is_protected
        context = article_context(self.object, self.request, kept=kept)
        return {**super().get_context_data(**kwargs), **context}


def locked_page(request: HttpRequest, article: Article, *, error: str = "", status: int = 200):
    context = {"article": article, "locked": True, "password_error": error}
    response = render(request, "articles/article_locked.html", context, status=status)
    return protection.never_cache_publicly(response)


@require_POST
def unlock(request: HttpRequest, slug: str) -> HttpResponse:
    """The password form of a protected article: the right password unlocks it for this reader.

    Django's CSRF check applies (the form's page is never cached and carries a
    token); attempts are limited per reader address and article.
    """
    article = get_object_or_404(Article.objects.reachable().exclude(password=""), slug=slug)
    ip = client_ip(request)
    if protection.too_many_attempts(ip, article):
        return locked_page(
            request,
            article,
            error="Too many attempts. Wait a few minutes, then try again.",
            status=429,
        )
    given = request.POST.get("password", "")[:255]
    if not protection.password_matches(article, given):
        return locked_page(request, article, error="That password is not right.", status=403)
    protection.forget_attempts(ip, article)
    response = HttpResponseRedirect(article.get_absolute_url())
    protection.remember(response, article, secure=request.is_secure())
    return protection.never_cache_publicly(response)


def static_page(request: HttpRequest, page: StaticPage) -> HttpResponse:
    """A static page (About, Contact...), found by its path (see ``middleware``)."""
    return render(request, "articles/static_page.html", {"page": page})


@staff_member_required
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Editors see any article, draft or scheduled, exactly as readers will."""
    article = get_object_or_404(Article.objects.select_related("section", "lead_media"), pk=pk)
    context = {**article_context(article, request), "preview": True}
    response = render(request, "articles/article_detail.html", context)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def search_page(request: HttpRequest) -> HttpResponse:
    """The site search: a GET form, ranked results with marked words, and pages of them."""
    query = request.GET.get("q", "").strip()[:200]
    context: dict = {"query": query}
    if query:
        paginator = Paginator(search(query), settings.BYLINE_SEARCH_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        context.update(page_obj=page, hits=page.object_list, paginator=paginator)
    response = render(request, "articles/search.html", context)
    if query:
        response["X-Robots-Tag"] = "noindex"
    return response
