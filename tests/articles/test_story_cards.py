"""A story card's dek is the standfirst as readers wrote it: plain words, each
character once, whatever punctuation the newsroom uses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factory import make_article

pytestmark = pytest.mark.django_db


def card_dek(html: str, headline: str) -> str:
    card = html[html.index(headline) :]
    start = card.index('<p class="dek">') + len('<p class="dek">')
    return card[start : card.index("</p>", start)]


def test_a_card_shows_ampersands_and_quotes_once(client):
    """“Q&A”, “<3” and quotes in a standfirst reach a card's dek as the reader typed
    them: escaped once in the HTML, never shown as “&amp;” on the page."""
    now = timezone.now()
    make_article("The lead", published_at=now)
    make_article(
        "Card story",
        published_at=now - timedelta(hours=1),
        standfirst='A Q&A with the "AT&T" team: <3 for *fibre*.',
    )
    dek = card_dek(client.get("/").text, "Card story")
    assert dek == "A Q&amp;A with the “AT&amp;T” team: &lt;3 for fibre."


def test_a_long_dek_is_cut_to_28_words(client):
    """A card keeps its first 28 words; the article page has the rest."""
    now = timezone.now()
    make_article("The lead", published_at=now)
    make_article(
        "Wordy story",
        published_at=now - timedelta(hours=1),
        standfirst=" ".join(f"w{n}" for n in range(40)),
    )
    dek = card_dek(client.get("/").text, "Wordy story")
    assert dek.split() == [f"w{n}" for n in range(28)] + ["…"]


def test_emphasis_and_links_do_not_add_spaces_to_the_dek(client):
    """Inline markup leaves the words as they read: “*fibre*.” is “fibre.”, and
    paragraphs and line breaks still separate words."""
    now = timezone.now()
    make_article("The lead", published_at=now)
    make_article(
        "Styled story",
        published_at=now - timedelta(hours=1),
        standfirst="Fast *fibre*, [cheap](https://example.org/) H<sub>2</sub>O.\n\nNext<br>line",
    )
    dek = card_dek(client.get("/").text, "Styled story")
    assert dek == "Fast fibre, cheap H2O. Next line"
