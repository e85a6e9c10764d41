"""Every app server uses the newest spam model at its next check, without asking the
database at each comment: a change to the model (a new version, a decision taught, a
rollback) writes a new generation to Redis after its commit, which each server reads
(``generation``); a change Redis was not told of is seen within ``RECHECK_SECONDS``.

"Another server" here is another process on the same database and Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from byline import antispam
from byline.antispam import generation
from byline.antispam.models import Classifier
from tests.antispam.factory import make_submission
from tests.conftest import using_postgres

pytestmark = [
    pytest.mark.skipif(
        not (using_postgres() and os.environ.get("REDIS_URL")),
        reason="another process on the same database and Redis: PostgreSQL and Redis",
    ),
    pytest.mark.django_db(transaction=True),
]

GENUINE = "Thanks for the reporting. Is there a link to the full budget document anywhere?"


def on_another_server(settings, code: str) -> None:
    """Run ``code`` in a new process of the site, on this test's database and Redis."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "byline.settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
    }
    script = f"import django\ndjango.setup()\nfrom byline.antispam import store\n{code}\n"
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)


def model_reads(captured) -> list[str]:
    table = Classifier._meta.db_table
    return [q["sql"] for q in captured.captured_queries if f"FROM {table}" in q["sql"]]


def test_while_the_model_is_unchanged_a_check_does_not_ask_the_database(local_filter):
    antispam.check(make_submission(GENUINE))  # installs and loads the model
    antispam.check(make_submission(GENUINE, article_id=3))  # checked since the install
    with CaptureQueriesContext(connection) as captured:
        antispam.check(make_submission(GENUINE, article_id=2))
    assert model_reads(captured) == []


def test_a_new_version_saved_on_another_server_is_used_at_the_next_check(local_filter, settings):
    first = antispam.check(make_submission(GENUINE))
    assert "to model v1" in first.reasons[0]
    on_another_server(settings, "store.save(store.shipped_model(), 'retrained')")
    after = antispam.check(make_submission(GENUINE, article_id=2))
    assert "to model v2" in after.reasons[0]


def test_a_decision_taught_on_another_server_is_used_at_the_next_check(local_filter, settings):
    text = "Wallet support desk: write to us about a locked account and we answer today."
    before = antispam.check(make_submission(text)).score
    on_another_server(settings, f"store.learn({text!r}, True)")
    assert antispam.check(make_submission(text, article_id=2)).score > before


def test_a_change_redis_was_not_told_of_is_seen_within_the_recheck(
    local_filter, settings, monkeypatch
):
    """A restored backup, or a writer that died between its commit and Redis: the
    servers ask the database anyway once ``RECHECK_SECONDS`` have passed."""
    monkeypatch.setattr(generation, "RECHECK_SECONDS", 0.0)
    antispam.check(make_submission(GENUINE))
    on_another_server(
        settings,
        "from byline.antispam.models import Classifier\n"
        "from django.db.models.signals import post_save\n"
        "post_save.receivers.clear()\n"  # as a restore would: nothing tells Redis
        "Classifier.objects.create(version=7, kind='retrained', data=store.shipped_model_bytes())",
    )
    assert "to model v7" in antispam.check(make_submission(GENUINE, article_id=2)).reasons[0]


def test_with_redis_flushed_the_generation_starts_again_and_checks_stay_right(
    local_filter, settings
):
    from byline.redisconn import redis_client

    antispam.check(make_submission(GENUINE))
    redis_client().delete(generation.KEY)
    on_another_server(settings, "store.save(store.shipped_model(), 'retrained')")
    assert "to model v2" in antispam.check(make_submission(GENUINE, article_id=2)).reasons[0]
