from django.apps import AppConfig


class DiscussionConfig(AppConfig):
    name = "byline.discussion"
    verbose_name = "Discussion"

    def ready(self) -> None:
        from byline.articles import hooks
        from byline.discussion import checks  # noqa: F401  (registers the system checks)
        from byline.discussion.threads import first_page_address, latest_approved

        hooks.register_comment_source(latest_approved)
        hooks.register_canonical_address(first_page_address)
