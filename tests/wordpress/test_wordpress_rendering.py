"""Imported bodies keep what WordPress itself shows readers of the same content.

tests/wordpress/data/rendering/cases.json holds post bodies as WordPress writes
them (classic shortcodes: [caption], [gallery] with and without ids, [embed],
[audio], [video]; blocks: heading, list, quote, pullquote, separator, image with
alignment and caption, table, columns, cover, buttons, embed; <!--more-->,
<!--nextpage-->; <address>). wordpress-6.1.9.json is what WordPress 6.1.9
(Debian's package) rendered of each through its ``the_content`` filters, every
page of a paged post, with no network (so oEmbed URLs stay links). Byline's
conversion must keep the same words, images, captions, alignment, audio and
video sources, and links (it may link a bare address WordPress could not embed
offline). The reference is checked against a live WordPress when one is here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from byline.wordpress.content import Attachment, Attachments, body_html
from tests.wordpress.rendering import shape
from tests.wordpress.wpsite import WordPressSite, skip_reason

DATA = Path(__file__).resolve().parent / "data" / "rendering"
CASES = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))
REFERENCE = json.loads((DATA / "wordpress-6.1.9.json").read_text(encoding="utf-8"))
POST_ID = 7  # the post the attached images of "[gallery]" without ids belong to


def attachments() -> Attachments:
    found = Attachments()
    for wp_id, url in CASES["library"].items():
        found.by_id[int(wp_id)] = Attachment(url=url)
    for order, url in enumerate(CASES["attachments"]):
        found.by_id[900 + order] = Attachment(url=url, parent_id=POST_ID, menu_order=order)
        found.by_parent.setdefault(POST_ID, []).append(900 + order)
    return found


def byline(name: str) -> str:
    source = CASES["cases"][name]
    return body_html(
        source, base_url="https://old.example", attachments=attachments(), post_id=POST_ID
    )


@pytest.mark.parametrize("name", sorted(CASES["cases"]))
def test_byline_keeps_what_wordpress_shows(name):
    """Same words, images, captions, alignment and media as WordPress; nothing left over."""
    ours, theirs = shape(byline(name)), shape(REFERENCE[name])
    assert ours.words == theirs.words
    assert ours.images == theirs.images
    assert ours.captions == theirs.captions
    assert ours.alignments == theirs.alignments
    assert ours.media == theirs.media
    assert theirs.links <= ours.links
    html = byline(name)
    assert "<!--" not in html and not re.search(r"\[/?[a-z_]+[ \]]", html)
    assert not re.search(r"<p>\s*</p>", html)


def test_audio_and_video_play_in_the_browser_and_load_nothing_before():
    html = byline("audio") + byline("video")
    assert '<audio controls preload="none" src="https://old.example/' in html
    assert '<video controls preload="none" src="https://old.example/' in html


@pytest.mark.wordpress
@pytest.mark.skipif(skip_reason() is not None, reason=f"no WordPress: {skip_reason()}")
def test_the_stored_reference_is_what_wordpress_renders():
    site = WordPressSite("render")
    site.install()
    try:
        live = site.render(CASES["cases"], CASES["attachments"], CASES["library"])
    finally:
        site.drop()
    for name, rendered in live.items():
        assert shape(rendered) == shape(REFERENCE[name]), name
