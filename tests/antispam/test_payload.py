"""No payload, no spam: a spam comment needs something a spammer is paid for (a link to
a site that is neither a recognised source nor one public post, a way to be reached, a
wallet). A reader who cites an official page or a news report, or a video, post or
thread, in a few words of any language, is published at once; a citation worn over a
payload is still caught. A sum earned, with nothing to take up, is a reader's pay."""

import pytest

from byline import antispam
from byline.antispam import Verdict
from tests.antispam.factory import make_submission

pytestmark = pytest.mark.django_db

# Written for these tests (in none of the shipped sets): a source, in a few words.
CITED_SOURCES = [
    "Fuente oficial: https://www.boe.es/diario_boe/txt.php?id=BOE-A-2026-21345",
    "Quelle: https://www.bundestag.de/dokumente/textarchiv/2026/kw49-de-mietrecht-1032148",
    "Le rapport du Sénat : https://www.senat.fr/rap/r26-214/r26-2141.html",
    "出典: https://www.mhlw.go.jp/stf/newpage_41872.html",
    "Źródło: https://www.gov.pl/web/rodzina/komunikat-w-sprawie-swiadczen-2026",
    "Kaynak: https://www.tbmm.gov.tr/develop/owa/haber_portal.aciklama?p1=152345",
    "Источник: https://www.interfax.ru/russia/1002345",
    "Chanzo: https://www.bbc.com/swahili/articles/c2e8k4q1v9no",
    "Nguồn: https://tuoitre.vn/gia-dien-tang-20261203101522344.htm",
    "The full judgment: https://www.supremecourt.uk/cases/uksc-2025-0112",
]
# One post on a public platform: a video, a post, a thread, a repository.
CITED_POSTS = [
    "Видео заседания целиком: https://www.youtube.com/watch?v=Qw3rT5yU7iO",
    "The mayor's own post about it: https://x.com/citymayor/status/1865123456789012345",
    "Lo discutieron aquí https://www.reddit.com/r/Madrid/comments/1h9xq2/obras_en_la_m30/",
    "Die Rohdaten liegen hier https://github.com/opendata-koeln/mietspiegel-2026",
]
# A good source cited to dress up a payload.
DRESSED = [
    "As the BBC reports https://www.bbc.co.uk/news/business-67123456 prices keep rising. "
    "I make $400 a day from home, WhatsApp me on +44 7700 900555 to learn how.",
    "Official figures https://www.ons.gov.uk/economy/inflationandpriceindices prove it. "
    "Protect your savings, join my signals group on Telegram @ukwealthsignals",
    "Según el INE https://www.ine.es/prensa/ipc_prensa.htm todo sube. Préstamos rápidos sin "
    "aval, escríbeme al WhatsApp +34 600 000 987",
]


@pytest.mark.parametrize("text", CITED_SOURCES)
def test_a_cited_official_or_news_page_is_published_at_once(local_filter, text):
    decision = antispam.check(make_submission(text))
    assert decision.verdict == Verdict.APPROVE, decision.reasons
    assert any(r.startswith("Links only to official or news sources") for r in decision.reasons)


@pytest.mark.parametrize("text", CITED_POSTS)
def test_a_cited_video_post_or_thread_is_published_at_once(local_filter, text):
    decision = antispam.check(make_submission(text))
    assert decision.verdict == Verdict.APPROVE, decision.reasons


@pytest.mark.parametrize("text", DRESSED)
def test_a_cited_page_with_a_way_to_be_reached_is_still_caught(local_filter, text):
    decision = antispam.check(make_submission(text))
    assert decision.verdict in (Verdict.HOLD, Verdict.SPAM), decision.reasons
    assert not any(r.startswith("Links only to official") for r in decision.reasons)


def test_a_channel_or_an_unknown_site_is_a_payload_a_video_is_not():
    from byline.antispam.classifier import is_cited, is_public_post, is_source

    assert is_public_post("https://www.youtube.com/watch?v=Qw3rT5yU7iO")
    assert is_public_post("youtu.be/Qw3rT5yU7iO")
    assert not is_public_post("https://www.youtube.com/@moneytips")
    assert not is_public_post("https://www.youtube.com/channel/UC123456")
    assert not is_public_post("https://x.com/richmomlife")
    assert is_cited("https://www3.nhk.or.jp/news/html/20261203/k10014567891000.html")
    assert is_source("stats.gov.cn") and is_source("en.wikipedia.org")
    assert not is_cited("https://best-deals-outlet.example/sale")
    assert not is_source("nhk.or.jp.example")


@pytest.mark.parametrize(
    "text",
    [
        "My rent went up to 1,200 euros and I earn 1,900 a month",
        "I earn £11.44 an hour on the minimum wage and council tax alone is £148 a month.",
        "Wir verdienen zusammen 3.400 Euro und zahlen 1.350 Euro Miete.",
    ],
)
def test_a_sum_earned_with_nothing_to_take_up_is_a_readers_pay(local_filter, text):
    decision = antispam.check(make_submission(text))
    assert decision.verdict == Verdict.APPROVE, decision.reasons
    assert any(r.startswith("Names a sum earned") for r in decision.reasons)


def test_a_sum_to_earn_with_a_way_to_take_it_up_is_still_an_offer(local_filter):
    text = "I earn $7,000 a week from home. Message me on WhatsApp +1 555 0100 to start."
    decision = antispam.check(make_submission(text))
    assert decision.verdict == Verdict.SPAM, decision.reasons
    assert "Offers money: a sum to win, earn or claim." in decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Anyone with a blocked drain on Park Lane can call the council's highways team on "
        "0113 222 4444, they came out the same day for us.",
        "Gaji saya Rp 4.500.000 sebulan, sewa kos Rp 1.500.000.",
    ],
)
def test_a_public_offices_number_or_a_large_sum_is_no_contact(local_filter, text):
    decision = antispam.check(make_submission(text))
    assert decision.verdict == Verdict.APPROVE, decision.reasons


def test_a_support_line_to_call_is_still_a_contact(local_filter):
    text = "Locked out of your bank app? Call the 24/7 support helpline on 0800 555 0142 now."
    decision = antispam.check(make_submission(text))
    assert any("asks readers to get in touch" in r for r in decision.reasons), decision.reasons
