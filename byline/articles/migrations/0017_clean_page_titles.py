"""Static pages' titles stored before they were cleaned on save as headlines are
(``StaticPage.tidy``, ``title_text``): a WordPress page's title or an editor's paste kept
direction overrides and isolates, runs of spaces and spaces at either end, and a title
with nothing visible was stored blank (a blank ``<h1>``, a blank link in the menus): it
is "Untitled" now. Batches by id, each in its own transaction with its rows locked, only
rows that change written (``recleaning.clean_in_batches``). Reversed, it does nothing.

Then, on a site with any article or page, every cached page is purged once
(``recleaning.purge_cached_pages``, the command ``byline purge-pages``, never the
``article_changed`` signal): the titles this cleaned and the headlines 0016 cleaned, in
this upgrade or the last one (0016 purged nothing), are in pages cached before. If the
purge fails, the migration says which command to run."""

import sys

from django.db import migrations

from byline.articles.recleaning import clean_column, purge_cached_pages
from byline.articles.models import title_text

BATCH = 2000


def clean_titles(apps, schema_editor):
    clean_column(apps, schema_editor, "StaticPage", "title", clean=title_text, batch=BATCH)
    alias = schema_editor.connection.alias if schema_editor else "default"
    shown = (apps.get_model("articles", model)._default_manager.using(alias)
             for model in ("Article", "StaticPage"))  # fmt: skip
    if any(rows.exists() for rows in shown):
        purge_cached_pages("migration articles.0017 cleaned headlines and page titles", sys.stdout)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("articles", "0016_clean_headlines")]

    operations = [migrations.RunPython(clean_titles, migrations.RunPython.noop)]
