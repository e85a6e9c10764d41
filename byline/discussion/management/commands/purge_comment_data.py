"""Delete commenters' data past its retention period.

Why it exists: the comment-data page promises that hashed IP addresses and
browser names are kept only ``BYLINE_COMMENT_IP_RETENTION_DAYS`` days and that
spam and trash go after ``BYLINE_COMMENT_SPAM_RETENTION_DAYS``. Run it daily
(cron or a systemd timer) to keep that promise.
"""

from django.core.management.base import BaseCommand

from byline.discussion.commenterdata import purge_old_data


class Command(BaseCommand):
    help = "Clear hashed IPs past their retention and delete old spam and trash comments."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would go, change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        result = purge_old_data(dry_run=dry_run)
        verb = "Would clear" if dry_run else "Cleared"
        self.stdout.write(
            f"{verb} the hashed IP and browser of {result.addresses_cleared} comment(s); "
            f"{'would delete' if dry_run else 'deleted'} {result.comments_deleted} old "
            "spam or trash comment(s)."
        )
