"""Misconfiguration of the discussion surfaces as system checks with ids."""

import pytest

from byline.checks import moved_setting_values
from byline.conf import SettingError, read_all
from byline.discussion.checks import discussion_settings


def ids() -> set[str]:
    return {message.id for message in discussion_settings(None)}


def test_a_bad_moderator_address_is_an_error(settings):
    """A moderator address that is not an e-mail address stops start-up."""
    settings.BYLINE_COMMENT_MODERATOR_EMAILS = ["desk@news.example", "not-an-address"]
    assert "discussion.E001" in ids()


def test_production_without_smtp_warns(settings):
    """In production, notifications that only reach the console deserve a warning."""
    settings.PRODUCTION = True
    settings.BYLINE_SMTP_HOST = ""
    assert "discussion.W001" in ids()
    settings.BYLINE_SMTP_HOST = "smtp.news.example"
    assert ids() == set()


def test_moderation_first_is_read_as_the_first_comment_policy():
    """The old BYLINE_COMMENT_MODERATION=first still works, as BYLINE_SPAM_FIRST_COMMENT=hold
    (one setting for one rule); the moderation setting keeps its default."""
    values = read_all({"BYLINE_COMMENT_MODERATION": "first"})
    assert values["BYLINE_SPAM_FIRST_COMMENT"] == "hold"
    assert values["BYLINE_COMMENT_MODERATION"] == "none"
    agreeing = {"BYLINE_COMMENT_MODERATION": "First", "BYLINE_SPAM_FIRST_COMMENT": "hold"}
    assert read_all(agreeing)["BYLINE_SPAM_FIRST_COMMENT"] == "hold"
    assert read_all({"BYLINE_COMMENT_MODERATION": "all"})["BYLINE_SPAM_FIRST_COMMENT"] == "publish"


def test_moderation_first_warns_at_start_up_naming_the_new_setting(monkeypatch):
    """Start-up says what to set instead (system check byline.W001); nothing without it."""
    monkeypatch.setenv("BYLINE_COMMENT_MODERATION", "first")
    (warning,) = moved_setting_values(None)
    assert warning.id == "byline.W001"
    assert "BYLINE_COMMENT_MODERATION=first is deprecated" in warning.msg
    assert "BYLINE_SPAM_FIRST_COMMENT=hold" in warning.hint
    monkeypatch.setenv("BYLINE_COMMENT_MODERATION", "none")
    assert moved_setting_values(None) == []


def test_moderation_first_against_another_first_comment_policy_stops_start_up():
    """The two names saying different things for one rule is an error that names both."""
    both = {"BYLINE_COMMENT_MODERATION": "first", "BYLINE_SPAM_FIRST_COMMENT": "publish"}
    with pytest.raises(
        SettingError,
        match="BYLINE_COMMENT_MODERATION=first means "
        "BYLINE_SPAM_FIRST_COMMENT=hold now, but BYLINE_SPAM_FIRST_COMMENT=",
    ):
        read_all(both)


def test_any_other_moderation_value_stops_start_up():
    with pytest.raises(SettingError, match="BYLINE_COMMENT_MODERATION='some' is not valid"):
        read_all({"BYLINE_COMMENT_MODERATION": "some"})
