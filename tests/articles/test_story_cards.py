"""A story card's dek is the standfirst as readers wrote it: plain words, each
character once, whatever punctuation the newsroom uses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factory import make_article

pytestmark = pytest.mark.django_db


def card_dek(client, standfirst: str) -> str:
    """The dek of a story card (not the lead) whose standfirst is ``standfirst``."""
    now = timezone.now()
    make_article("The lead", published_at=now)
    make_article("Card story", published_at=now - timedelta(hours=1), standfirst=standfirst)
    html = client.get("/").text
    card = html[html.index("Card story") :]
    start = card.index('<p class="dek">') + len('<p class="dek">')
    return card[start : card.index("</p>", start)]


def test_a_card_shows_ampersands_and_quotes_once(client):
    """“Q&A”, “<3” and quotes in a standfirst reach a card's dek as the reader typed
    them: escaped once in the HTML, never shown as “&amp;” on the page."""
    dek = card_dek(client, 'A Q&A with the "AT&T" team: <3 for *fibre*.')
    assert dek == "A Q&amp;A with the “AT&amp;T” team: &lt;3 for fibre."


def test_a_long_dek_is_cut_to_28_words(client):
    """A card keeps its first 28 words; the article page has the rest."""
    dek = card_dek(client, " ".join(f"w{n}" for n in range(40)))
    assert dek.split() == [f"w{n}" for n in range(28)] + ["…"]


def test_emphasis_and_links_do_not_add_spaces_to_the_dek(client):
    """Inline markup leaves the words as they read: “*fibre*.” is “fibre.”, and
    paragraphs and line breaks still separate words."""
    dek = card_dek(
        client, "Fast *fibre*, [cheap](https://example.org/) H<sub>2</sub>O.\n\nNext<br>line"
    )
    assert dek == "Fast fibre, cheap H2O. Next line"
