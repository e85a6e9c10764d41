"""Four shapes a news site's comments take that the filter used to misjudge:

- a link to a fake news site's story page, on an address dressed up as a news
  organisation's ("bbc-news-money.example.com"), is held or filed, not published as a
  citation; the organisation's own links (and its own short links) are still citations;
- a reader sharing a petition or a fundraiser for a cause in the story is published;
  a fundraiser for the commenter themselves, or a bare fundraiser link, is not;
- "add me on LINE for crypto tips" is an invitation to get in touch, id or no id;
  a reader telling how a scammer added them on LINE is no such invitation;
- a site spelt out in words ("replicahub dot net") is read as the link it is; "the dot
  com bubble" is not a link.

The comments are in ``data/disguised_shapes.jsonl`` (see ``data/README.md``)."""

import json
import time
from pathlib import Path

import pytest

from byline import antispam
from byline.antispam import Verdict
from byline.antispam.classifier import _spelt_out, find_links, imitated_news_site, spelt_links
from byline.antispam.pipeline import (
    INVITE_REASON,
    LOOKALIKE_REASON,
    SPELT_LINK_REASON,
)
from tests.antispam.factory import make_submission
from tests.corpora import NAUGHTY, XSS

pytestmark = pytest.mark.django_db

SHAPES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "disguised_shapes.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]


def _check(text: str):
    return antispam.check(make_submission(text))


def _ids(rows):
    return [f"{row['family']}-{row['text'][:40]}" for row in rows]


GENUINE = [row for row in SHAPES if row["label"] == "ham"]
SPAM = [row for row in SHAPES if row["label"] == "spam"]


@pytest.mark.parametrize("row", GENUINE, ids=_ids(GENUINE))
def test_a_genuine_comment_of_these_shapes_is_published(local_filter, row):
    decision = _check(row["text"])
    assert decision.verdict == Verdict.APPROVE, decision.reasons


@pytest.mark.parametrize("row", SPAM, ids=_ids(SPAM))
def test_spam_of_these_shapes_waits_for_a_moderator_or_is_filed(local_filter, row):
    decision = _check(row["text"])
    assert decision.verdict in (Verdict.HOLD, Verdict.SPAM), decision.reasons


def test_every_shape_has_genuine_comments_and_spam_beside_it():
    families = {row["family"] for row in SHAPES}
    assert {"fake_news_link", "news_link", "petition", "fundraiser_scam"} <= families
    assert {"app_plug", "app_named", "spelt_domain", "spelt_words"} <= families
    assert len(GENUINE) >= 20 and len(SPAM) >= 20


# Fake news sites' story pages ------------------------------------------------------


@pytest.mark.parametrize(
    "domain, brand",
    [
        ("bbc-news-money.example.com", "bbc"),
        ("bbcnews24.example.com", "bbcnews24"),
        ("bbc.co.uk.news-report24.example.net", "bbc.co.uk"),
        ("nytimes.com-world-report.example.info", "nytimes.com"),
        ("skynews-live.example.co.uk", "skynews"),
        ("spiegel-nachrichten24.example.de", "spiegel"),
    ],
)
def test_an_address_dressed_up_as_a_news_site_is_named(domain, brand):
    assert imitated_news_site(domain) == brand


@pytest.mark.parametrize(
    "domain",
    [
        "bbc.co.uk",
        "news.bbc.co.uk",
        "bbc.in",  # the BBC's own short links
        "guardian.ng",  # Nigeria's Guardian
        "guardian.co.tt",  # Trinidad's
        "reutersagency.com",
        "sky-deals.example.com",  # "sky" is a word: only "skynews" is the channel
        "bbcgoodfood.com",
        # Real outlets' own addresses, with a hyphen or an edition in them.
        "cnbctv18.com",
        "cnbc-tv18.com",
        "forbesindia.com",
        "forbes-india.com",
        "spiegel.de",
        "spiegel-online.de",
        "the-star.co.ke",
        "timesofindia.indiatimes.com",
        "abc.net.au",
        "news.com.au",
        "nytimes.com",
        "washingtonpost.com",
        "theguardian.com",
        "aljazeera.com",
        "dw.com",
        "france24.com",
        "scmp.com",
        "straitstimes.com",
        "nzherald.co.nz",
        "le-monde.fr",
    ],
)
def test_a_news_site_of_its_own_or_a_word_is_no_disguise(domain):
    assert imitated_news_site(domain) == ""


def test_a_story_link_on_a_lookalike_address_is_no_citation(local_filter):
    decision = _check(
        "Worth reading the other side of this: "
        "https://bbcnews24.example.com/uk-politics/2026/12/05/inside-the-vote"
    )
    assert decision.verdict in (Verdict.HOLD, Verdict.SPAM), decision.reasons
    assert any(r.startswith(LOOKALIKE_REASON) for r in decision.reasons)
    assert not any(r.startswith("Cites pages on") for r in decision.reasons)


# Petitions and fundraisers ---------------------------------------------------------


def test_a_petition_shared_by_a_reader_is_named_as_one(local_filter):
    decision = _check(
        "If you agree the crossing outside the school needs lights, sign here: "
        "https://www.change.org/p/wakefield-council-install-a-pelican-crossing-on-mill-lane"
    )
    assert decision.verdict == Verdict.APPROVE, decision.reasons
    assert any("petition or fundraiser (change.org)" in r for r in decision.reasons)


@pytest.mark.parametrize(
    "text",
    [
        # the commenter asks for money for themselves
        "Please help me, my rent is due and I have nothing: "
        "https://www.gofundme.com/f/help-with-rent-dec",
        # a bare link
        "https://www.gofundme.com/f/gvr7xg",
    ],
)
def test_a_fundraiser_for_the_commenter_is_not_taken_for_a_shared_cause(local_filter, text):
    decision = _check(text)
    assert not any("petition or fundraiser" in r for r in decision.reasons)
    assert decision.verdict in (Verdict.HOLD, Verdict.SPAM), decision.reasons


# A messaging app without an id -----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "add me on LINE for crypto tips",
        "DM me on Telegram for the list",
        "株の勉強会やってます。LINE追加してくれたら無料で銘柄を教えます",
    ],
)
def test_an_app_to_find_the_commenter_on_is_an_invitation(local_filter, text):
    decision = _check(text)
    assert decision.verdict in (Verdict.HOLD, Verdict.SPAM), decision.reasons
    assert any(r.endswith(INVITE_REASON) for r in decision.reasons), decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Drop me a line if you want the council's reply.",
        "She said a 'broker' added her on LINE and then stopped answering.",
        "add me on line 4 of the form, the council said",
    ],
)
def test_a_line_or_an_app_named_in_passing_is_no_invitation(local_filter, text):
    decision = _check(text)
    assert not any(r.endswith(INVITE_REASON) for r in decision.reasons), decision.reasons


# Sites spelt out in words ----------------------------------------------------------


@pytest.mark.parametrize(
    "text, link",
    [
        ("go to replicahub dot net", "replicahub.net"),
        ("x dot com", "x.com"),
        ("www dot bestloans4u dot com - approved", "www.bestloans4u.com"),
        ("search skydeals dot co dot uk now", "skydeals.co.uk"),
        ("streamfreehd DOT xyz", "streamfreehd.xyz"),
        ("mehr auf gesund-abnehmen-jetzt punkt de, es geht", "gesund-abnehmen-jetzt.de"),
        ("read it on bbc dot co dot uk.", "bbc.co.uk"),
        ("(see example dot com)", "example.com"),
        ("join win-big dot me today", "win-big.me"),  # a word after "dot", a host's name before
    ],
)
def test_a_site_spelt_out_in_words_is_read_as_a_link(text, link):
    assert find_links(text) == [link]


@pytest.mark.parametrize(
    "text",
    [
        "Remember the dot com bubble?",
        "the early dot com years",
        "a dot com millionaire",
        "Der springende Punkt de facto ist die Miete.",
        # a spelt-out e-mail address is read as a contact, not as a link to its domain
        "write to chainrecoverypro at gmail dot com",
        # "at", "me", "it", "us" … are words as well as top-level domains
        "There was a red dot at the top of the map.",
        "The little dot at the end of the sentence matters.",
        "Press the green dot me and my brother always forget.",
        "Put a dot it is easier to read.",
        "A black dot us readers would call a period.",
    ],
)
def test_dot_com_as_a_word_is_no_link(text):
    assert find_links(text) == []
    assert spelt_links(text) == []


@pytest.mark.parametrize("unit", ["a dot ", "dot ", "a dot b dot com ", "x dot at "])
def test_a_long_run_of_dots_costs_in_proportion_to_its_length(unit):
    """A comment of "a dot a dot …" (5,000 characters, the default limit, or ten times
    that) is read in one pass: ten times the text costs about ten times as much, not a
    hundred (loosely: CPU time of this process, the best of three, ratio under 30)."""

    def cost(length: int) -> float:
        text = (unit * (length // len(unit) + 1))[:length]
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            for _ in range(5):
                _spelt_out(text)
            best = min(best, time.process_time() - start)
        return max(best, 1e-4)

    short, long = cost(5_000), cost(50_000)
    assert long / short < 30, (short, long)


def test_hostile_strings_are_read_without_error():
    for text in [*NAUGHTY, *XSS]:
        for shaped in (text, f"{text} dot com", f"{text} dot {text} dot uk"):
            assert isinstance(spelt_links(shaped), list)
            assert isinstance(find_links(shaped), list)


def test_a_spelt_out_site_is_shown_to_the_moderator(local_filter):
    decision = _check("Everything the media won't tell you about this is on truthwire24 dot info")
    assert decision.verdict in (Verdict.HOLD, Verdict.SPAM), decision.reasons
    assert any(r.startswith(SPELT_LINK_REASON) for r in decision.reasons)
