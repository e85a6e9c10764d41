"""Author and tag listings read their articles' ids from one index, in order.

Django's many-to-many tables index ``(article_id, x_id)`` (unique) and ``x_id``
alone; a tag or author page that starts from the tag or author then reads the
table's rows one by one, scattered over its pages. ``(x_id, article_id)``
answers from the index alone (an index-only scan).
"""

from django.db import migrations

INDEXES = [
    ("articles_article_authors", "author_id", "article_author_listing"),
    ("articles_article_tags", "tag_id", "article_tag_listing"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0007_scale_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {name} ON {table} ({column}, article_id)",
            f"DROP INDEX {name}",
        )
        for table, column, name in INDEXES
    ]
