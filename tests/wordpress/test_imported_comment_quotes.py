"""A reader who quoted someone on the old site still quotes them: an imported comment's
``<blockquote>`` stays a quotation, apart from the reader's own words, as readers'
comments written on Byline keep theirs."""

from __future__ import annotations

import re

import pytest

from byline.discussion.markup import render_body
from byline.discussion.models import Comment
from tests.wordpress.test_import import run_import
from tests.wordpress.wxr_factory import comment, item, write, wxr

pytestmark = pytest.mark.django_db


def quotes(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", " ", q).split()
        for q in re.findall(r"<blockquote>(.*?)</blockquote>", html, re.S)
    ]


def test_a_quoted_passage_stays_a_quotation(tmp_path):
    comments = (
        comment(
            1,
            "<blockquote><p>The council will decide in May.</p><p>Nothing is settled.</p>"
            "</blockquote>\nThat is not what the minutes say.",
        ),
        comment(2, "As Ann said:\n<blockquote>Turnout rose</blockquote>\nI agree."),
    )
    run_import(write(tmp_path, wxr(item(1, comments=comments))))
    first, second = (c.body_html for c in Comment.objects.order_by("import_id"))
    assert quotes(first) == [
        ["The", "council", "will", "decide", "in", "May.", "Nothing", "is", "settled."]
    ]
    assert "That is not what the minutes say." not in "".join(
        re.findall(r"<blockquote>.*?</blockquote>", first, re.S)
    )
    assert "That is not what the minutes say." in first
    assert quotes(second) == [["Turnout", "rose"]]
    assert second.index("As Ann said:") < second.index("<blockquote>") < second.index("I agree.")


def test_a_comment_with_a_quotation_has_no_empty_paragraphs():
    html = render_body("Before\n<blockquote>Q</blockquote>\nafter")
    assert "<p></p>" not in html
    assert html == "<p>Before</p><blockquote>Q</blockquote><p>after</p>"
