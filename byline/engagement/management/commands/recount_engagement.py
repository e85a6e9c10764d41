"""Recount reactions and ratings from their vote rows and report any drift.

Why: the page and the API read running totals that every vote moves in the
same transaction as its row. This command proves they still agree (after a
restore, a manual edit, or just for peace of mind) and repairs what does not.
Exits with status 1 when it found drift, so monitoring can alert on it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from byline.engagement.recount import recount


class Command(BaseCommand):
    help = "Recount reactions and ratings from the vote rows; report and repair drift."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report drift without repairing it."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        drifts = recount(fix=not dry_run)
        if not drifts:
            self.stdout.write(self.style.SUCCESS("No drift: every total equals its recount."))
            return
        for drift in drifts:
            self.stdout.write(str(drift))
        verb = "found (not repaired: --dry-run)" if dry_run else "found and repaired"
        self.stdout.write(self.style.WARNING(f"{len(drifts)} totals drifted; {verb}."))
        raise SystemExit(1)
