"""`byline antispam ...`: retrain, status and prune from the command line; and the
retrain `migrate` does when an upgrade leaves a stored model it cannot read."""

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from byline import antispam
from byline.antispam import Label, store
from byline.antispam import classifier as model_module
from byline.antispam.corpus import seed_corpus
from byline.antispam.models import CheckLog, Classifier
from tests.antispam.factory import make_submission

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("antispam", *args, stdout=out)
    return out.getvalue()


def test_status_names_the_model_in_use_and_what_was_learned(local_filter):
    antispam.learn(make_submission("Buy cheap pills at https://pills.example.com"), Label.SPAM)
    antispam.learn(make_submission("Our council meeting notes are on the town site."), Label.SPAM)
    text = run("status")
    assert (
        f"Model in use: v1 — shipped starting model, {len(seed_corpus())} examples seen, "
        "1 moderator decisions learned."
    ) in text
    assert "Moderated comments kept for retraining: 2 (2 spam)." in text
    assert "Domains treated as spam: 1." in text


def test_retrain_says_what_it_stored(local_filter):
    antispam.learn(make_submission("Buy cheap pills"), Label.SPAM)
    n = len(seed_corpus())
    assert f"Dry run: trained on {n} corpus + 1 moderated comments" in run("retrain", "--dry-run")
    assert f"Stored model v2 ({n} corpus + 1 moderated comments)." in run("retrain")
    assert Classifier.objects.latest_version() == 2


def test_prune_deletes_check_records_past_the_retention(local_filter, settings):
    settings.BYLINE_SPAM_LOG_DAYS = 90
    antispam.check(make_submission("Recent"))
    antispam.check(make_submission("Old"))
    CheckLog.objects.filter(pk=CheckLog.objects.order_by("pk").last().pk).update(
        created_at=timezone.now() - timedelta(days=91)
    )
    assert "Would delete 1 check records." in run("prune", "--dry-run")
    assert CheckLog.objects.count() == 2
    assert "Deleted 1 check records." in run("prune")
    assert CheckLog.objects.count() == 1


def test_the_byline_console_script_runs_it(tmp_path):
    """`byline antispam status` works from the console script, on a fresh data folder."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("BYLINE_")}
    env.pop("DATABASE_URL", None)
    env["BYLINE_DATA_DIR"] = str(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "byline", "migrate", "-v0"], env=env, check=True, timeout=120
    )
    result = subprocess.run(
        [sys.executable, "-m", "byline", "antispam", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"Model in use: v1 — shipped starting model, {len(seed_corpus())} examples" in (
        result.stdout
    )


def test_migrate_retrains_a_stored_model_this_version_cannot_read(
    local_filter, monkeypatch, caplog
):
    """An upgrade that changes the model's features needs no manual step: the next
    `migrate` rebuilds the model and keeps what moderators taught."""
    antispam.learn(make_submission("Cheap replica watches, order today"), Label.SPAM)
    shipped = store.shipped_model()
    with monkeypatch.context() as patch:
        patch.setattr(model_module, "SCHEME", "char9-9/old")
        old = shipped.to_bytes()
    Classifier.objects.create(version=9, kind=Classifier.Kind.LEARNED, data=old)
    assert store.why_latest_unusable() == "stored model has scheme 'char9-9/old'"
    out = StringIO()
    with caplog.at_level(logging.WARNING, logger="byline.antispam"):
        call_command("migrate", verbosity=1, stdout=out)
    assert "Spam model retrained as v10" in out.getvalue()
    assert f"retrained as v10 from {len(seed_corpus())} corpus + 1 moderated" in caplog.text
    assert store.why_latest_unusable() is None
    assert Classifier.objects.get(version=10).kind == Classifier.Kind.RETRAINED


def test_migrate_leaves_a_readable_model_alone(local_filter):
    antispam.check(make_submission("A first comment."))
    call_command("migrate", verbosity=0)
    assert Classifier.objects.latest_version() == 1
