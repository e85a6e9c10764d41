from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "byline.engagement"
    verbose_name = "Engagement"

    def ready(self) -> None:
        from byline.articles import hooks
        from byline.engagement import (
            checks,  # noqa: F401  (registers the system checks)
            countfiles,
            counts_layer,
            viewbuffer,
            viewlog,
            votelog,
        )
        from byline.engagement.actions import forget_liveness
        from byline.engagement.stats import article_page_context
        from byline.signals import article_changed

        hooks.register_article_context(article_page_context)
        hooks.register_article_context(counts_layer.first_served)  # its counts file
        # The votes nginx logged, first: the view log's fold then rewrites the counts files.
        viewbuffer.also_flush(votelog.fold_if_configured)
        viewbuffer.also_flush(viewlog.fold_if_configured)  # the views nginx logged
        article_changed.connect(forget_liveness, dispatch_uid="engagement.forget_liveness")
        article_changed.connect(countfiles.forget, dispatch_uid="engagement.forget_counts_file")
