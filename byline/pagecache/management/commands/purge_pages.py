"""``byline purge-pages``: every cached page is out of date, on every app server.

The site-wide purge an article's save makes (``PageStore.invalidate``), and nothing
else: the generation moves on (in Redis for every app server, or in ``DATA_DIR``
without Redis), this process's pages are dropped and nginx's page files are switched.
No signal is sent and no table is read. Run it as the app's user (the page files'
folder is switched). Migration ``articles/0017`` runs it; when the page cache cannot
be reached, it says so and exits with an error: the move is noted as owed and made by
the next worker of this machine once the store answers, or run the command again.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from byline.pagecache.store import page_store


class Command(BaseCommand):
    help = "Purge every cached page (the site-wide purge an article's save makes)."

    def handle(self, *args, **options) -> None:
        store = page_store()
        store.invalidate()
        if getattr(store.generation, "move_owed", False):
            raise CommandError(
                "the page cache cannot be reached: the purge is owed (the next worker of "
                "this machine makes it once the cache answers); run `byline purge-pages` "
                "again to make it now"
            )
        self.stdout.write("Every cached page is purged.")
