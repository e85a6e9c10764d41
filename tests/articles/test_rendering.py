"""Rendering an editor's Markdown: the short cut for plain prose changes nothing."""

import pytest

from byline.articles import rendering

PROSE = [
    "Hello world.",
    "The council said on tuesday that budget talks would continue.",
    "Rates rose 5% in 2015, (again); why? Because: reasons.",
    "U.S. policy",
    "Zürich: Ärger über Öl",
    "日本語の文",
    "Hello  world",
]
NOT_PROSE = [
    "It's a test",  # smartypants: a curly apostrophe
    "A -- B",  # an en dash
    "Wait... what",  # an ellipsis
    "1. first",  # a list
    "x & y",  # an entity
    "a *b* c",
    "snake_case_word",
    "a\nb",
    "End. ",
    "<b>bold</b>",
]


def converted(source: str) -> str:
    html = rendering.sanitize(rendering._converter().convert(source))
    for expand in rendering._expanders:
        html = expand(html)
    return html


@pytest.mark.parametrize("source", PROSE + NOT_PROSE)
def test_plain_prose_renders_as_the_converter_renders_it(source):
    """A line of plain prose (an imported excerpt) skips Markdown and gives the same HTML."""
    assert rendering.render_markdown(source) == converted(source)


def test_only_plain_prose_takes_the_short_cut():
    """Text with anything Markdown or smartypants would change goes through the converter."""
    assert [s for s in PROSE if not rendering.is_plain_prose(s)] == []
    assert [s for s in NOT_PROSE if rendering.is_plain_prose(s)] == []
