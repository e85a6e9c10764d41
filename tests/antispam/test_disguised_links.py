"""A link written so as not to read as one ("cash-fast[.]com", full-width or circled
letters) is read as the link it is, and the moderator is told it was disguised; text
that only looks similar (a bracketed ellipsis, a formula in full-width letters, a
Japanese sentence running on after a link) is not taken for a disguise."""

import pytest

from byline import antispam
from byline.antispam import Verdict
from byline.antispam.classifier import disguised_links, find_links, link_domains
from byline.antispam.pipeline import DISGUISED_LINK_REASON
from tests.antispam.factory import make_submission

pytestmark = pytest.mark.django_db

# Written for these tests (in none of the shipped sets): spam whose plain twin is filed.
DISGUISED_SPAM = [
    "Earn $500 a day from home, visit ｗｗｗ．ｃａｓｈ－ｆａｓｔ．ｃｏｍ",
    "Best casino bonuses tonight at cheap-casino-bonus[.]xyz",
    "Best casino bonuses tonight at cheap-casino-bonus(.)xyz",
    "Best casino bonuses tonight at cheap-casino-bonus[dot]xyz",
    "Cheap replica watches at ⓡⓔⓟⓛⓘⓒⓐ-ⓦⓐⓣⓒⓗⓔⓢ.com",
]


@pytest.mark.parametrize("text", DISGUISED_SPAM)
def test_a_disguised_link_is_read_and_named(local_filter, text):
    decision = antispam.check(make_submission(text))
    assert decision.verdict == Verdict.SPAM, decision.reasons
    assert any(reason.startswith(DISGUISED_LINK_REASON) for reason in decision.reasons)


@pytest.mark.parametrize(
    "text, domain",
    [
        ("visit ｗｗｗ．ｃａｓｈ－ｆａｓｔ．ｃｏｍ now", "cash-fast.com"),
        ("go to cheap-pills[.]com", "cheap-pills.com"),
        ("go to cheap-pills{.}com", "cheap-pills.com"),
        ("ⓒⓗⓔⓐⓟ-ⓟⓘⓛⓛⓢ.com", "cheap-pills.com"),
        # A link ends where Japanese text runs on after it without a space.
        ("東京都の発表（www.metro.tokyo.lg.jp）によると", "metro.tokyo.lg.jp"),
        ("詳しくはwww.example.com/newsをご覧ください", "example.com"),
    ],
)
def test_the_link_is_found_as_written_plainly(text, domain):
    assert link_domains(text) == [domain]


@pytest.mark.parametrize(
    "text",
    [
        "The bracketed [.] in the quote is the editor's, not the minister's.",
        "Ｆ（ｘ）＝ｘ² is the function they used in the chart, which is wrong.",
        "２０２６年１２月の発表では、失業率は下がりました。",
        "He said (.) and stopped, which the transcript keeps.",
    ],
)
def test_text_that_only_looks_like_a_disguise_holds_no_link(text):
    assert find_links(text) == []


GENUINE = [
    # Japan's prefectures and cities are under lg.jp: a public body, like gov.uk.
    "東京都の発表（ｗｗｗ．ｍｅｔｒｏ．ｔｏｋｙｏ．ｌｇ．ｊｐ）によると、感染者は減少しています。",
    "東京都の発表 https://www.metro.tokyo.lg.jp/information/press/2026/12/04/01.html によると、"
    "感染者は減少しています。",
    "The council's page is at leeds(.)gov(.)uk but it was down all morning.",
    "Ｆ（ｘ）＝ｘ² is the function they used in the chart, which is wrong.",
    "The bracketed [.] in the quote is the editor's, not the minister's.",
]


@pytest.mark.parametrize("text", GENUINE)
def test_genuine_comments_that_look_alike_are_published(local_filter, text):
    decision = antispam.check(make_submission(text))
    assert decision.verdict == Verdict.APPROVE, decision.reasons


def test_a_reader_naming_a_phishing_site_defanged_waits_at_worst(local_filter):
    """Defanging is also how careful readers name a scam's address: never the spam folder."""
    text = (
        "Don't click anything from paypal-secure-login[.]com, "
        "it's the phishing site the article describes."
    )
    decision = antispam.check(make_submission(text))
    assert decision.verdict in (Verdict.APPROVE, Verdict.HOLD), decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Il video integrale è qui: https://www.youtube.com/watch?v=bT5kR2nLp8w, vale la pena.",
        'La fuente está <a href="https://www.ine.es/prensa/epa.pdf">aquí</a>, señores.',
        "Siehe www.destatis.de (Seite 4) für die Zahlen.",
    ],
)
def test_a_plain_link_in_another_language_is_no_disguise(text):
    assert find_links(text)
    assert disguised_links(text) == []
