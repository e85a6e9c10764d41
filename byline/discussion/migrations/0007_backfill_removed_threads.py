"""Count each article's removed threads (``Article.removed_threads``): the trashed or spam
top-level comments with an approved comment in their thread. From now on the discussion
app keeps the number (``threads.refresh_shown``)."""

from django.db import migrations
from django.db.models import Count, Exists, OuterRef


def count_removed_threads(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    Comment = apps.get_model("discussion", "Comment")
    answered = Comment.objects.filter(status="approved", thread_id=OuterRef("pk"))
    heads = (
        Comment.objects.filter(parent__isnull=True, status__in=["trash", "spam"])
        .filter(Exists(answered))
        .order_by()
        .values_list("article_id")
        .annotate(n=Count("pk"))
        .values_list("article_id", "n")
    )
    for article_id, n in heads:
        Article.objects.filter(pk=article_id).update(removed_threads=n)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0011_article_removed_threads"),
        ("discussion", "0006_comment_author_history_index"),
    ]

    operations = [migrations.RunPython(count_removed_threads, migrations.RunPython.noop)]
