"""WordPress footnotes (the block editor's, since 6.3) come with the article: their text
is in the post's ``footnotes`` meta, not its body, and each number still jumps to its
note and back."""

from __future__ import annotations

import json
import re

import pytest

from byline.articles.models import Article
from tests.wordpress.test_import import run_import
from tests.wordpress.wxr_factory import cdata, item, write, wxr

pytestmark = pytest.mark.django_db

NOTE_1 = "5e3e1a2b-0c4d-4e5f-8a9b-0c1d2e3f4a5b"
NOTE_2 = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
BODY = (
    '<!-- wp:paragraph --><p>Turnout rose<sup data-fn="' + NOTE_1 + '" class="fn">'
    '<a href="#' + NOTE_1 + '" id="' + NOTE_1 + '-link">1</a></sup> and the count was'
    ' late.<sup data-fn="'
    + NOTE_2
    + '" class="fn"><a href="#'
    + NOTE_2
    + '" id="'
    + NOTE_2
    + '-link">2</a></sup></p><!-- /wp:paragraph -->\n\n<!-- wp:footnotes /-->'
)
NOTES = [
    {
        "content": 'Electoral office, <a href="https://example.org/figures">figures</a>.',
        "id": NOTE_1,
    },
    {"content": "Two wards <script>x()</script>reported after midnight.", "id": NOTE_2},
]


def footnotes_meta(notes) -> str:
    return (
        f"<wp:postmeta><wp:meta_key>{cdata('footnotes')}</wp:meta_key>"
        f"<wp:meta_value>{cdata(json.dumps(notes))}</wp:meta_value></wp:postmeta>"
    )


def test_footnotes_are_imported_in_place_and_their_links_land(tmp_path, client):
    run_import(write(tmp_path, wxr(item(1, content=BODY, extra=footnotes_meta(NOTES)))))
    html = Article.objects.get().body_html
    notes = html[html.index("<ol>") :]
    assert notes.index("Electoral office") < notes.index("Two wards reported after midnight.")
    assert '<a href="https://example.org/figures" rel="noopener noreferrer">figures</a>' in notes
    assert "<script" not in html
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    links = re.findall(r'href="#([^"]+)"', html)
    assert len(links) == 4 and all(link in ids for link in links)


def test_a_post_without_its_footnotes_meta_keeps_its_numbers_and_no_empty_list(tmp_path):
    run_import(write(tmp_path, wxr(item(1, content=BODY))))
    html = Article.objects.get().body_html
    assert "Turnout rose<sup" in html and "<ol>" not in html
