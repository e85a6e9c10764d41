"""The admin of what articles are filed under: authors, sections and tags.

Articles and static pages are edited through ``byline.newsroom.article_admin``,
which brings the roles, revisions and the media library's editor to them.
"""

from django.contrib import admin

from byline.adminsafety import SafeAutocompleteMixin
from byline.articles.models import Author, Section, Tag


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "user"]
    search_fields = ["name"]
    fields = ["name", "slug", "bio", "photo", "user"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Section)
class SectionAdmin(SafeAutocompleteMixin, admin.ModelAdmin):
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
