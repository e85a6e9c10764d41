from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from byline.adminsafety import SafeChangeListMixin
from byline.articles.models import (
    Article,
    Author,
    ImportedPost,
    LegacyURL,
    Section,
    StaticPage,
    Tag,
)
from byline.media.editor import EditorAdminMixin


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "user"]
    search_fields = ["name"]
    fields = ["name", "slug", "bio", "photo", "user"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "position"]
    list_editable = ["position"]
    list_filter = ["parent"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Article)
class ArticleAdmin(EditorAdminMixin, SafeChangeListMixin, admin.ModelAdmin):
    list_display = [
        "headline",
        "section",
        "shown_status",
        "featured",
        "published_at",
        "updated_at",
    ]
    list_filter = ["status", "featured", "section", "authors"]
    list_select_related = ["section"]  # one query for the page, not one per row
    search_fields = ["headline", "standfirst", "body"]
    date_hierarchy = "published_at"
    actions = ["feature", "unfeature"]
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["authors", "tags", "section", "lead_media"]
    readonly_fields = ["preview_link", "reading_time", "word_count", "created_at", "updated_at"]
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
        ("Derived", {"fields": ["reading_time", "word_count", "created_at", "updated_at"]}),
    ]

    # Editors pick the front page's lead story with these actions: the latest
    # featured article leads. Only the flag is saved, so the article does not
    # show as "Updated"; save() still sends article_changed (pages are redrawn).
    @admin.action(description="Feature on the front page (the latest featured leads)")
    def feature(self, request, queryset) -> None:
        self._set_featured(queryset, True)

    @admin.action(description="Stop featuring on the front page")
    def unfeature(self, request, queryset) -> None:
        self._set_featured(queryset, False)

    def _set_featured(self, queryset, featured: bool) -> None:
        for article in queryset.exclude(featured=featured):
            article.featured = featured
            article.save(update_fields=["featured"])

    @admin.display(description="Status", ordering="status")
    def shown_status(self, article: Article) -> str:
        return article.effective_status

    @admin.display(description="Reading time")
    def reading_time(self, article: Article) -> str:
        return article.reading_time_text

    @admin.display(description="Preview")
    def preview_link(self, article: Article) -> str:
        if not article.pk:
            return "Save the article to preview it."
        url = reverse("articles:preview", kwargs={"pk": article.pk})
        return format_html('<a href="{}" target="_blank">Preview the article page</a>', url)


@admin.register(LegacyURL)
class LegacyURLAdmin(admin.ModelAdmin):
    """Old addresses that redirect (301) to articles; the WordPress import fills this in."""

    list_display = ["path", "article", "target"]
    search_fields = ["path", "article__headline", "target"]
    autocomplete_fields = ["article"]


@admin.register(ImportedPost)
class ImportedPostAdmin(admin.ModelAdmin):
    """Which WordPress post each imported article came from (read only)."""

    list_display = ["wp_id", "source", "wp_status", "article", "imported_at"]
    list_filter = ["source", "wp_status"]
    search_fields = ["article__headline", "=wp_id"]
    readonly_fields = ["source", "wp_id", "wp_status", "wp_modified", "article", "imported_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


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
