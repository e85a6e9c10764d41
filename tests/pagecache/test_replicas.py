"""Reads go to replicas unless the primary is needed; writes always go to the primary."""

import json
import os
import subprocess
import sys

import pytest
from django.db import transaction

from byline import db
from byline.articles.models import Article


@pytest.fixture
def one_replica(monkeypatch):
    monkeypatch.setattr(db, "replica_aliases", lambda: ["replica_1"])
    db._unpin()  # what request_started does
    yield db.ReplicaRouter()
    db._unpin()  # what request_started does


def test_reads_go_to_a_replica(one_replica):
    assert one_replica.db_for_read(Article) == "replica_1"


def test_without_replicas_everything_uses_the_primary():
    router = db.ReplicaRouter()
    assert router.db_for_read(Article) == "default"
    assert router.db_for_write(Article) == "default"


def test_a_request_reads_its_own_writes_from_the_primary(one_replica):
    assert one_replica.db_for_write(Article) == "default"
    assert one_replica.db_for_read(Article) == "default"
    db._unpin()  # what request_started does
    assert one_replica.db_for_read(Article) == "replica_1"


def test_page_cache_renders_read_from_the_primary(one_replica):
    with db.reading_from_primary():
        db._unpin()  # what request_started does  # a request starting inside keeps the pin
        assert one_replica.db_for_read(Article) == "default"
    assert one_replica.db_for_read(Article) == "replica_1"


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_use_the_primary(one_replica):
    with transaction.atomic():
        assert one_replica.db_for_read(Article) == "default"


def test_only_the_primary_is_migrated(one_replica):
    assert one_replica.allow_migrate("default", "articles")
    assert not one_replica.allow_migrate("replica_1", "articles")


def test_replica_urls_become_database_aliases(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        BYLINE_DATA_DIR=str(tmp_path),
        DATABASE_URL="postgres://app@primary:5432/news",
        DATABASE_REPLICA_URLS="postgres://app@r1:5432/news, postgres://app@r2:5432/news",
        DJANGO_SETTINGS_MODULE="byline.settings",
    )
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps({a: c['HOST'] for a, c in settings.DATABASES.items()}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert json.loads(out) == {"default": "primary", "replica_1": "r1", "replica_2": "r2"}
