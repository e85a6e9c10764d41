"""Headlines stored before they were cleaned on save as names are (``Article.tidy``,
``name_text``): a terminal's escapes, control characters, the byte-order mark, direction
overrides, line ends and runs of spaces leave them, as they left the titles, feeds and
exports (the property ``headline_text`` that cleaned them there is gone). A headline
with nothing visible left takes the article's slug, as a name did (0012). Rows already
clean are not written.

In batches of ``BATCH`` rows by id, each read and written in its own transaction with
its rows locked, so an editor's save in between is never overwritten (the migration is
not one: a large site's articles are neither read at once nor locked together), reading
only the id, headline and slug: 100,000 articles are 50 reads. Run again after a crash,
it cleans what is left. Reversed, it does nothing (the dirty text is not kept)."""

from django.db import migrations, transaction

from byline.articles.models import name_text, shows_text

BATCH = 2000


def clean_headlines(apps, schema_editor):
    article = apps.get_model("articles", "Article")
    rows = article.objects.using(schema_editor.connection.alias if schema_editor else "default")
    last = 0
    while True:
        # Read and written in one transaction, the rows locked (PostgreSQL) or the database
        # (SQLite): an editor's save between the two is never overwritten.
        with transaction.atomic(using=rows.db):
            batch = list(
                rows.select_for_update()
                .filter(pk__gt=last)
                .order_by("pk")
                .only("pk", "headline", "slug")[:BATCH]
            )
            if not batch:
                return
            last = batch[-1].pk
            changed = []
            for row in batch:
                headline = name_text(row.headline or "")
                headline = headline if shows_text(headline) else row.slug
                if headline != row.headline:
                    row.headline = headline
                    changed.append(row)
            rows.bulk_update(changed, ["headline"], batch_size=500)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("articles", "0015_static_page_path_help")]

    operations = [migrations.RunPython(clean_headlines, migrations.RunPython.noop)]
