"""Pages that show a library image are rendered again when it changes or goes.

Articles and static pages keep their rendered HTML (computed once, at save).
An in-body image's alt text, caption and credit are part of it, so when an
image is described anew or deleted, the bodies that refer to it are rendered
again from their Markdown (their ``updated_at`` is left alone: the article did
not change) and the page cache moves on.
"""

from __future__ import annotations

from byline.media.signals import image_changed


def _refers_to(text: str, image_id: int) -> bool:
    from byline.media.markup import referenced_ids

    return image_id in referenced_ids(text)


def rerender_pages_showing(image_id: int) -> int:
    """Render again every article and static page whose body shows the image; how many."""
    from byline.articles.models import Article, StaticPage
    from byline.signals import article_changed

    needle = f"media:{image_id}"
    count = 0
    for article in Article.objects.filter(body__contains=needle).iterator():
        if _refers_to(article.body, image_id):
            article.render()
            Article.objects.filter(pk=article.pk).update(
                body_html=article.body_html, body_text=article.body_text
            )
            article_changed.send(sender=Article, article_id=article.pk)
            count += 1
    for page in StaticPage.objects.filter(body__contains=needle).iterator():
        if _refers_to(page.body, image_id):
            page.render()
            StaticPage.objects.filter(pk=page.pk).update(body_html=page.body_html)
            article_changed.send(sender=StaticPage, article_id=None)
            count += 1
    return count


def _on_image_changed(sender, image_id: int, **kwargs) -> None:
    from byline.signals import article_changed

    rerender_pages_showing(image_id)
    # Teasers and lead images anywhere may show it: every cached page is drawn again.
    article_changed.send(sender=sender, article_id=None)


def connect() -> None:
    image_changed.connect(_on_image_changed, dispatch_uid="media-rerender-pages")
