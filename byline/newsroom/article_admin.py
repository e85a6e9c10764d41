"""The admin's article and static page editors.

They live in the newsroom app, above ``articles`` and ``media``: the article
form brings together the roles, review, revisions and autosave (``admin``), and
the media library's Markdown editor (``byline.media.editor``). Registered when
the newsroom app is ready (``apps.py``).
"""

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.html import format_html

from byline.adminpaging import CappedPaginator
from byline.adminsafety import SafeAutocompleteMixin, SafeChangeListMixin
from byline.articles.models import Article, StaticPage
from byline.media.editor import EditorAdminMixin
from byline.newsroom import actions as newsroom_actions
from byline.newsroom.admin import NewsroomArticleAdmin, StatusFilter
from byline.sitetime import site_time


@admin.register(Article)
class ArticleAdmin(
    EditorAdminMixin,
    NewsroomArticleAdmin,
    SafeChangeListMixin,
    SafeAutocompleteMixin,
    admin.ModelAdmin,
):
    # What an editor scans the list for, in four columns that fit beside the menu and the
    # filters at 1280 px: the headline (with its section and byline under it), where it
    # stands, when readers see it, and how much it is discussed.
    list_display = ["article", "shown_status", "published", "comment_count"]
    # No date_hierarchy: its list of years reads every article; the date filter costs nothing.
    list_filter = [StatusFilter, "featured", "section", "authors", "published_at"]
    # One query for the page, not one per row; the comment count is the engagement app's
    # running total (one row an article, joined), never a count of the comments.
    list_select_related = ["section", "stats"]
    show_full_result_count = False  # no second count of every article on a filtered list
    paginator = CappedPaginator  # counts at most 10,000 rows (see byline.adminpaging)
    search_fields = ["headline", "standfirst", "body"]
    actions = ["submit_for_review", "publish_now", "unpublish", "feature", "unfeature"]
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["authors", "tags", "section", "lead_media"]
    readonly_fields = ["preview_link", "reading_time", "word_count", "created", "updated"]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "standfirst", "body"]}),
        (
            "Publishing",
            {"fields": ["status", "published_at", "password", "featured", "preview_link"]},
        ),
        ("Filing", {"fields": ["authors", "section", "tags"]}),
        ("Lead image", {"fields": ["lead_media"]}),
        (
            "Uploaded lead image (before the media library)",
            {
                "fields": ["lead_image", "lead_image_alt", "lead_image_caption"],
                "classes": ["collapse"],
            },
        ),
        ("Derived", {"fields": ["reading_time", "word_count", "created", "updated"]}),
    ]

    # Editors pick the front page's lead story with these actions: the latest
    # featured article leads. Only the flag is saved, so the article does not
    # show as "Updated"; save() still sends article_changed (pages are redrawn).
    @admin.action(
        description="Feature on the front page (the latest featured leads)", permissions=["publish"]
    )
    def feature(self, request, queryset) -> None:
        self._set_featured(request, queryset, True)

    @admin.action(description="Stop featuring on the front page", permissions=["publish"])
    def unfeature(self, request, queryset) -> None:
        self._set_featured(request, queryset, False)

    def _set_featured(self, request, queryset, featured: bool) -> None:
        for article in queryset.exclude(featured=featured):
            newsroom_actions.set_featured(request.user, article, featured)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("authors")  # one query a page

    @admin.display(description="Article", ordering="headline")
    def article(self, article: Article) -> str:
        filed = [article.section.name] if article.section else []
        filed += [", ".join(author.name for author in article.authors.all())]
        return format_html(
            '<span class="headline">{}</span><span class="filed">{}</span>',
            article.headline,
            " · ".join(part for part in filed if part),
        )

    @admin.display(description="Status", ordering="status")
    def shown_status(self, article: Article) -> str:
        status = article.effective_status
        if not article.featured:
            return status
        return format_html('{}<span class="filed">Featured</span>', status)

    @admin.display(description="Publication", ordering="published_at")
    def published(self, article: Article) -> str:
        return site_time(article.published_at) if article.published_at else "-"

    @admin.display(description="Created at")
    def created(self, article: Article) -> str:
        return site_time(article.created_at) if article.created_at else "-"

    @admin.display(description="Updated at")
    def updated(self, article: Article) -> str:
        return site_time(article.updated_at) if article.updated_at else "-"

    @admin.display(description="Comments", ordering="stats__comments")
    def comment_count(self, article: Article) -> int:
        try:
            return article.stats.comments  # type: ignore[attr-defined]
        except ObjectDoesNotExist:
            return 0  # nobody has seen or commented on it yet

    @admin.display(description="Reading time")
    def reading_time(self, article: Article) -> str:
        return article.reading_time_text

    def view_on_site(self, article: Article) -> str:
        """The edit page's "View on site": the article page once readers can see it, its
        preview before (a draft's, a scheduled article's address answers 404)."""
        if article.is_live:
            return article.get_absolute_url()
        return reverse("articles:preview", kwargs={"pk": article.pk})

    @admin.display(description="Preview")
    def preview_link(self, article: Article) -> str:
        if not article.pk:
            return "Save the article to preview it."
        url = reverse("articles:preview", kwargs={"pk": article.pk})
        return format_html('<a href="{}" target="_blank">Preview the article page</a>', url)


@admin.register(StaticPage)
class StaticPageAdmin(EditorAdminMixin, admin.ModelAdmin):
    """Pages outside the news flow (About, Contact), served at their own path.

    Editors choose the menus that link to a page (header navigation, footer, both
    or none) and its order there, from the list or the page itself.
    """

    list_display = ["title", "path", "status", "in_header", "in_footer", "footer_order"]
    list_editable = ["in_header", "in_footer", "footer_order"]
    list_filter = ["status", "in_header", "in_footer"]
    search_fields = ["title", "path", "body"]
    fields = ["title", "path", "body", "status", "in_header", "in_footer", "footer_order"]
    # A new page's path is filled in from its title as the editor types it ("About us"
    # → about-us), as an article's slug is; saving makes it /about-us/ (StaticPage.clean).
    prepopulated_fields = {"path": ["title"]}
