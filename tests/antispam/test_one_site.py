"""A reader who names a shop's, a club's or a charity's site in a few words is never
filed as spam on the text model's word alone: at worst a moderator reads it. What
marks a site as spam's (a sales address, anchor text, a shortener, a way to be
reached) still files it."""

import pytest

from byline import antispam
from byline.antispam import Verdict
from byline.antispam.pipeline import ONE_SITE_REASON
from tests.antispam.factory import make_submission

pytestmark = pytest.mark.django_db

# Written for these tests (in none of the shipped sets).
READERS_NAMING_A_SITE = [
    "I found it cheaper at www.aldi.co.uk",
    "For support, visit https://www.mind.org.uk",
    "Our club's open day is Saturday, details at https://www.harehillsrugby.co.uk",
    "Donations welcome, www.leedsfoodbank.org.uk",
    "The allotment society sells seed potatoes too: allotments-kirkstall.org.uk",
    "Same price on www.ikea.com/gb last week.",
    "Der Verein hat alles auf www.tafel-bochum.de erklärt.",
    "Volunteers needed at https://www.cruse.org.uk — they helped us last year.",
]


@pytest.mark.parametrize("text", READERS_NAMING_A_SITE)
def test_a_site_named_in_a_few_words_is_never_filed_as_spam(local_filter, text):
    decision = antispam.check(make_submission(text))
    assert decision.verdict in (Verdict.APPROVE, Verdict.HOLD), decision.reasons


def test_the_moderator_is_told_why_it_waits(local_filter):
    decision = antispam.check(make_submission("I found it cheaper at www.aldi.co.uk"))
    if decision.verdict == Verdict.HOLD:
        assert any(reason.startswith(ONE_SITE_REASON) for reason in decision.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "Best casino bonuses tonight at https://cheap-casino-bonus.example.xyz",
        "Great read! bit.ly/3xYz9Qw",
        "Loans in 10 minutes, WhatsApp +44 7700 900123, www.quickloan.example.com",
    ],
)
def test_a_site_marked_as_spams_is_still_filed(local_filter, text):
    decision = antispam.check(make_submission(text))
    assert decision.verdict == Verdict.SPAM, decision.reasons
    assert not any(reason.startswith(ONE_SITE_REASON) for reason in decision.reasons)
