"""What a reader sees of a rendered post body, reduced to what both WordPress and Byline must keep.

WordPress's markup and Byline's differ on purpose (Byline's is sanitized
semantic HTML, WordPress adds ids, inline styles and wrapper divs), so the
comparison is of what survives in any faithful rendering: the words, the images,
the captions, the alignment, the audio and video sources, and the links.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from lxml import html as lxml_html

ALIGN = re.compile(r"\balign(left|right|center|wide|full)\b")
URL_WORD = re.compile(r"^https?://")


@dataclass(frozen=True)
class Shape:
    words: tuple[str, ...]
    images: frozenset[str]
    captions: frozenset[str]
    alignments: frozenset[str]
    media: frozenset[str]
    links: frozenset[str]


TYPOGRAPHY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def _text(node) -> str:
    """The text, with a space between elements (a table's cells are separate words)."""
    text = " ".join(html.unescape(part) for part in node.itertext())
    return " ".join(text.translate(TYPOGRAPHY).split())


def shape(fragment: str) -> Shape:
    """The reader-visible shape of an HTML fragment."""
    fragment = re.sub(r"<!--.*?-->", " ", fragment, flags=re.S)
    if not fragment.strip():
        return Shape((), frozenset(), frozenset(), frozenset(), frozenset(), frozenset())
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    words = tuple(
        word.strip(".,:;()").lower()
        for word in _text(root).split()
        if not URL_WORD.match(word) and word.strip(".,:;()")
    )
    images = frozenset(img.get("src", "") for img in root.iter("img"))
    captions = frozenset(_text(c) for c in root.iter("figcaption") if _text(c))
    alignments = frozenset(
        found for el in root.iter() for found in ALIGN.findall(el.get("class") or "")
    )
    media = frozenset(
        (el.get("src") or "").split("?_=")[0]
        for el in root.xpath("//audio|//video|//audio/source|//video/source|//iframe")
        if el.get("src")
    )
    links = frozenset(
        a.get("href", "")
        for a in root.iter("a")
        if not a.get("href", "").startswith("http://wordpress.test")  # attachment pages
    )
    return Shape(words, images, captions, alignments, media, links)
