from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from byline.adminsafety import SafeChangeListMixin
from byline.articles.models import Article, Author, ImportedPost, LegacyURL, Section, Tag


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "user"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Article)
class ArticleAdmin(SafeChangeListMixin, admin.ModelAdmin):
    list_display = ["headline", "section", "shown_status", "published_at", "updated_at"]
    list_filter = ["status", "section", "authors"]
    search_fields = ["headline", "standfirst", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["authors", "tags", "section"]
    readonly_fields = ["preview_link", "reading_time", "word_count", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "standfirst", "body"]}),
        ("Publishing", {"fields": ["status", "published_at", "preview_link"]}),
        ("Filing", {"fields": ["authors", "section", "tags"]}),
        ("Lead image", {"fields": ["lead_image", "lead_image_alt", "lead_image_caption"]}),
        ("Derived", {"fields": ["reading_time", "word_count", "created_at", "updated_at"]}),
    ]

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

    list_display = ["path", "article"]
    search_fields = ["path", "article__headline"]
    autocomplete_fields = ["article"]


@admin.register(ImportedPost)
class ImportedPostAdmin(admin.ModelAdmin):
    """Which WordPress post each imported article came from (read only)."""

    list_display = ["wp_id", "source", "article", "imported_at"]
    list_filter = ["source"]
    search_fields = ["article__headline", "=wp_id"]
    readonly_fields = ["source", "wp_id", "article", "imported_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
