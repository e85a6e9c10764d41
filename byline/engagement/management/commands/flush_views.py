"""Write buffered view counts to the database now.

Why: views are buffered (Redis, or a table on the embedded tier) and flushed
by readers' own requests every BYLINE_VIEW_FLUSH_SECONDS. On a quiet site the
last views of the day may wait for the next reader; run this from cron, or
before a backup, to flush them at once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from byline.engagement.viewbuffer import flush


class Command(BaseCommand):
    help = "Flush buffered view counts into the article totals."

    def handle(self, *args: Any, **options: Any) -> None:
        added = flush()
        self.stdout.write(f"Flushed {added} views.")
