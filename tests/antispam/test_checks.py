"""Misconfigured spam settings stop start-up with a clear message."""

from byline.antispam.checks import spam_settings


def ids(settings) -> list[str]:
    return [error.id for error in spam_settings(None)]


def test_the_default_configuration_passes(settings):
    assert ids(settings) == []


def test_a_backend_that_cannot_be_imported_is_named(settings):
    settings.BYLINE_SPAM_BACKEND = "byline.antispam.backends.Nope"
    assert ids(settings) == ["antispam.E001"]


def test_a_backend_that_is_not_a_spam_backend_is_refused(settings):
    settings.BYLINE_SPAM_BACKEND = "byline.antispam.contract.Submission"
    assert ids(settings) == ["antispam.E002"]


def test_thresholds_out_of_order_are_refused(settings):
    settings.BYLINE_SPAM_APPROVE_BELOW = 0.8
    settings.BYLINE_SPAM_SPAM_AT = 0.5
    assert ids(settings) == ["antispam.E003"]


def test_a_threshold_outside_zero_to_one_is_a_setting_error():
    import pytest

    from byline.conf import SettingError, read_all

    with pytest.raises(SettingError, match="BYLINE_SPAM_SPAM_AT='1.5' is not valid"):
        read_all({"BYLINE_SPAM_SPAM_AT": "1.5"})
