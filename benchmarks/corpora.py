"""Readers for the shared real-text corpora (never copied into the repository).

The corpora live in ``../shared/data`` beside the repository; set
``DEDUP_SHARED_DATA`` to read them from elsewhere.
"""

from __future__ import annotations

import gzip
import json
import os
import random
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from dedup.stages.segment import paragraph_spans

SHARED_DATA = Path(os.environ.get("DEDUP_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
SAMPLE_ARTICLE = SHARED_DATA / "seed" / "000_6b42063b11dfa2d8.txt"


def records(name: str, limit: int | None = None) -> Iterator[dict]:
    """The JSON records of ``SHARED_DATA / name`` (gzip-compressed JSONL)."""
    with gzip.open(SHARED_DATA / name, "rt", encoding="utf-8") as lines:
        yield from (json.loads(line) for line in islice(lines, limit))


def paragraphs(name: str, limit: int | None = None, min_words: int = 0) -> list[str]:
    """Paragraphs of the first ``limit`` records' texts, cut as ``dedup.stages.segment`` does."""
    out = []
    for record in records(name):
        text = record["text"]
        out.extend(p for p in (text[s:e] for s, e in paragraph_spans(text)) if len(p.split()) >= min_words)
        if limit is not None and len(out) >= limit:
            return out[:limit]
    return out


def with_word_edits(words: list[str], edits: int, vocabulary: list[str], rng: random.Random) -> list[str]:
    """``words`` after ``edits`` random edits: substitute, insert or delete one word each."""
    words = list(words)
    for _ in range(edits):
        kind, at = rng.choice("sid"), rng.randrange(len(words))
        if kind == "s":
            words[at] = rng.choice(vocabulary)
        elif kind == "i":
            words.insert(at, rng.choice(vocabulary))
        elif len(words) > 1:
            del words[at]
    return words
