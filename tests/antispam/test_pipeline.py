"""The local filter combines a text model and signals into a score, and says why."""

import os
import socket
import subprocess
import sys

import pytest

from byline import antispam
from byline.antispam import Label, Verdict, store
from byline.antispam.models import CheckLog
from byline.antispam.pipeline import Thresholds, verdict_for
from tests.antispam.factory import make_submission

pytestmark = pytest.mark.django_db

GENUINE = (
    "The council voted on Tuesday, not Monday; the second paragraph has the date wrong. "
    "Otherwise a fair account of a long meeting."
)
CHANNEL_SPAM = "Hey guys check out my new channel and subscribe please!!! http://bit.ly/3xYz"


def test_a_genuine_comment_is_published_with_the_reason(local_filter):
    decision = antispam.check(make_submission(GENUINE))
    assert decision.verdict == Verdict.APPROVE
    assert decision.backend == "local"
    assert decision.score < 0.5
    assert decision.reasons[0].startswith("The text reads as genuine")
    assert "published" in decision.reasons[-1]


def test_obvious_spam_is_filed_as_spam_with_every_reason(local_filter):
    decision = antispam.check(make_submission(CHANNEL_SPAM, seconds_to_submit=1.2))
    assert decision.verdict == Verdict.SPAM
    assert decision.score > 0.99
    text = "\n".join(decision.reasons)
    assert "The text reads as spam" in text
    assert "“subscribe”" in text or "“check out”" in text
    assert "link shortener (bit.ly)" in text
    assert "Sent 1.2 s after the form was shown" in text
    assert "filed as spam" in decision.reasons[-1]


def test_a_filled_honeypot_is_discarded_without_scoring(local_filter):
    decision = antispam.check(make_submission(GENUINE, honeypot_filled=True))
    assert decision.verdict == Verdict.DISCARD
    assert "honeypot" in decision.reasons[0]


def test_thresholds_map_the_score_to_each_verdict():
    """Sure → approve or spam; unsure → a known commenter is published, a first comment held."""
    limits = Thresholds(approve_below=0.2, spam_at=0.6, discard_at=0.95)
    first = make_submission()
    known = make_submission(author_approved_comments=3)
    assert verdict_for(0.1, first, limits)[0] == Verdict.APPROVE
    assert verdict_for(0.4, first, limits)[0] == Verdict.HOLD
    assert verdict_for(0.4, known, limits)[0] == Verdict.APPROVE
    assert verdict_for(0.7, known, limits)[0] == Verdict.SPAM
    assert verdict_for(0.97, first, limits)[0] == Verdict.DISCARD
    no_discard = Thresholds(approve_below=0.2, spam_at=0.6, discard_at=1.0)
    assert verdict_for(1.0, first, no_discard)[0] == Verdict.SPAM


def test_a_middling_first_comment_is_held_and_the_same_from_a_known_commenter_published(
    local_filter, settings
):
    settings.BYLINE_SPAM_APPROVE_BELOW = 0.0001
    settings.BYLINE_SPAM_SPAM_AT = 0.9999
    first = antispam.check(make_submission(GENUINE))
    known = antispam.check(make_submission(GENUINE, author_approved_comments=2))
    assert first.verdict == Verdict.HOLD
    assert (
        "the filter is unsure, and this is the first comment from this address"
        in (first.reasons[-1])
    )
    assert known.verdict == Verdict.APPROVE
    assert any("Known commenter: 2 earlier comments" in r for r in known.reasons)
    assert known.score < first.score


def test_an_author_with_spam_history_scores_higher(local_filter):
    clean = antispam.check(make_submission(GENUINE))
    marked = antispam.check(make_submission(GENUINE, author_spam_comments=1))
    assert marked.score > clean.score
    assert any("1 earlier comment under this e-mail was marked spam" in r for r in marked.reasons)


def test_a_comment_sent_too_fast_scores_higher(local_filter):
    slow = antispam.check(make_submission(GENUINE, seconds_to_submit=60))
    fast = antispam.check(make_submission(GENUINE, seconds_to_submit=0.5))
    assert fast.score > slow.score
    assert any("faster than a person writes" in r for r in fast.reasons)
    assert not any("faster" in r for r in slow.reasons)


def test_many_links_are_a_sign(local_filter):
    body = (
        GENUINE
        + " Sources: https://a.example.org/x https://b.example.net/y https://c.example.com/z"
    )
    decision = antispam.check(make_submission(body))
    assert any("Links to 3 different sites." == r for r in decision.reasons)


def test_the_same_text_under_other_articles_is_a_sign(local_filter):
    """Copies of one text across articles look like a campaign; one article does not."""
    body = "I found this really interesting and wanted to share my thoughts on the topic."
    first = antispam.check(make_submission(body, article_id=1))
    assert not any("same text" in r for r in first.reasons)
    antispam.check(make_submission(body.upper(), article_id=2))
    third = antispam.check(make_submission(body, article_id=3))
    assert any("posted under 2 other articles" in r for r in third.reasons)
    assert third.score > first.score


def test_a_domain_moderators_marked_as_spam_is_a_sign(local_filter):
    body = GENUINE + " More at https://cheap-pills.example.biz/offer"
    before = antispam.check(make_submission(body))
    assert not any("marked as spam" in r for r in before.reasons)
    antispam.learn(make_submission("Buy now https://cheap-pills.example.biz/"), Label.SPAM)
    after = antispam.check(make_submission(body, article_id=2))
    assert any(
        "Links to cheap-pills.example.biz, which moderators have marked as spam 1 time." == r
        for r in after.reasons
    )
    assert after.score > before.score


def test_each_check_is_recorded_without_who_wrote_it(local_filter):
    submission = make_submission(GENUINE, author_email="ann@example.org")
    decision = antispam.check(submission)
    log = CheckLog.objects.get()
    assert log.verdict == decision.verdict
    assert log.score == decision.score
    assert log.reasons == list(decision.reasons)
    assert log.model_version == 1
    assert "ann@example.org" not in str(log.__dict__)
    assert GENUINE not in str(log.__dict__)


def test_warm_loads_the_model_into_the_process_once(local_filter):
    """An app worker calls ``warm()`` at start, so its first comment does not load it."""
    from byline.antispam import warm
    from byline.antispam.models import Classifier

    assert store.loaded is None
    assert warm() is True
    first = store.loaded
    assert first is not None and Classifier.objects.filter(version=first[0]).exists()
    assert warm() is True
    assert store.loaded is first  # nothing reloaded: the second call is one query


def test_warm_does_nothing_for_another_backend(settings, db):
    from byline.antispam import warm

    settings.BYLINE_SPAM_BACKEND = "byline.antispam.backends.DummyBackend"
    assert warm() is False
    assert store.loaded is None


def test_warm_with_the_database_down_logs_and_uses_the_shipped_model(tmp_path):
    """A real unreachable PostgreSQL (nothing listens on the port), in a fresh process:
    warm() returns, the shipped model is read, and the log says why."""
    script = (
        "import django; django.setup()\nfrom byline.antispam import warm\nprint('warmed', warm())\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "byline.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{_closed_port()}/nothing_here",
        "BYLINE_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "warmed True" in done.stdout
    assert "using the shipped model" in done.stderr


def _closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
