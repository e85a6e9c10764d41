"""Moderators on several app servers teach the filter at once and no lesson is lost."""

import threading

import pytest
from django.db import connection

from byline import antispam
from byline.antispam import Label, store
from byline.antispam.models import Classifier, LearnedUpdate, TrainingExample
from tests.antispam.factory import make_submission
from tests.conftest import using_postgres

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not using_postgres(), reason="needs PostgreSQL (DATABASE_URL=postgres://...)"
    ),
]


def test_concurrent_decisions_are_all_learned_on_every_server(local_filter):
    antispam.check(make_submission("warm up"))  # installs version 1
    texts = [f"The library opens at nine on day {n} of the festival." for n in range(4)]
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
    assert Classifier.objects.count() == 1  # no model version per decision
    assert LearnedUpdate.objects.count() == len(texts)
    store.forget_loaded()  # any server, or this one after a restart
    assert store.current()[1].decisions == len(texts)  # every lesson is in the model
