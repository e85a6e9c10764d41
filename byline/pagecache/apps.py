from django.apps import AppConfig


class PageCacheConfig(AppConfig):
    name = "byline.pagecache"
    label = "pagecache"
    verbose_name = "Page cache"

    def ready(self) -> None:
        from byline.articles import hooks
        from byline.pagecache import invalidation
        from byline.pagecache.decorators import cached_page
        from byline.pagecache.store import page_store

        invalidation.connect()
        hooks.register_page_cache(cached_page, lambda: page_store().current_generation())
