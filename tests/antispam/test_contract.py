"""Every new comment passes through one function that returns a verdict with reasons."""

from byline import antispam
from byline.antispam import Label, Submission, Verdict
from byline.antispam.backends import DummyBackend, FirstTimersWaitBackend


def test_a_first_time_commenter_is_held_and_told_why():
    decision = FirstTimersWaitBackend().check(Submission(body="Hello", author_name="Ann"))
    assert decision.verdict == Verdict.HOLD
    assert any("First comment" in reason for reason in decision.reasons)
    assert any("No content filter" in reason for reason in decision.reasons)


def test_a_known_commenter_is_approved():
    submission = Submission(body="Hello again", author_name="Ann", author_approved_comments=2)
    assert FirstTimersWaitBackend().check(submission).verdict == Verdict.APPROVE


def test_a_filled_honeypot_is_discarded():
    submission = Submission(body="buy", author_name="bot", honeypot_filled=True)
    assert FirstTimersWaitBackend().check(submission).verdict == Verdict.DISCARD


def test_check_uses_the_configured_backend_and_names_it(settings):
    from byline.antispam.backends import get_backend

    settings.BYLINE_SPAM_BACKEND = "byline.antispam.backends.DummyBackend"
    decision = antispam.check(Submission(body="x", author_name="y"))
    assert decision.verdict == Verdict.APPROVE
    assert decision.backend == "dummy"
    antispam.learn(Submission(body="x", author_name="y"), Label.SPAM)
    backend = get_backend()
    assert isinstance(backend, DummyBackend)
    assert backend.trained[0][1] == "spam"
