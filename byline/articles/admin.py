from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from byline.articles.models import Article, Author, Section, Tag


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
class ArticleAdmin(admin.ModelAdmin):
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
