"""An advert asking readers to call or write to someone is held, however much it reads
like a satisfied customer or a stranger in a language the filter hardly knows; an
address at a public body readers are told to write to is no such contact. A comment
that sends readers to a site's home page advertises the site: it cites no page."""

import pytest

from byline import antispam
from byline.antispam import Verdict
from tests.antispam.factory import make_submission

pytestmark = pytest.mark.django_db


def _check(text: str):
    return antispam.check(make_submission(text))


# Written for these tests (in none of the shipped sets).
INVITED_CONTACTS = [
    # a local trade's fake review, in a happy customer's words
    "Honestly the best decorators we've ever had, the lads were polite and tidy and "
    "finished a day early. Ring Marie on 01632 960533, she'll sort you out.",
    # an app's id with an invitation, in Chinese and in Korean
    "做网站推广，价格优惠，加微信 seo2026kk 详谈",
    "대출 상담 필요하시면 카톡 ID: loan8282 으로 연락주세요",
    # "llamen al" (call, to many) is an invitation in Spanish
    "Reformas integrales a buen precio, trabajo garantizado. Llamen al 555 0177.",
    # LINE, the app, beside Japanese
    "今すぐ始められる在宅ワーク！LINEで @shigoto_88 に登録",
]


@pytest.mark.parametrize("text", INVITED_CONTACTS)
def test_a_contact_readers_are_asked_to_use_is_held_whatever_the_words(local_filter, text):
    decision = _check(text)
    assert decision.verdict in (Verdict.HOLD, Verdict.SPAM), decision.reasons
    assert any("asks readers to get in touch" in r for r in decision.reasons), decision.reasons


def test_an_address_at_a_public_body_readers_are_told_to_write_to_is_published(local_filter):
    decision = _check(
        "The article says to send objections to planning@leeds.gov.uk by Friday; I did "
        "and got an answer the same afternoon."
    )
    assert decision.verdict == Verdict.APPROVE, decision.reasons
    assert not any("asks readers to get in touch" in r for r in decision.reasons)


def test_an_uppercase_line_in_a_reply_is_no_messaging_app(local_filter):
    decision = _check("@Jens THE 47 LINE HAS BEEN CUT TWICE. Write to the council, not to me.")
    assert not any("asks readers to get in touch" in r for r in decision.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "Students, worried about finals? Expert tutors, 100% pass rate. "
        "Visit https://gradeboost.example.net",
        "Cheap skip hire across the county, more info: https://skips4u.example.co.uk/",
        # a sentence that opens on an order and ends on the site
        '"Energy prices will rise again in April." Get a quote for every '
        "tariff in seconds at https://tariffcheck.example.org",
    ],
)
def test_sending_readers_to_a_home_page_is_no_citation(local_filter, text):
    decision = _check(text)
    assert decision.verdict in (Verdict.HOLD, Verdict.SPAM), decision.reasons
    assert any(r.startswith("Sends readers to the home page of") for r in decision.reasons)
    assert not any(r.startswith("Cites pages on") for r in decision.reasons)


def test_a_link_to_a_page_on_a_site_is_still_a_citation(local_filter):
    decision = _check("The hearing in full: https://www.parliament.example/debates/2026-12-01")
    assert not any(r.startswith("Sends readers to the home page") for r in decision.reasons)
