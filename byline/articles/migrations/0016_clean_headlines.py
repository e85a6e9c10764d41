"""Headlines stored before they were cleaned on save as names are (``Article.tidy``,
``title_text``): a terminal's escapes, control characters, the byte-order mark, direction
overrides, line ends and runs of spaces leave them, as they left the titles, feeds and
exports (the property ``headline_text`` that cleaned them there is gone). A headline
with nothing visible left is "Untitled", as ``save()`` stores it. Rows already clean are
not written; when any row changed, every cached page is purged (its ``<h1>``).

In batches of ``BATCH`` rows by id, each read and written in its own transaction with
its rows locked (``recleaning.clean_in_batches``), reading only the id and headline:
100,000 articles are 50 reads. Run again after a crash, it cleans what is left.
Reversed, it does nothing (the dirty text is not kept)."""

from django.db import migrations

from byline.articles.recleaning import clean_column
from byline.articles.rendering import title_text

BATCH = 2000


def clean_headlines(apps, schema_editor):
    clean_column(apps, schema_editor, "Article", "headline", clean=title_text, batch=BATCH)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("articles", "0015_static_page_path_help")]

    operations = [migrations.RunPython(clean_headlines, migrations.RunPython.noop)]
