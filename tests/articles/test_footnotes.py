"""Footnotes an editor writes in Markdown (``[^1]``) work on the page: the number jumps
to its note and the note's arrow jumps back. No other id reaches the page, so a body
cannot take the name of anything the site's pages or scripts use."""

from __future__ import annotations

import re

import pytest

from tests.factory import make_article

pytestmark = pytest.mark.django_db


def targets_exist(html: str) -> list[str]:
    """The in-page links of the body whose target is missing."""
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    return [href for href in re.findall(r'href="#([^"]+)"', html) if href not in ids]


def test_a_footnote_and_its_way_back_both_land(client):
    article = make_article(
        body="The council voted 7 to 2.[^vote] Turnout rose.[^2]\n\n"
        "[^vote]: Minutes of the meeting, page 4.\n[^2]: The electoral office's figures."
    )
    html = client.get(article.get_absolute_url()).text
    body = html[html.index('<div class="body">') : html.index('<nav class="share"')]
    assert body.count('href="#fn:') == 2 and body.count('href="#fnref:') == 2
    assert targets_exist(body) == []


def test_ids_other_than_footnotes_are_dropped(client):
    """Markdown's ``{#respond}`` or raw ``id=`` never reach the page."""
    article = make_article(
        body='## Reply {#respond}\n\n<p id="comments">Text</p>\n\n<sup id="fn:ok">1</sup>'
    )
    html = client.get(article.get_absolute_url()).text
    body = html[html.index('<div class="body">') : html.index('<nav class="share"')]
    assert re.findall(r'\bid="([^"]+)"', body) == ["fn:ok"]
