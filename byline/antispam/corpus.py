"""The labelled comments shipped with Byline, that the starting model is trained on.

- ``youtube_dev.jsonl``: the YouTube Spam Collection (CC BY 4.0), spam and genuine
  comments under four music videos;
- ``news_ham_civil.jsonl``: 3,000 genuine comments from about 50 news sites (Civil
  Comments, CC0), the prior for what a news site's readers write;
- ``newsroom_handwritten.jsonl``: comments written for the project, genuine newsroom
  comments in many languages and the spam families a news site sees.

See ``data/README.md`` for provenance, licences and quirks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
CORPUS_FILE = DATA_DIR / "youtube_dev.jsonl"
NEWS_HAM_FILE = DATA_DIR / "news_ham_civil.jsonl"
NEWSROOM_FILE = DATA_DIR / "newsroom_handwritten.jsonl"
SHIPPED_MODEL_FILE = DATA_DIR / "seed_model.npz"


@dataclass(frozen=True)
class Example:
    text: str
    is_spam: bool
    source: str  # the file (and video) the comment comes from
    family: str = ""  # for the hand-written set: which kind of comment it is


@lru_cache(maxsize=4)
def _read(path: Path) -> tuple[Example, ...]:
    """A labelled set, in its file's order, read once."""
    examples = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                family = row.get("family", "")
                source = row.get("source") or f"{path.name}/{family}"
                examples.append(Example(row["text"], row["label"] == "spam", source, family))
    return tuple(examples)


def youtube_corpus() -> tuple[Example, ...]:
    """The YouTube comments, in their original order (``source`` names the video)."""
    return _read(CORPUS_FILE)


def news_ham_corpus() -> tuple[Example, ...]:
    """The genuine news-site comments (no spam), in their original order."""
    return _read(NEWS_HAM_FILE)


def newsroom_corpus() -> tuple[Example, ...]:
    """The hand-written newsroom comments, genuine and spam, with their ``family``."""
    return _read(NEWSROOM_FILE)


@lru_cache(maxsize=1)
def seed_corpus() -> tuple[Example, ...]:
    """Every labelled comment the starting model is trained on."""
    return youtube_corpus() + news_ham_corpus() + newsroom_corpus()
