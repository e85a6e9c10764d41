"""Look after the spam filter's model:
``byline antispam retrain | rollback | status | prune | build-seed``.

Why it exists: the filter learns one moderator decision at a time; ``rollback`` undoes
the decisions learned since the last snapshot (one step back; ``--to`` a given
snapshot), for a run of mistaken or malicious decisions; ``retrain`` rebuilds the model
from scratch from the shipped corpus plus every moderated comment (after a change of
features); ``status`` says which model is in use; ``prune`` deletes check records past
BYLINE_SPAM_LOG_DAYS (run it daily); ``build-seed`` rebuilds the starting model shipped
in the package (for developers).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from byline.antispam import actions, store
from byline.antispam.corpus import SHIPPED_MODEL_FILE


class Command(BaseCommand):
    help = "Look after the spam filter: retrain, rollback, status, prune, build-seed."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        retrain = sub.add_parser(
            "retrain", help="Rebuild the model from the seed corpus plus moderated comments."
        )
        retrain.add_argument("--dry-run", action="store_true", help="Train but do not store.")
        rollback = sub.add_parser(
            "rollback",
            help="Undo the decisions learned since the last snapshot (or back to --to SNAPSHOT).",
        )
        rollback.add_argument("--to", type=int, default=None, metavar="SNAPSHOT", dest="to")
        rollback.add_argument("--dry-run", action="store_true", help="Say what would be undone.")
        sub.add_parser("status", help="Show the model in use and what the filter has learned.")
        prune = sub.add_parser("prune", help="Delete check records past BYLINE_SPAM_LOG_DAYS.")
        prune.add_argument("--dry-run", action="store_true", help="Count but do not delete.")
        sub.add_parser("build-seed", help=f"Rewrite the shipped model ({SHIPPED_MODEL_FILE.name}).")

    def handle(self, *args: Any, action: str, dry_run: bool = False, **options: Any) -> None:
        if action == "rollback":
            self.do_rollback(dry_run=dry_run, to=options.get("to"))
            return
        getattr(self, "do_" + action.replace("-", "_"))(dry_run=dry_run)

    def do_rollback(self, dry_run: bool, to: int | None) -> None:
        from byline.antispam.models import LearnedSnapshot

        if dry_run:
            version, model = store.current()
            snapshots = LearnedSnapshot.objects.filter(base_version=version or 0)
            self.stdout.write(
                f"Model v{version} has learned {model.decisions} decisions; snapshots: "
                + (", ".join(f"{s.pk} ({s.decisions} decisions)" for s in snapshots) or "none")
                + ". Nothing changed (dry run)."
            )
            return
        try:
            result = store.rollback(to)
        except LookupError as error:
            raise CommandError(str(error)) from error
        where = (
            f"snapshot {result.snapshot_id} ({result.decisions} decisions)"
            if result.snapshot_id
            else "the trained model, with nothing learned"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Model v{result.version} rolled back to {where}; "
                f"{result.undone} later decisions undone."
            )
        )

    def do_retrain(self, dry_run: bool) -> None:
        self.stdout.write("Training on the seed corpus and every moderated comment…")

        def progress(items: Iterable[tuple[str, str]]) -> Iterable[tuple[str, str]]:
            bar: Iterable[tuple[str, str]] = tqdm(
                items, desc="Moderated comments", unit="comment", file=self.stderr
            )
            return bar

        result = actions.retrain(dry_run=dry_run, progress=progress)
        trained = f"{result.corpus_examples} corpus + {result.site_examples} moderated comments"
        if dry_run:
            self.stdout.write(f"Dry run: trained on {trained}; nothing stored.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Stored model v{result.version} ({trained})."))

    def do_status(self, dry_run: bool) -> None:
        from byline.antispam.models import Classifier, SpamDomain, TrainingExample

        version, model = store.current()
        row = None if version is None else Classifier.objects.filter(version=version).first()
        kind = row.get_kind_display() if row else "shipped (not stored)"
        self.stdout.write(
            f"Model in use: v{version} — {kind}, {model.examples} examples seen, "
            f"{model.decisions} moderator decisions learned."
        )
        examples = TrainingExample.objects.count()
        spam = TrainingExample.objects.filter(label="spam").count()
        self.stdout.write(f"Moderated comments kept for retraining: {examples} ({spam} spam).")
        marked = [d for d in SpamDomain.objects.all() if d.is_spam]
        self.stdout.write(f"Domains treated as spam: {len(marked)}.")

    def do_prune(self, dry_run: bool) -> None:
        count = actions.prune(dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {count} check records.")

    def do_build_seed(self, dry_run: bool) -> None:
        model = store.train_shipped_model()
        data = model.to_bytes()
        SHIPPED_MODEL_FILE.write_bytes(data)
        store.shipped_model_bytes.cache_clear()
        self.stdout.write(f"Wrote {SHIPPED_MODEL_FILE} ({len(data) // 1024} KiB).")
