"""The filter learns from every moderator decision at once, and keeps what it learned."""

import pytest
from django.core.management import call_command

from byline import antispam
from byline.antispam import Label, Verdict, store
from byline.antispam.models import CheckLog, Classifier, SpamDomain, TrainingExample
from tests.antispam.factory import make_submission

pytestmark = pytest.mark.django_db

# A kind of spam the YouTube corpus never saw: fake support numbers for crypto wallets.
TAUGHT_SCAMS = [
    "For Coinbase wallet recovery call our support line 1-888-555-0142, agents available 24/7.",
    "Metamask support: call 1-866-555-0123 for help with recovering a locked wallet.",
    "Kraken customer care number 1-844-555-0110, call for account unlock and recovery.",
    "Need help with a frozen Trust Wallet? Ring the 24/7 recovery hotline 1-855-555-0177.",
]
NEW_SCAM = "Lost access to your Binance account? Call the support helpline +1 877 555 0199 today."
# A genuine comment the starting model gets wrong.
GENUINE_BUT_FLAGGED = (
    "Check out the council's own report, and subscribe to the minutes: they are public."
)


def test_a_new_kind_of_spam_is_caught_after_a_handful_of_moderator_decisions(local_filter):
    """The starting model lets wallet-support scams through; after moderators mark four
    of them as spam, a fifth one worded differently goes to the spam folder."""
    before = antispam.check(make_submission(NEW_SCAM))
    assert before.verdict in (Verdict.APPROVE, Verdict.HOLD)
    for n, scam in enumerate(TAUGHT_SCAMS, start=2):
        submission = make_submission(scam, article_id=n)
        antispam.check(submission)
        antispam.learn(submission, Label.SPAM)
    after = antispam.check(make_submission(NEW_SCAM, article_id=9))
    assert after.verdict == Verdict.SPAM
    assert after.score > before.score
    assert "The text reads as spam" in after.reasons[0]


def test_a_genuine_commenter_wrongly_flagged_gets_through_after_not_spam(local_filter):
    submission = make_submission(GENUINE_BUT_FLAGGED)
    flagged = antispam.check(submission)
    assert flagged.verdict == Verdict.SPAM
    antispam.learn(submission, Label.HAM)  # the moderator clicks "not spam"
    # The same words, even from someone new, no longer look like spam ...
    stranger = antispam.check(make_submission(GENUINE_BUT_FLAGGED, article_id=2))
    assert stranger.score < 0.6
    assert stranger.verdict != Verdict.SPAM
    # ... and the commenter, now known, is published at once.
    again = make_submission(
        GENUINE_BUT_FLAGGED,
        article_id=3,
        author_email=submission.author_email,
        author_approved_comments=1,
    )
    assert antispam.check(again).verdict == Verdict.APPROVE


def test_a_decision_is_stored_with_a_new_model_version_other_servers_pick_up(local_filter):
    """Learning saves the model in the database; a server that loaded the old version
    (simulated by forgetting this process's copy) uses the new one on its next check."""
    submission = make_submission(TAUGHT_SCAMS[0])
    antispam.check(submission)
    assert Classifier.objects.latest_version() == 1
    antispam.learn(submission, Label.SPAM)
    assert Classifier.objects.latest_version() == 2
    learned = antispam.check(make_submission(TAUGHT_SCAMS[0])).score
    store.forget_loaded()  # another app server, or this one after a restart
    assert antispam.check(make_submission(TAUGHT_SCAMS[0])).score == pytest.approx(
        learned, abs=1e-3
    )
    assert CheckLog.objects.filter(model_version=2).count() == 2


def test_the_moderators_decision_is_matched_to_the_check_and_kept_for_retraining(local_filter):
    submission = make_submission(TAUGHT_SCAMS[1] + " https://wallet-help.example.com")
    antispam.check(submission)
    antispam.learn(submission, Label.SPAM)
    log = CheckLog.objects.get()
    assert log.label == "spam"
    assert log.labelled_at is not None
    example = TrainingExample.objects.get()
    assert (example.body, example.label) == (submission.body, "spam")
    assert SpamDomain.objects.get(domain="wallet-help.example.com").spam_count == 1


def test_the_same_decision_twice_teaches_once_and_a_changed_mind_is_learned(local_filter):
    submission = make_submission(TAUGHT_SCAMS[2] + " https://x.example.com")
    antispam.learn(submission, Label.SPAM)
    antispam.learn(submission, Label.SPAM)
    assert Classifier.objects.latest_version() == 2
    antispam.learn(submission, Label.HAM)
    assert Classifier.objects.latest_version() == 3
    assert TrainingExample.objects.get().label == "ham"
    domain = SpamDomain.objects.get(domain="x.example.com")
    assert (domain.spam_count, domain.ham_count) == (0, 1)


def test_retrain_rebuilds_from_the_corpus_and_every_moderated_comment(local_filter):
    for n, scam in enumerate(TAUGHT_SCAMS, start=1):
        antispam.learn(make_submission(scam, article_id=n), Label.SPAM)
    version = Classifier.objects.latest_version()
    call_command("antispam", "retrain", "--dry-run")
    assert Classifier.objects.latest_version() == version
    call_command("antispam", "retrain")
    newest = Classifier.objects.get(version=version + 1)
    assert newest.kind == Classifier.Kind.RETRAINED
    assert newest.examples == 1586 + len(TAUGHT_SCAMS)
    assert antispam.check(make_submission(NEW_SCAM, article_id=9)).verdict == Verdict.SPAM


def test_only_recent_model_versions_are_kept(local_filter):
    for n in range(store.KEEP_VERSIONS + 3):
        antispam.learn(make_submission(f"spam number {n} buy followers now"), Label.SPAM)
    versions = list(Classifier.objects.values_list("version", flat=True))
    assert len(versions) == store.KEEP_VERSIONS
    assert max(versions) == store.KEEP_VERSIONS + 4
