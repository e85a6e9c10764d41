"""Markdown to safe HTML, done once when an article is saved."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from html import unescape as unescape_html
from html.parser import HTMLParser

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "address", "audio", "b", "blockquote", "br", "caption", "cite", "code", "dd",
    "del", "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "video",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "figure": {"data-provider"},  # an embed's provider (youtube...): wordpress/content.py
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "audio": {"src", "controls", "preload"},  # [audio] of an imported post: plays on request
    "video": {"src", "controls", "preload"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "sup": {"id"},  # footnotes: only the ids FOOTNOTE_ID allows (_footnote_ids)
    "li": {"id"},
}
# A footnote and its reference (Markdown's [^1], WordPress's footnotes): "fn:…" and
# "fnref:…" cannot be the id of anything the site's pages or scripts name.
FOOTNOTE_ID = re.compile(r"fn(?:ref)?:[\w-]{1,80}")
# Classes are a fixed vocabulary (no style attribute is ever kept): where an image or a
# block sits (WordPress's alignment classes) and what a block is. site.css styles them.
ALIGN = {"alignleft", "alignright", "aligncenter", "alignwide", "alignfull"}
ALLOWED_CLASSES = {
    "figure": {*ALIGN, "embed", "gallery", "pullquote", "table", "image", "cover", "audio",
               "video"},
    "img": ALIGN,
    "div": {*ALIGN, "columns", "column", "cover", "cover-text", "buttons"},
    "a": {"button"},
    "p": {"has-text-align-center", "has-text-align-right", "has-text-align-left"},
    "blockquote": {*ALIGN},
    "table": {*ALIGN},
    "hr": {"separator"},
}  # fmt: skip
# media:123 is a library image, resolved after sanitizing (byline.media.markup).
URL_SCHEMES = {"http", "https", "mailto", "media"}
MARKDOWN_EXTENSIONS = ["extra", "sane_lists", "smarty"]


# C0 and C1 control characters but tab and the line ends; vertical tab and form feed
# are line breaks (Word writes Shift+Enter as a vertical tab). Also never text: a lone
# surrogate (no UTF-8 can hold it: the database refuses it), the byte-order mark
# pasted with a file's first line, and the two noncharacters XML 1.0 forbids.
CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")
BREAKS = re.compile(r"[\x0b\x0c]")
# A terminal's escape sequences (pasted from a terminal, or a bot's): the whole of each
# goes, not only its ESC, which would leave "[31m" in the text. CSI (ESC [, parameters,
# intermediates, one final byte: colours, cursor moves) and OSC (ESC ], up to BEL or
# ESC \: window titles, links), as ECMA-48 has them. Their one-character C1 forms
# (U+009B, U+009D) are not read as sequences: in text they are a wrong decoding more
# likely than a terminal's, and reading one would eat the words after it. CONTROL
# removes them alone.
ESCAPE_SEQUENCES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)")
# In a name (``models.name_text``), line ends and tabs are spaces, one between words;
# and the explicit direction controls (embeddings, overrides, isolates: U+202A-U+202E,
# U+2066-U+2069) go: one left open turns the rest of the line around (a page title, a
# feed's title, the navigation). The marks U+200E/U+200F and U+061C, which set no direction beyond
# their own place, stay.
SPACING = re.compile(r"[ \t\n\r\x0b\x0c\x85\u2028\u2029]+")
DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# A C0 control written as a character reference (``&#27;``, ``&#x1B;``, even without the
# ";"): Python's ``html.unescape`` drops it where a browser keeps it, so "&#27;[31m" would
# leave "[31m" when the raw ESC takes its whole sequence with it. ``unescape`` reads it as
# the raw character, for the cleaning that follows to treat both forms alike.
CONTROL_REFERENCE = re.compile(r"&#(?:0*(\d{1,3})(?!\d)|[xX]0*([\da-fA-F]{1,2})(?![\da-fA-F]));?")


def typed_text(value: str, *, multiline: bool) -> str:
    """What an editor typed or pasted, without the control characters browsers draw as
    boxes (a terminal's escape sequences go whole): a vertical tab or form feed becomes a
    newline (a space on one line). Every other space is kept as typed: no-break, thin
    and narrow no-break spaces are typography (French puts U+202F before ; : ! ?)."""
    value = ESCAPE_SEQUENCES.sub("", value)
    return CONTROL.sub("", BREAKS.sub("\n" if multiline else " ", value))


def unescape(text: str) -> str:
    """``html.unescape``, but a C0 control given by a character reference is that
    control, as a browser reads it (``control_references``)."""
    return unescape_html(control_references(text))


def control_references(text: str) -> str:
    """``text`` with each C0 control given by a character reference (``CONTROL_REFERENCE``)
    written as the raw character: "&#27;[31mRed" is "\x1b[31mRed", which the cleaning
    of a name or a text takes whole ("Red"), as it does when the raw ESC arrives."""
    return CONTROL_REFERENCE.sub(_control, text) if "&#" in text else text


def _control(match: re.Match[str]) -> str:
    decimal, hexadecimal = match.groups()
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    return chr(code) if 0 < code < 0x20 or code == 0x7F else match.group(0)


def _footnote_ids(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id":
        return value if FOOTNOTE_ID.fullmatch(value) else None
    return value


def sanitize(html: str) -> str:
    """Keep only the markup an article body may carry; drop scripts, handlers, bad URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_footnote_ids,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


_local = threading.local()


def _converter() -> markdown.Markdown:
    """One Markdown converter per thread, reset between documents (building one is slow)."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, output_format="html")
        _local.converter = converter
    return converter.reset()


# Functions that turn parts of sanitized HTML into richer markup they build themselves
# (library images, embeds): apps register them when they start (byline.media.apps).
_expanders: list[Callable[[str], str]] = []


def register_expander(expander: Callable[[str], str]) -> None:
    if expander not in _expanders:
        _expanders.append(expander)


# One line of prose Markdown would leave as it is (no markup, no quotes or dashes for
# smartypants, no "1." list): an imported excerpt, usually. It skips the converter.
PLAIN_PROSE = re.compile(r"[^\W\d_](?:[^\W_]|[ ,.;:?%()])*")


def is_plain_prose(source: str) -> bool:
    """One line Markdown leaves as it is, but for the paragraph around it."""
    return bool(PLAIN_PROSE.fullmatch(source)) and ".." not in source and source[-1] != " "


def render_markdown(source: str) -> str:
    """Render an editor's Markdown to sanitized HTML, then let the expanders enrich it."""
    if is_plain_prose(source):
        html = f"<p>{source}</p>"  # what the converter and sanitizer would make of it
    else:
        html = sanitize(_converter().convert(source))
    return expand(html)


def expand(html: str) -> str:
    """Sanitized HTML as the registered expanders enrich it (library images, embeds).

    For HTML that skips Markdown (a WordPress import), so it reads as an editor's would.
    """
    for expander in _expanders:
        html = expander(html)
    return html


# Tags inside a line of text: "<em>fibre</em>." reads "fibre.", not "fibre .".
INLINE_TAGS = frozenset(
    "a abbr b bdi bdo cite code data del dfn em i ins kbd mark q s samp small span strong "
    "sub sup time u var".split()
)


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in INLINE_TAGS:
            self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag not in INLINE_TAGS:
            self.chunks.append(" ")

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def plain_text(html: str, *, typography: bool = False) -> str:
    """The words of sanitized HTML as plain text (entities decoded, one space between blocks).

    This is what the search index holds and what search snippets are cut from: every
    run of spaces is one plain space. With ``typography`` (a headline, a standfirst,
    which readers see as written) only line breaks and plain spaces are: no-break,
    thin and narrow no-break spaces stay (``SPACING``).
    """
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.chunks)
    return (SPACING.sub(" ", text) if typography else re.sub(r"\s+", " ", text)).strip()
