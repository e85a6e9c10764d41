from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    name = "byline.newsroom"
    label = "newsroom"
    verbose_name = "Newsroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from byline.newsroom import article_admin  # noqa: F401 (registers the article admin)
