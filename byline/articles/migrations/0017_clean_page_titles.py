"""Static pages' titles stored before they were cleaned on save as headlines are
(``StaticPage.tidy``, ``title_text``): a WordPress page's title or an editor's paste kept
direction overrides and isolates, runs of spaces and spaces at either end, and a title
with nothing visible was stored blank (a blank ``<h1>``, a blank link in the menus): it
is "Untitled" now. As migration 0016 did for headlines (``recleaning.clean_in_batches``):
batches by id, each in its own transaction with its rows locked, only rows that change
written, every cached page purged when any did. Reversed, it does nothing."""

from django.db import migrations

from byline.articles.recleaning import clean_column
from byline.articles.rendering import title_text

BATCH = 2000


def clean_titles(apps, schema_editor):
    clean_column(apps, schema_editor, "StaticPage", "title", clean=title_text, batch=BATCH)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("articles", "0016_clean_headlines")]

    operations = [migrations.RunPython(clean_titles, migrations.RunPython.noop)]
