"""Stage 3: turn normalised paragraphs into sets of 64-bit shingle hashes.

A paragraph's tokens are its words (whitespace-separated runs), except that
each character of a script written without spaces (Han, Hiragana, Katakana,
Thai, Lao, Khmer, Myanmar) is a token of its own, so Chinese, Japanese and Thai
are shingled by characters automatically. With ``unit="char"`` every character,
spaces included, is a token.

Each token is hashed with xxh3-64; the shingle of tokens ``t_i .. t_{i+n-1}`` is
``combine_columns([h(t_i), ..., h(t_{i+n-1})])``. A paragraph of ``0 < k < n``
tokens gets the single shingle of all its ``k`` tokens, so short paragraphs
still differ from each other instead of all sharing the empty set. A set is
returned sorted and without repeats.

Example
-------
>>> from dedup.shingle import shingle_hashes
>>> len(shingle_hashes("a b c a b c", "word", 3))  # abc, bca, cab
3
>>> len(shingle_hashes("东京是日本的首都", "word", 3))  # 8 characters, 6 trigrams
6
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from .hashing import combine_columns, hash_tokens

__all__ = ["ShingleSets", "gather_positions", "tokens", "ngram_hashes", "shingle_hashes", "shingle_sets"]

_SCRIPTIO_CONTINUA = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff\u31f0-\u31ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
    "\U00020000-\U0003134f"  # Han extensions
)
_WORD_TOKEN = re.compile(f"[{_SCRIPTIO_CONTINUA}]|[^\\s{_SCRIPTIO_CONTINUA}]+")


def tokens(normalized: str, unit: str) -> Iterable[str]:
    """The tokens of a normalised paragraph, lazily (no list is built)."""
    if unit == "char":
        return iter(normalized)
    return (match.group() for match in _WORD_TOKEN.finditer(normalized))


def ngram_hashes(token_hashes: np.ndarray, n: int) -> np.ndarray:
    """One hash per window of ``n`` consecutive tokens (one window if fewer)."""
    if len(token_hashes) == 0:
        return token_hashes
    width = min(n, len(token_hashes))
    count = len(token_hashes) - width + 1
    return combine_columns([token_hashes[i : i + count] for i in range(width)])


def shingle_hashes(normalized: str, unit: str, n: int) -> np.ndarray:
    """Sorted unique uint64 shingle hashes of one normalised paragraph."""
    return np.unique(ngram_hashes(hash_tokens(tokens(normalized, unit)), n))


@dataclass(frozen=True)
class ShingleSets:
    """Shingle sets of a batch, concatenated: set ``i`` is ``values[offsets[i]:offsets[i+1]]``.

    ``token_counts[i]`` is the number of tokens the paragraph had.
    """

    values: np.ndarray
    offsets: np.ndarray
    token_counts: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> np.ndarray:
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    def take(self, ids: np.ndarray) -> ShingleSets:
        """The sets at positions ``ids``, in that order."""
        ids = np.asarray(ids, dtype=np.int64)
        sizes = self.sizes[ids]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return ShingleSets(values=self.values[gather_positions(self.offsets, ids)],
                           offsets=offsets, token_counts=self.token_counts[ids])


def gather_positions(offsets: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions in the concatenated values of sets ``ids``, one after another."""
    starts, sizes = offsets[ids], offsets[ids + 1] - offsets[ids]
    ends = np.cumsum(sizes)
    return np.arange(ends[-1] if len(ends) else 0, dtype=np.int64) + np.repeat(starts - (ends - sizes), sizes)


def shingle_sets(normalized_texts: Iterable[str], unit: str, n: int) -> ShingleSets:
    """The shingle sets of a batch of normalised paragraphs."""
    sets, counts = [], []
    for text in normalized_texts:
        token_hashes = hash_tokens(tokens(text, unit))
        counts.append(len(token_hashes))
        sets.append(np.unique(ngram_hashes(token_hashes, n)))
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    values = np.concatenate(sets) if sets else np.empty(0, dtype=np.uint64)
    return ShingleSets(values=values.astype(np.uint64, copy=False), offsets=offsets,
                       token_counts=np.array(counts, dtype=np.int64))
