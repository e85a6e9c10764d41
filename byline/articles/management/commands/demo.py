"""Load the demo article.

Why: a new site should show a real article page at once. Safe to run again:
an existing demo article is left as it is.
"""

from django.core.management.base import BaseCommand

from byline.articles.demo import DEMO_SLUG, load_demo
from byline.articles.models import Article


class Command(BaseCommand):
    help = "Load the demo article (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would happen; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        if dry_run:
            exists = Article.objects.filter(slug=DEMO_SLUG).exists()
            self.stdout.write("Demo article already present." if exists else "Would load demo.")
            return
        article, created = load_demo()
        verb = "Loaded" if created else "Already present:"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {article.headline} ({article.get_absolute_url()})")
        )
