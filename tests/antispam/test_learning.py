"""The filter learns from every moderator decision at once, cheaply and safely, and
keeps what it learned in the database for every app server."""

import pytest
from django.core.management import call_command

from byline import antispam
from byline.antispam import Label, Verdict, store
from byline.antispam.classifier import (
    MAX_DECISION_LOGIT,
    MAX_LEARNED_LOGIT,
    for_model,
    vectorize_one,
)
from byline.antispam.corpus import news_ham_corpus, seed_corpus
from byline.antispam.models import (
    CheckLog,
    Classifier,
    LearnedSnapshot,
    LearnedUpdate,
    SpamDomain,
    TrainingExample,
)
from tests.antispam.factory import make_submission

pytestmark = pytest.mark.django_db

# A kind of spam the starting model publishes: essay mills, no link, no number.
TAUGHT_SPAM = [
    "We write custom essays and dissertations for students, plagiarism free, cheap prices.",
    "Essay writing service: any subject, any deadline, native writers, order your essay today.",
    "Struggling with your dissertation? Our expert writers deliver custom essays on time.",
    "Cheap custom essay writing, 100% original, order now and get your paper in 3 hours.",
]
NEW_SPAM = "Custom essays by expert writers, plagiarism free and delivered before your deadline."
# A genuine comment the starting model is unsure about.
GENUINE_BUT_HELD = (
    "Check out the council's own report, and subscribe to the minutes: they are public."
)


def test_a_new_kind_of_spam_is_held_after_a_handful_of_moderator_decisions(local_filter):
    """The starting model publishes essay-mill adverts; after moderators mark four of
    them as spam, a fifth worded differently is no longer published."""
    before = antispam.check(make_submission(NEW_SPAM))
    assert before.verdict == Verdict.APPROVE
    for n, spam in enumerate(TAUGHT_SPAM, start=2):
        submission = make_submission(spam, article_id=n)
        antispam.check(submission)
        antispam.learn(submission, Label.SPAM)
    after = antispam.check(make_submission(NEW_SPAM, article_id=9))
    assert after.verdict in (Verdict.HOLD, Verdict.SPAM)
    assert after.score > before.score


def test_a_genuine_commenter_held_gets_through_after_approval(local_filter):
    submission = make_submission(GENUINE_BUT_HELD)
    held = antispam.check(submission)
    assert held.verdict == Verdict.HOLD
    antispam.learn(submission, Label.HAM)  # the moderator approves it
    stranger = antispam.check(make_submission(GENUINE_BUT_HELD))  # same article
    assert stranger.score < held.score
    assert stranger.verdict == Verdict.APPROVE


def test_a_decision_costs_one_small_row_not_a_model_version(local_filter):
    """Learning is an online update: one row holding the change to the weights of the
    comment's own word features, never a copy of the model."""
    antispam.check(make_submission("warm up"))
    submission = make_submission(TAUGHT_SPAM[0])
    antispam.learn(submission, Label.SPAM)
    assert Classifier.objects.count() == 1
    update = LearnedUpdate.objects.get()
    features = vectorize_one(for_model(submission.body))
    assert len(bytes(update.indices)) == 4 * features.word_count
    assert len(bytes(update.deltas)) == 4 * features.word_count
    assert len(bytes(update.deltas)) < 20_000  # the model has 524,288 weights


def test_a_decision_is_used_by_other_servers_and_after_a_restart(local_filter):
    """Every server adds decisions it has not seen on its next check; a restarted one
    (simulated by forgetting this process's copy) rebuilds the same model."""
    antispam.check(make_submission("warm up"))
    _, before = store.current()
    antispam.learn(make_submission(TAUGHT_SPAM[0]), Label.SPAM)
    _, after = store.current()
    assert after is not before  # copied on write: a check running meanwhile is unaffected
    assert after.decisions == before.decisions + 1
    learned = antispam.check(make_submission(TAUGHT_SPAM[0])).score
    store.forget_loaded()
    assert antispam.check(make_submission(TAUGHT_SPAM[0])).score == pytest.approx(learned, abs=1e-6)
    assert CheckLog.objects.filter(model_version=1).count() == 3


def test_the_moderators_decision_is_matched_to_the_check_and_kept_for_retraining(local_filter):
    submission = make_submission(TAUGHT_SPAM[1] + " https://essays.example.com")
    antispam.check(submission)
    antispam.learn(submission, Label.SPAM)
    log = CheckLog.objects.get()
    assert log.label == "spam"
    assert log.labelled_at is not None
    example = TrainingExample.objects.get()
    assert (example.body, example.label) == (submission.body, "spam")
    assert SpamDomain.objects.get(domain="essays.example.com").spam_count == 1


def test_the_same_decision_twice_teaches_once_and_a_changed_mind_is_learned(local_filter):
    submission = make_submission(TAUGHT_SPAM[2])
    antispam.learn(submission, Label.SPAM)
    antispam.learn(submission, Label.SPAM)
    assert LearnedUpdate.objects.count() == 1
    antispam.learn(submission, Label.HAM)
    assert list(LearnedUpdate.objects.values_list("label", flat=True)) == ["spam", "ham"]
    assert TrainingExample.objects.get().label == "ham"


def test_one_decision_moves_its_comment_a_bounded_amount(local_filter):
    """However sure the moderator, one decision moves the comment's own score by at
    most MAX_DECISION_LOGIT in log-odds."""
    _, model = store.current()
    text = TAUGHT_SPAM[3]
    before = model.logit(text)
    antispam.learn(make_submission(text), Label.SPAM)
    _, model = store.current()
    assert 0 < model.logit(text) - before <= MAX_DECISION_LOGIT + 1e-6


def test_a_burst_of_malicious_decisions_cannot_flip_genuine_news_comments(local_filter):
    """Someone with a moderator's account marks sixty genuine news comments as spam.
    Each decision's weight is bounded and the trained model is never changed, so what
    was learned moves any comment by at most MAX_LEARNED_LOGIT: genuine news comments
    it never saw are still published (at most 2% held, none filed as spam), and the
    probes of a news site are never filed as spam."""
    news = [example.text for example in news_ham_corpus()]
    burst, unseen = news[2000:2060], news[2100:2300]
    probes = [
        "Please moderate me",
        "Subscribed to the newsletter, great coverage",
        "The official guidance is here: https://www.gov.uk/guidance/flood-warnings",
        "Thank you for covering this. Nobody else did.",
    ]
    verdicts = {text: antispam.check(make_submission(text)).verdict for text in unseen + probes}
    for n, text in enumerate(burst):
        antispam.learn(make_submission(text, article_id=100 + n), Label.SPAM)
    assert LearnedUpdate.objects.count() + LearnedSnapshot.objects.count() > 0
    _, model = store.current()
    assert model.decisions == len(burst)
    # A decision teaches what is particular to its comment, not the everyday n-grams
    # every genuine comment has: sixty decisions on news comments spread over their
    # topics, and the probes, which share none of them, stay published.
    for text in probes:
        decision = antispam.check(make_submission(text))
        assert decision.verdict == Verdict.APPROVE, (text, decision.reasons)
    flipped = [
        text
        for text in unseen
        if verdicts[text] == Verdict.APPROVE
        and antispam.check(make_submission(text)).verdict != Verdict.APPROVE
    ]
    assert len(flipped) <= len(unseen) // 50, flipped  # at most 2%, none to spam
    assert all(antispam.check(make_submission(t)).verdict != Verdict.SPAM for t in flipped)
    # And the learned part of any score stays within its bound.
    for text in unseen[:20]:
        trained = store.shipped_model().logit(text)
        assert abs(model.logit(text) - trained) <= MAX_LEARNED_LOGIT + 1e-6


def test_a_lesson_taught_by_several_decisions_takes_effect_after_a_malicious_burst(
    local_filter,
):
    """The same defence does not stop a site's deliberate lesson: after the burst, four
    decisions on essay-mill adverts (a spam that sells nothing the rules can see) still
    hold a fifth, worded differently, while the probes stay published."""
    news = [example.text for example in news_ham_corpus()]
    for n, text in enumerate(news[2000:2060]):
        antispam.learn(make_submission(text, article_id=100 + n), Label.SPAM)
    before = antispam.check(make_submission(NEW_SPAM)).score
    for n, spam in enumerate(TAUGHT_SPAM, start=2):
        antispam.learn(make_submission(spam, article_id=n), Label.SPAM)
    after = antispam.check(make_submission(NEW_SPAM, article_id=9))
    assert after.verdict != Verdict.APPROVE
    assert after.score > before
    assert antispam.check(make_submission("Please moderate me")).verdict == Verdict.APPROVE


def test_the_same_spam_taught_again_moves_further_until_the_goal(local_filter):
    """One decision moves a comment at most MAX_DECISION_LOGIT; the same text marked
    spam again under other articles (a repeated lesson) takes it on to LEARN_GOAL."""
    from byline.antispam.classifier import LEARN_GOAL

    text = TAUGHT_SPAM[0]
    start = store.shipped_model().logit(text)
    for n in range(4):
        antispam.learn(make_submission(text, article_id=20 + n), Label.SPAM)
    _, model = store.current()
    assert model.logit(text) >= min(LEARN_GOAL, start + MAX_LEARNED_LOGIT) - 1e-6
    assert antispam.check(make_submission(text, article_id=30)).verdict != Verdict.APPROVE


def test_snapshots_are_taken_every_so_many_decisions(local_filter, monkeypatch):
    monkeypatch.setattr(store, "SNAPSHOT_EVERY", 3)
    for n in range(7):
        antispam.learn(make_submission(f"{TAUGHT_SPAM[n % 4]} Offer {n}."), Label.SPAM)
    snapshots = list(LearnedSnapshot.objects.order_by("id").values_list("decisions", flat=True))
    assert snapshots == [3, 6]
    store.forget_loaded()  # a new server starts from the latest snapshot
    assert store.current()[1].decisions == 7


def test_an_administrator_rolls_back_one_step(local_filter, monkeypatch):
    """`byline antispam rollback` undoes the decisions since the last snapshot; run
    again, it goes back to the snapshot before; every server reloads."""
    monkeypatch.setattr(store, "SNAPSHOT_EVERY", 2)
    texts = [f"{TAUGHT_SPAM[n % 4]} Offer {n}." for n in range(5)]
    for text in texts[:4]:
        antispam.learn(make_submission(text), Label.SPAM)
    good = antispam.check(make_submission(NEW_SPAM)).score
    antispam.learn(make_submission(texts[4]), Label.SPAM)  # a mistake, say
    assert store.current()[1].decisions == 5
    call_command("antispam", "rollback")
    assert store.current()[1].decisions == 4
    assert antispam.check(make_submission(NEW_SPAM)).score == pytest.approx(good, abs=1e-6)
    call_command("antispam", "rollback")
    assert store.current()[1].decisions == 2
    call_command("antispam", "rollback")
    call_command("antispam", "rollback")  # nothing left: stays at the trained model
    assert store.current()[1].decisions == 0
    assert not LearnedUpdate.objects.exists()
    shipped = store.shipped_model().logit(NEW_SPAM)
    assert store.current()[1].logit(NEW_SPAM) == pytest.approx(shipped, abs=1e-6)


def test_a_server_holding_an_old_copy_reloads_after_a_rollback(local_filter):
    antispam.learn(make_submission(TAUGHT_SPAM[0]), Label.SPAM)
    learned = store.current()[1]
    # Another server rolls back: it changes the database only.
    store.rollback()
    assert store.current()[1] is not learned
    assert store.current()[1].decisions == 0


def test_the_admin_rolls_back_to_a_chosen_snapshot(local_filter, monkeypatch, client):
    from django.contrib.auth import get_user_model

    monkeypatch.setattr(store, "SNAPSHOT_EVERY", 2)
    for n in range(5):
        antispam.learn(make_submission(f"{TAUGHT_SPAM[n % 4]} Offer {n}."), Label.SPAM)
    first = LearnedSnapshot.objects.order_by("id").first()
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin)
    response = client.post(
        "/admin/antispam/learnedsnapshot/",
        {"action": "roll_back_to", "_selected_action": [first.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Rolled back to snapshot" in response.content.decode()
    assert store.current()[1].decisions == first.decisions == 2


def test_retrain_rebuilds_from_the_corpus_and_every_moderated_comment(local_filter):
    for n, spam in enumerate(TAUGHT_SPAM, start=1):
        antispam.learn(make_submission(spam, article_id=n), Label.SPAM)
    call_command("antispam", "retrain", "--dry-run")
    assert Classifier.objects.latest_version() == 1
    call_command("antispam", "retrain")
    newest = Classifier.objects.get(version=2)
    assert newest.kind == Classifier.Kind.RETRAINED
    assert newest.examples == len(seed_corpus())
    assert LearnedSnapshot.objects.get(base_version=2).decisions == len(TAUGHT_SPAM)
    assert antispam.check(make_submission(NEW_SPAM, article_id=9)).verdict != Verdict.APPROVE


def test_only_recent_model_versions_and_their_lessons_are_kept(local_filter):
    antispam.learn(make_submission(TAUGHT_SPAM[0]), Label.SPAM)
    for _ in range(store.KEEP_VERSIONS + 1):
        store.save(store.shipped_model(), Classifier.Kind.RETRAINED)
    versions = list(Classifier.objects.values_list("version", flat=True))
    assert len(versions) == store.KEEP_VERSIONS
    assert not LearnedUpdate.objects.filter(base_version=1).exists()


def test_a_lesson_on_channel_spam_does_not_hold_readers_who_are_subscribers(local_filter):
    """A site taught "subscribe to my channel" spam still publishes readers who say they
    subscribe to the paper: a lesson is taught through words, not through the character
    n-grams every word built on "subscribe" shares."""
    channel_spam = [
        "Please subscribe to my channel, I upload new music videos every week!",
        "Subscribe to my channel for daily gaming videos, subscribe and like!",
        "Hey everyone, new vlog on my channel, please subscribe, it would mean a lot",
        "Subscribe to me and I will subscribe back, channel link in my profile",
    ]
    for n, spam in enumerate(channel_spam, start=2):
        antispam.learn(make_submission(spam, article_id=n), Label.SPAM)
    readers = [
        "I've been a subscriber for twelve years and this is the best investigation you've run.",
        "Subscribed to the print edition for my mother; she reads the letters page first.",
        "As subscribers we were promised fewer adverts. What happened to that?",
    ]
    for n, text in enumerate(readers, start=20):
        assert antispam.check(make_submission(text, article_id=n)).verdict == Verdict.APPROVE
    taught = antispam.check(make_submission("Subscribe to my channel please, new videos!"))
    assert taught.verdict != Verdict.APPROVE


def test_a_decision_changes_only_word_features(local_filter):
    from byline.antispam.classifier import N_FEATURES

    _, model = store.current()
    indices, deltas = model.learning_step(TAUGHT_SPAM[0], True)
    assert indices.size and (indices >= N_FEATURES).all() and deltas.any()
