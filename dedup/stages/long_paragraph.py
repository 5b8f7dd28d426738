"""The features of one paragraph longer than a batch, window by window.

A dump without line breaks can be a single paragraph of hundreds of
megabytes. Normalising and shingling it whole would take tens of bytes per
character; instead it goes through the stages in windows of about
:data:`WINDOW_CHARS` characters, and what is kept is its fingerprint, token
count, number key and set of distinct shingles, whose size grows with the
variety of the text, not its length.

A window ends just before an ASCII whitespace character. The result is the
same as the whole paragraph's, because:

- **Normalisation** is per character (case folding, deletions, folding to
  spaces), or within runs that an ASCII character ends (Unicode normalisation:
  an ASCII character is stable and composes with nothing before it). A kept
  mark looks two characters either way, and on both sides of the cut the
  whitespace character is what the whole text has there. So the normalised
  paragraph is its normalised windows that are not empty, joined by one space.
- The **fingerprint** (xxh3-128) and the **number key** (xxh3-64) are streaming
  hashes, fed window by window.
- **Shingles**: each window is shingled after the last ``n - 1`` tokens before
  it, so every shingle of the whole lies in one piece; the set is the union of
  the pieces' sets. While the text so far has fewer than ``n`` tokens, windows
  are put together before shingling, so the rule for short paragraphs sees the
  same tokens as for the whole.
- **MinHash** of a union is the elementwise minimum of the parts' signatures.

A paragraph with no ASCII whitespace for longer than a window (one long token,
or a script written without spaces) stays one window.

Example
-------
>>> from dedup.engines.local import stages
>>> from dedup.config import DedupConfig
>>> config = DedupConfig()
>>> text = "Word, and word again: " * 5
>>> whole = long_paragraph(text, 0, len(text), config, stages(config))
>>> windowed = long_paragraph(text, 0, len(text), config, stages(config), window_chars=7)
>>> whole.tokens, windowed.tokens, bool((whole.shingles == windowed.shingles).all())
(20, 20, True)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import xxhash

from .arrays import sorted_unique
from .normalize import NormalizedTexts, number_words
from .shingle import ShingleSets, token_starts

if TYPE_CHECKING:
    from ..config import DedupConfig
    from ..engines.local import Stages

__all__ = ["WINDOW_CHARS", "LongParagraph", "long_paragraph", "long_number_key"]

WINDOW_CHARS = 1 << 20  # characters per window: a few MB of temporaries
_CUT = re.compile(r"[\t\n\x0b\x0c\r ]")
# Shingles per signature call: the sum of a few windows' distinct shingles.
_SIGNED_CHUNK = 1 << 20


@dataclass(frozen=True)
class LongParagraph:
    """What :func:`dedup.engines.local.paragraph_features` keeps of one paragraph:
    ``fingerprint`` (two uint64), ``tokens``, ``shingles`` (its distinct
    shingle hashes, ascending), ``signature`` (its MinHash, or ``None`` if it
    has no shingles) and ``number_key`` (as :func:`dedup.stages.normalize.number_keys`)."""

    fingerprint: np.ndarray
    tokens: int
    shingles: np.ndarray
    signature: np.ndarray | None
    number_key: int

    def shingle_sets(self) -> ShingleSets:
        """Its shingles as a batch of one set."""
        return ShingleSets(self.shingles, np.array([0, len(self.shingles)]), np.array([self.tokens]))


def windows(text: str, start: int, end: int, window_chars: int = WINDOW_CHARS) -> Iterator[str]:
    """``text[start:end]`` in pieces of at least ``window_chars`` characters
    (but for the last), each but the first beginning with ASCII whitespace."""
    while end - start > window_chars:
        cut = _CUT.search(text, start + window_chars, end)
        if cut is None:
            break
        yield text[start : cut.start()]
        start = cut.start()
    yield text[start:end]


def _joined(units: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(units, dtype=np.uint32 if any(u.dtype != np.uint8 for u in units) else np.uint8)


def _one_text(units: np.ndarray) -> NormalizedTexts:
    return NormalizedTexts(units, np.array([0, len(units)]))


_SPACE = np.array([ord(" ")], dtype=np.uint8)


def long_paragraph(text: str, start: int, end: int, config: DedupConfig, kernel: Stages,
                   window_chars: int = WINDOW_CHARS) -> LongParagraph:
    """The features of paragraph ``text[start:end]``, computed window by window
    with ``kernel``'s stages under ``config`` (see the module docstring)."""
    n = config.ngram_size
    fingerprint, spaced = xxhash.xxh3_128(seed=0), xxhash.xxh3_128(seed=1)
    numbers = _NumberKey()
    has_text = has_raw = False
    tail = np.empty(0, dtype=np.uint8)  # the last n - 1 tokens shingled, or all tokens if none were
    tail_tokens, tokens, shingled = 0, 0, False
    found: list[np.ndarray] = []
    for window in windows(text, start, end, window_chars):
        words = "" if has_text else " ".join(window.split())
        if words:  # while the paragraph is all marks, its identity (see dedup.engines.local._fingerprints)
            spaced.update((" " if has_raw else "").encode("utf-32-le") + words.encode("utf-32-le", "surrogatepass"))
            has_raw = True
        units = kernel.normalized([window], config).units
        if not len(units):
            continue
        separator = [_SPACE] if has_text else []
        fingerprint.update(_joined([*separator, units]).astype("<u4").tobytes())
        has_text = True
        numbers.add(units)
        piece = _joined([tail, *separator, units])
        starts = token_starts(piece, config.shingle)
        tokens += len(starts) - tail_tokens
        if len(starts) < n:
            tail, tail_tokens = piece, len(starts)
            continue
        found.append(sorted_unique(kernel.shingle_sets(_one_text(piece), config).values))
        shingled = True
        tail = piece[starts[len(starts) - n + 1]:] if n > 1 else piece[:0]
        tail_tokens = n - 1
        if len(found) > 1 and sum(map(len, found[1:])) > len(found[0]):
            found = [sorted_unique(np.concatenate(found))]
    if not shingled and len(tail):
        found.append(sorted_unique(kernel.shingle_sets(_one_text(tail), config).values))
    shingles = sorted_unique(np.concatenate(found)) if found else np.empty(0, dtype=np.uint64)
    digest = (fingerprint if has_text else spaced).digest()
    return LongParagraph(np.frombuffer(digest, dtype=">u8").astype(np.uint64), tokens, shingles,
                         _signature(shingles, tokens, config, kernel),
                         numbers.key)


def long_number_key(text: str, start: int, end: int, config: DedupConfig, kernel: Stages,
                    window_chars: int = WINDOW_CHARS) -> int:
    """The ``number_key`` of :func:`long_paragraph` alone: its windows normalised, not shingled."""
    numbers = _NumberKey()
    for window in windows(text, start, end, window_chars):
        numbers.add(kernel.normalized([window], config).units)
    return numbers.key


class _NumberKey:
    """:func:`dedup.stages.normalize.number_keys` of one text, fed its normalised windows in order."""

    def __init__(self) -> None:
        self._hash, self._found = xxhash.xxh3_64(), False

    def add(self, units: np.ndarray) -> None:
        words = number_words(_one_text(units).strings()[0])
        if words:
            self._hash.update((("\x00" if self._found else "") + "\x00".join(words)).encode("utf-8", "surrogatepass"))
            self._found = True

    @property
    def key(self) -> int:
        return self._hash.intdigest() if self._found else 0


def _signature(shingles: np.ndarray, tokens: int, config: DedupConfig, kernel: Stages) -> np.ndarray | None:
    """The MinHash of ``shingles``, the minimum of its chunks' signatures."""
    if not len(shingles):
        return None
    signature = None
    for c0 in range(0, len(shingles), _SIGNED_CHUNK):
        chunk = shingles[c0 : c0 + _SIGNED_CHUNK]
        part = kernel.signatures(ShingleSets(chunk, np.array([0, len(chunk)]), np.array([tokens])), config)[0]
        signature = part.copy() if signature is None else np.minimum(signature, part)
    return signature
