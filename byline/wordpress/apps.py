from django.apps import AppConfig


class WordPressConfig(AppConfig):
    """Import from and export to WordPress (WXR files), and the old blog's addresses."""

    name = "byline.wordpress"
    verbose_name = "WordPress"
