from django.apps import AppConfig


class MediaConfig(AppConfig):
    """The media library: images, their renditions, in-body images and embeds."""

    name = "byline.media"
    label = "media"
    verbose_name = "Media library"

    def ready(self) -> None:
        from byline.articles import rendering
        from byline.media import checks, embeds, markup, references  # noqa: F401 (checks register)

        # Rendering an article resolves library images and embeds (after sanitizing).
        rendering.register_expander(markup.expand_library_images)
        rendering.register_expander(embeds.expand_embeds)
        references.connect()
