from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_search_index(using: str, **kwargs) -> None:
    """Put the search index back if a later migration rebuilt the article table."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from byline.articles.search import ensure_index

    connection = connections[using]
    applied = MigrationRecorder(connection).applied_migrations()
    if ("articles", "0003_search_index") in applied:
        ensure_index(connection)


class ArticlesConfig(AppConfig):
    name = "byline.articles"
    verbose_name = "Articles"

    def ready(self) -> None:
        from byline.articles import names
        from byline.articles.models import Article

        post_migrate.connect(_ensure_search_index, sender=self)
        # An article's tags and authors added or taken away.
        names.connect(Article.tags.field, Article.authors.field)
