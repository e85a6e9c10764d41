from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "byline.articles"
    label = "articles"
    verbose_name = "Articles"
    default_auto_field = "django.db.models.BigAutoField"
