"""``byline rerender-bodies``: every article and static page rendered again from its text.

Bodies are rendered once, when saved, and stored (``Article.render``). When the
rendering changes (an embed's label and Play button, a sanitizer rule), stored
bodies keep the old markup until someone saves them; this command renders them all
again now, as a save would, and writes only those that changed. Their pages are
drawn again (``article_changed``, as an edit sends it); ``updated_at`` is left
alone, since nobody changed the article. Running it twice changes nothing the
second time. ``--dry-run`` counts what would change and writes nothing.

A row is written only if its text is still the text it was rendered from: an
editor's save between the read and the write (rows are read in batches) is left
as the editor saved it (that save rendered it), and counted as changed since read.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from byline.articles.models import Article, StaticPage
from byline.signals import article_changed

# What Article.render() and StaticPage.render() derive from the text.
ARTICLE_RENDERED = ["standfirst_html", "body_html", "body_text", "word_count", "reading_seconds"]
PAGE_RENDERED = ["body_html"]
# What they are rendered from: a row is written only if these are still as read.
ARTICLE_SOURCE = ["body", "standfirst"]
PAGE_SOURCE = ["body"]
BATCH = 200


class Command(BaseCommand):
    help = "Render every article and static page again from its text; write those that changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change; write nothing."
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show a progress bar."
        )

    def handle(self, *args, dry_run: bool, no_progress: bool, **options) -> None:
        show = not no_progress and options.get("verbosity", 1) > 0
        self.left = 0
        articles = self.rerender(
            Article, ARTICLE_RENDERED, ARTICLE_SOURCE, "articles", dry_run, show
        )
        pages = self.rerender(StaticPage, PAGE_RENDERED, PAGE_SOURCE, "pages", dry_run, show)
        if pages and not dry_run:
            # Every page's menus may link to a static page: all cached pages are redrawn.
            article_changed.send(sender=StaticPage, article_id=None)
        verb = "would change" if dry_run else "changed"
        self.stdout.write(
            f"{articles:,} of {Article.objects.count():,} articles and {pages:,} of "
            f"{StaticPage.objects.count():,} static pages {verb}."
        )
        if self.left:
            self.stdout.write(f"{self.left:,} changed since read, left as saved.")

    def rerender(
        self, model, fields: list[str], source: list[str], unit: str, dry_run: bool, show: bool
    ) -> int:
        """Render each row of ``model`` again; store (unless ``dry_run``) and count the
        ones whose rendered ``fields`` differ from what is stored."""
        changed = 0
        rows = model.objects.order_by("pk")
        with tqdm(total=rows.count(), unit=f" {unit}", desc="Rendering", disable=not show) as bar:
            for row in rows.iterator(chunk_size=BATCH):
                changed += self.rerender_row(model, row, fields, source, dry_run)
                bar.update()
        return changed

    def rerender_row(self, model, row, fields: list[str], source: list[str], dry_run: bool) -> bool:
        """Render ``row`` (as read) again; store it if its rendering changed and its
        ``source`` fields are still as read. Whether it changed and was (or, on a dry
        run, would be) written; a row saved since read is left, and counted in ``left``."""
        stored = [getattr(row, name) for name in fields]
        row.render()
        if [getattr(row, name) for name in fields] == stored:
            return False
        if dry_run:
            return True
        as_read = {name: getattr(row, name) for name in source}
        written = model.objects.filter(pk=row.pk, **as_read).update(
            **{name: getattr(row, name) for name in fields}
        )
        if not written:  # an editor saved it since it was read: that save rendered it
            self.left += 1
            return False
        if model is Article:
            article_changed.send(sender=Article, article_id=row.pk)
        return True
