"""The seed corpus shipped with Byline: the YouTube Spam Collection (CC BY 4.0).

See ``data/README.md`` for its provenance, licence and quirks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
CORPUS_FILE = DATA_DIR / "youtube_dev.jsonl"
SHIPPED_MODEL_FILE = DATA_DIR / "seed_model.npz"


@dataclass(frozen=True)
class Example:
    text: str
    is_spam: bool
    source: str  # the video the comment was left under


@lru_cache(maxsize=1)
def seed_corpus() -> tuple[Example, ...]:
    """Every labelled comment of the shipped corpus, in its original order."""
    examples = []
    with CORPUS_FILE.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                examples.append(Example(row["text"], row["label"] == "spam", row["source"]))
    return tuple(examples)
