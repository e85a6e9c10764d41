from django.apps import AppConfig


class MediaConfig(AppConfig):
    """The media library: images, their renditions, in-body images and embeds."""

    name = "byline.media"
    verbose_name = "Media library"

    def ready(self) -> None:
        from byline.articles import hooks, rendering
        from byline.media import checks, embeds, lead, markup, references  # noqa: F401 (checks)

        # Rendering an article resolves library images and embeds (after sanitizing).
        rendering.register_expander(markup.expand_library_images)
        rendering.register_expander(embeds.expand_embeds)
        references.connect()
        # Link previews and JSON-LD: the lead image, else the site's default image.
        hooks.register_share_image(lead.share_image)
