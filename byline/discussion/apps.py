from django.apps import AppConfig


class DiscussionConfig(AppConfig):
    name = "byline.discussion"
    verbose_name = "Discussion"

    def ready(self) -> None:
        from byline.articles import hooks
        from byline.discussion import (
            checks,  # noqa: F401  (registers the system checks)
            reaction_files,
            reactions,
            shapes,
            splice,
        )
        from byline.discussion.threads import first_page_address, latest_approved
        from byline.engagement import countfiles, stats
        from byline.pagecache.page_layer import splice_comments_with
        from byline.signals import article_changed

        hooks.register_comment_source(latest_approved)
        hooks.register_canonical_address(first_page_address)
        # A published comment's redraw of its article's page draws only what it changes.
        splice_comments_with(splice.splice_comments)
        # An article's counts JSON (the beacon's answer, its refreshes, the counts files)
        # carries its comments' reaction counts: a page view asks for nothing more.
        stats.also_count("comment_reactions", reactions.counts_of_articles)
        # The folder of nginx's view log writes the comments' reaction counts as files.
        countfiles.also_write(reaction_files.publish)
        article_changed.connect(reaction_files.forget, dispatch_uid="discussion.reaction_files")
        article_changed.connect(shapes.forget, dispatch_uid="discussion.shapes")
