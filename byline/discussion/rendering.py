"""Comment bodies: plain text with paragraphs, autolinked URLs and a little markup.

Readers may use ``<em>``, ``<strong>``, ``<code>`` and ``<blockquote>`` (``<i>``
and ``<b>`` become em and strong); everything else is stripped by nh3, and the
finished HTML goes through nh3 once more, so nothing a reader writes can carry
a script, an event handler or a ``javascript:`` URL.
"""

from __future__ import annotations

import html
import re

import nh3

READER_TAGS = {"em", "strong", "code", "blockquote", "i", "b"}
OUTPUT_TAGS = {"p", "br", "em", "strong", "code", "blockquote", "a"}
URL_RE = re.compile(r"""\bhttps?://[^\s<>"']+""", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,;:!?)]}'\""
TAG_RE = re.compile(r"(<[^>]*>)")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
# C0 controls other than tab and newline, and C1 controls: never meaningful in a comment.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Normalise what a reader typed: newlines, control characters, outer whitespace."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_RE.sub("", text).strip()


def _autolink(fragment: str) -> str:
    """Turn bare URLs in an escaped text fragment into links."""

    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        trailing = ""
        while url and url[-1] in TRAILING_PUNCTUATION:
            trailing = url[-1] + trailing
            url = url[:-1]
        # The fragment is already escaped: undo the entity for '&', then escape once.
        raw = html.unescape(url)
        escaped = html.escape(raw, quote=True)
        return f'<a href="{escaped}">{escaped}</a>{trailing}'

    return URL_RE.sub(link, fragment)


def render_body(text: str) -> str:
    """Render a comment body to safe HTML (computed once, when the comment is saved)."""
    text = clean_text(text)
    cleaned = nh3.clean(text, tags=READER_TAGS, attributes={}, strip_comments=True)
    cleaned = cleaned.replace("<i>", "<em>").replace("</i>", "</em>")
    cleaned = cleaned.replace("<b>", "<strong>").replace("</b>", "</strong>")
    # Only attribute-less tags remain, so splitting on tags leaves pure text between them.
    linked = "".join(
        part if part.startswith("<") else _autolink(part) for part in TAG_RE.split(cleaned)
    )
    paragraphs = [p.strip() for p in PARAGRAPH_BREAK.split(linked) if p.strip()]
    joined = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return nh3.clean(
        joined,
        tags=OUTPUT_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
