"""What the WordPress import remembers: which post each article came from, and old addresses.

The tables kept their names (``articles_importedpost``, ``articles_legacyurl``)
when the models moved here from the articles app (migration 0001 only tells
Django's state; nothing in the database changes).
"""

from __future__ import annotations

from django.db import models

from byline.articles.models import Article


class ImportedPost(models.Model):
    """An article that came from a WordPress export, keyed on the export's site and post id.

    Importing the same file again finds these rows and adds nothing twice; the
    old ``/?p=123`` links are answered from them.
    """

    source = models.CharField(
        max_length=300,
        help_text="The exporting blog's address (wp:base_blog_url, else the channel's link).",
    )
    wp_id = models.PositiveBigIntegerField(verbose_name="WordPress post id")
    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="imported_from")
    wp_status = models.CharField(
        max_length=20, blank=True, help_text="The post's status in WordPress (publish, private...)."
    )
    wp_modified = models.DateTimeField(
        null=True, blank=True, help_text="When WordPress last changed the post, as exported."
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "articles_importedpost"
        constraints = [
            models.UniqueConstraint(fields=["source", "wp_id"], name="imported_post_unique_wp_id")
        ]
        indexes = [models.Index(fields=["wp_id"], name="articles_im_wp_id_ee14d4_idx")]

    def __str__(self) -> str:
        return f"{self.source} #{self.wp_id}"


class LegacyURL(models.Model):
    """An address of the old site; readers who follow it are redirected (301).

    It leads to an article (followed when its slug changes, and only while the
    article is reachable: a draft's old address starts working once it is
    published) or, for sections, tags, authors and pages, to ``target``.
    """

    path = models.CharField(
        max_length=500,
        unique=True,
        help_text="Path, with the query for WordPress's plain links: /2014/06/10/slug/, /?p=12",
    )
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.CASCADE, related_name="legacy_urls"
    )
    target = models.CharField(
        max_length=500, blank=True, help_text="Where it leads when it is not an article: /tag/x/"
    )

    class Meta:
        db_table = "articles_legacyurl"
        verbose_name = "legacy URL"

    def __str__(self) -> str:
        return self.path
