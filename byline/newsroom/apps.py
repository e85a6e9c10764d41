from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    name = "byline.newsroom"
    verbose_name = "Newsroom"

    def ready(self) -> None:
        from byline.newsroom import article_admin  # noqa: F401 (registers the article admin)
