"""Any text is scored without error, and a broken stored model never breaks commenting."""

import json
import logging
from pathlib import Path

import pytest

from byline import antispam
from byline.antispam import Label, Verdict, actions, store
from byline.antispam import classifier as model_module
from byline.antispam.models import Classifier
from tests.antispam.factory import make_submission

pytestmark = pytest.mark.django_db

NAUGHTY = json.loads((Path(__file__).parent / "data" / "blns.json").read_text(encoding="utf-8"))
ODD_TEXTS = [
    "",
    "   \n\t  ",
    "\x00\x01\x02\x7f" * 300,  # binary-looking
    "".join(chr(c) for c in range(0x20, 0x3000, 7)),  # a sweep through Unicode
    "a" * 200_000,  # huge, no spaces
    "word " * 100_000,  # huge, many words
    "Это отличная статья, спасибо! 這篇文章寫得很好。 مقالة رائعة 👍🏽" * 50,
    "\ud83d",  # a lone surrogate, as a broken client might send
    "<script>alert(1)</script>&amp;&#x27;&#0;&#99999999;",
]


@pytest.mark.parametrize("text", NAUGHTY + ODD_TEXTS)
def test_any_text_is_scored_without_error(local_filter, text):
    decision = antispam.check(make_submission(text, author_name=text[:50]))
    assert decision.verdict in set(Verdict)
    assert decision.backend == "local"
    assert 0.0 <= decision.score <= 1.0
    assert decision.reasons


def test_odd_texts_can_be_learned(local_filter):
    for text in ODD_TEXTS:
        antispam.learn(make_submission(text), Label.SPAM)
    assert antispam.check(make_submission("A normal comment.")).verdict in set(Verdict)


CHANNEL_SPAM = "Subscribe to my channel!!! Free crypto tips every day http://bit.ly/3xYz"


def test_a_corrupt_stored_model_falls_back_to_the_shipped_one_with_a_warning(local_filter, caplog):
    good = antispam.check(make_submission(CHANNEL_SPAM))
    Classifier.objects.create(version=2, kind=Classifier.Kind.LEARNED, data=b"not a model")
    with caplog.at_level(logging.WARNING, logger="byline.antispam"):
        decision = antispam.check(make_submission(CHANNEL_SPAM))
    assert decision.score == good.score
    assert "Stored spam model v2 is unusable" in caplog.text
    # A retrain, as after every `migrate`, stores a good model again.
    assert actions.retrain_if_unusable() is not None
    store.forget_loaded()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="byline.antispam"):
        antispam.check(make_submission("Another comment."))
    assert "unusable" not in caplog.text


def test_a_stored_model_of_another_feature_scheme_is_not_used(local_filter, caplog, monkeypatch):
    old = store.shipped_model()
    monkeypatch.setattr(model_module, "SCHEME", "char9-9/old")
    bad = old.to_bytes()
    monkeypatch.undo()
    Classifier.objects.create(version=1, kind=Classifier.Kind.SHIPPED, data=bad)
    with caplog.at_level(logging.WARNING, logger="byline.antispam"):
        decision = antispam.check(make_submission("I agree with this."))
    assert decision.verdict == Verdict.APPROVE
    assert "has scheme 'char9-9/old'" in caplog.text


def test_a_missing_stored_model_is_installed_from_the_shipped_one(local_filter):
    assert not Classifier.objects.exists()
    antispam.check(make_submission("A normal comment."))
    shipped = Classifier.objects.get()
    assert (shipped.version, shipped.kind) == (1, Classifier.Kind.SHIPPED)
    assert bytes(shipped.data) == store.shipped_model_bytes()


def test_a_missing_shipped_file_is_rebuilt_from_the_corpus_with_a_warning(
    local_filter, monkeypatch, tmp_path, caplog
):
    monkeypatch.setattr(store, "SHIPPED_MODEL_FILE", tmp_path / "gone.npz")
    store.shipped_model_bytes.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="byline.antispam"):
            decision = antispam.check(make_submission(CHANNEL_SPAM))
        assert decision.verdict == Verdict.SPAM
        assert "Shipped spam model unusable" in caplog.text
    finally:
        store.shipped_model_bytes.cache_clear()


def test_an_unreadable_model_table_falls_back_to_the_shipped_model(
    local_filter, monkeypatch, caplog
):
    from django.db import DatabaseError

    def broken():
        raise DatabaseError("no such table: antispam_classifier")

    monkeypatch.setattr(store, "_latest", broken)
    with caplog.at_level(logging.WARNING, logger="byline.antispam"):
        decision = antispam.check(make_submission(CHANNEL_SPAM))
    assert decision.verdict == Verdict.SPAM
    assert "using the shipped model" in caplog.text


def test_a_server_never_keeps_a_copy_whose_row_was_replaced(local_filter):
    """A row with the same version number but other weights (a restored backup) is
    loaded, not mistaken for the copy this server already has."""
    # A text the shipped model is unsure of, so that what the site learns shows in its score.
    text = "Wallet support desk: write to us about a locked account and we answer today."
    shipped_score = antispam.check(make_submission(text)).score
    assert shipped_score < 0.9
    antispam.learn(make_submission(text), Label.SPAM)
    assert antispam.check(make_submission(text)).score > shipped_score
    Classifier.objects.all().delete()
    Classifier.objects.create(
        version=2, kind=Classifier.Kind.SHIPPED, data=store.shipped_model_bytes()
    )
    assert antispam.check(make_submission(text)).score == shipped_score
