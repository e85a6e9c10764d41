"""The import's records in the admin: old addresses (editable) and imported posts (read only)."""

from django.contrib import admin

from byline.adminsafety import SafeAutocompleteMixin
from byline.sitetime import admin_time
from byline.wordpress.models import ImportedPost, LegacyURL


@admin.register(LegacyURL)
class LegacyURLAdmin(SafeAutocompleteMixin, admin.ModelAdmin):
    """Old addresses that redirect (301) to articles; the WordPress import fills this in."""

    list_display = ["path", "article", "target"]
    search_fields = ["path", "article__headline", "target"]
    autocomplete_fields = ["article"]


@admin.register(ImportedPost)
class ImportedPostAdmin(admin.ModelAdmin):
    """Which WordPress post each imported article came from (read only)."""

    list_display = ["wp_id", "source", "wp_status", "article", "imported"]
    list_filter = ["source", "wp_status"]
    search_fields = ["article__headline", "=wp_id"]
    fields = ["source", "wp_id", "wp_status", "modified", "article", "imported"]
    readonly_fields = fields
    imported = admin_time("imported_at", "imported at")
    modified = admin_time("wp_modified", "last changed on WordPress")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
