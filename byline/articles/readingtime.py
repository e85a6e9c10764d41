"""Estimated reading time: a pure function of an article's rendered HTML.

Words are counted in the text, never in the markup. The rules:

* prose is read at ``words_per_minute`` (default 238, Brysbaert 2019: silent
  reading of English non-fiction);
* Chinese, Japanese and Korean characters are read at ``cjk_chars_per_minute``
  (default 500), one character at a time, since those scripts put no spaces
  between words;
* each image adds time, Medium's rule: 12 seconds for the first, 11 for the
  second, and so on down to 3 seconds for the tenth and every one after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

DEFAULT_WORDS_PER_MINUTE = 238
DEFAULT_CJK_CHARS_PER_MINUTE = 500

# Han ideographs, Hiragana, Katakana, Hangul syllables and Jamo, CJK punctuation excluded.
CJK_CHAR = re.compile(
    "[\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\U00020000-\U0002ffff]"
)
WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
SKIPPED_ELEMENTS = {"script", "style", "template"}


class _TextAndImages(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.images = 0
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images += 1
        elif tag in SKIPPED_ELEMENTS:
            self._skipping += 1
        # Block boundaries separate words: "<p>one</p><p>two</p>" is two words.
        self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_ELEMENTS and self._skipping:
            self._skipping -= 1
        self.chunks.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


@dataclass(frozen=True)
class TextStats:
    words: int
    cjk_characters: int
    images: int


def text_stats(html: str) -> TextStats:
    """Count the words, CJK characters and images of rendered HTML."""
    parser = _TextAndImages()
    parser.feed(html)
    parser.close()
    text = "".join(parser.chunks)
    cjk = len(CJK_CHAR.findall(text))
    words = len(WORD.findall(CJK_CHAR.sub(" ", text)))
    return TextStats(words=words, cjk_characters=cjk, images=parser.images)


def image_seconds(images: int) -> int:
    """Medium's rule: 12 s for the first image, one less for each next, never under 3 s."""
    return sum(max(12 - index, 3) for index in range(images))


def reading_seconds(
    html: str,
    words_per_minute: int = DEFAULT_WORDS_PER_MINUTE,
    cjk_chars_per_minute: int = DEFAULT_CJK_CHARS_PER_MINUTE,
) -> int:
    """Seconds an average reader needs for ``html``, rounded to the nearest second."""
    return seconds_for(text_stats(html), words_per_minute, cjk_chars_per_minute)


def seconds_for(
    stats: TextStats,
    words_per_minute: int = DEFAULT_WORDS_PER_MINUTE,
    cjk_chars_per_minute: int = DEFAULT_CJK_CHARS_PER_MINUTE,
) -> int:
    """Reading seconds from already-counted text (saves parsing the HTML twice)."""
    seconds = (
        stats.words * 60 / words_per_minute
        + stats.cjk_characters * 60 / cjk_chars_per_minute
        + image_seconds(stats.images)
    )
    return round(seconds)


def iso_duration(seconds: int) -> str:
    """ISO 8601 duration for ``<time datetime>`` and schema.org: 275 -> "PT4M35S"."""
    minutes, secs = divmod(max(seconds, 0), 60)
    hours, minutes = divmod(minutes, 60)
    parts = "PT"
    if hours:
        parts += f"{hours}H"
    if minutes or hours:
        parts += f"{minutes}M"
    return parts + f"{secs}S"


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def humanize(seconds: int) -> str:
    """Reading time as readers see it: 275 -> "4 minutes, 35 seconds"."""
    minutes, secs = divmod(max(seconds, 0), 60)
    if not minutes:
        return _plural(secs, "second")
    return f"{_plural(minutes, 'minute')}, {_plural(secs, 'second')}"
