"""Every new comment passes through one function that returns a verdict with reasons."""

import pytest

from byline import antispam
from byline.antispam import Label, Submission, Verdict
from byline.antispam.backends import DummyBackend, FirstTimersWaitBackend, LocalFilterBackend


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


def test_the_local_learning_filter_is_the_default(settings):
    """Out of the box the on-site filter checks comments; nothing is sent elsewhere."""
    from byline.antispam.conf import SETTINGS

    default = next(s.default for s in SETTINGS if s.name == "BYLINE_SPAM_BACKEND")
    assert default == "byline.antispam.backends.LocalFilterBackend"
    assert settings.BYLINE_SPAM_BACKEND == default
    assert "nothing is sent elsewhere" in LocalFilterBackend().describe_data_use()


@pytest.mark.django_db
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


@pytest.mark.django_db
def test_a_failing_backend_holds_the_comment_instead_of_failing(settings, caplog):
    """A crash in the filter never reaches the commenter: the comment waits, logged."""
    settings.BYLINE_SPAM_BACKEND = "tests.antispam.test_contract.BrokenBackend"
    decision = antispam.check(Submission(body="Hello", author_name="Ann"))
    assert decision.verdict == Verdict.HOLD
    assert decision.backend == "broken"
    assert "failed" in decision.reasons[0]
    assert "Spam backend broken failed" in caplog.text


@pytest.mark.django_db
def test_the_data_use_text_follows_the_configured_backend(settings):
    settings.BYLINE_SPAM_LOG_DAYS = 45
    settings.BYLINE_SPAM_BACKEND = "byline.antispam.akismet_backend.AkismetBackend"
    assert "Akismet" in antispam.describe_data_use()
    assert "for 45 days" in antispam.describe_data_use()
    settings.BYLINE_SPAM_BACKEND = "byline.antispam.backends.DummyBackend"
    assert "for 45 days" in antispam.describe_data_use()
    settings.BYLINE_SPAM_BACKEND = "byline.antispam.backends.LocalFilterBackend"
    described = antispam.describe_data_use()
    assert "nothing is sent elsewhere" in described
    assert "for 45 days" in described


class BrokenBackend(antispam.SpamBackend):
    name = "broken"

    def check(self, submission):
        raise RuntimeError("boom")
