"""Misconfiguration of the discussion surfaces as system checks with ids."""

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
