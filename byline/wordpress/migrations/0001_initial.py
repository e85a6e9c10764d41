"""The WordPress import's models, moved from the articles app: the tables already exist.

articles 0002_publishing created them and 0005 changed them; this migration only
tells Django's state that they belong here now (SeparateDatabaseAndState).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("articles", "0007_scale_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LegacyURL",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "path",
                            models.CharField(
                                help_text=(
                                    "Path, with the query for WordPress's plain links: "
                                    "/2014/06/10/slug/, /?p=12"
                                ),
                                max_length=500,
                                unique=True,
                            ),
                        ),
                        (
                            "target",
                            models.CharField(
                                blank=True,
                                help_text="Where it leads when it is not an article: /tag/x/",
                                max_length=500,
                            ),
                        ),
                        (
                            "article",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="legacy_urls",
                                to="articles.article",
                            ),
                        ),
                    ],
                    options={"verbose_name": "legacy URL", "db_table": "articles_legacyurl"},
                ),
                migrations.CreateModel(
                    name="ImportedPost",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "source",
                            models.CharField(
                                help_text=(
                                    "The exporting blog's address "
                                    "(wp:base_blog_url, else the channel's link)."
                                ),
                                max_length=300,
                            ),
                        ),
                        ("wp_id", models.PositiveBigIntegerField(verbose_name="WordPress post id")),
                        (
                            "wp_status",
                            models.CharField(
                                blank=True,
                                help_text="The post's status in WordPress (publish, private...).",
                                max_length=20,
                            ),
                        ),
                        (
                            "wp_modified",
                            models.DateTimeField(
                                blank=True,
                                help_text="When WordPress last changed the post, as exported.",
                                null=True,
                            ),
                        ),
                        ("imported_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "article",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="imported_from",
                                to="articles.article",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "articles_importedpost",
                        "indexes": [
                            models.Index(fields=["wp_id"], name="articles_im_wp_id_ee14d4_idx")
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("source", "wp_id"), name="imported_post_unique_wp_id"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        )
    ]
