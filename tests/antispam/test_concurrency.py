"""Moderators on several app servers teach the filter at once and no lesson is lost."""

import threading

import pytest
from django.db import connection

from byline import antispam
from byline.antispam import Label
from byline.antispam.models import Classifier, TrainingExample
from tests.antispam.factory import make_submission
from tests.conftest import using_postgres

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not using_postgres(), reason="needs PostgreSQL (DATABASE_URL=postgres://...)"
    ),
]


def test_concurrent_decisions_each_make_a_version_built_on_the_last(local_filter):
    antispam.check(make_submission("warm up"))  # installs version 1
    texts = [f"Wallet support hotline number {n}, call now for recovery" for n in range(4)]
    start = threading.Barrier(len(texts))
    errors: list[BaseException] = []

    def moderate(text: str) -> None:
        try:
            start.wait()
            antispam.learn(make_submission(text), Label.SPAM)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=moderate, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert TrainingExample.objects.count() == len(texts)
    latest = Classifier.objects.get(version=Classifier.objects.latest_version())
    assert latest.version == 1 + len(texts)
    assert latest.examples == 1586 + len(texts)  # every lesson is in the newest model
