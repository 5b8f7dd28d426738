"""Slow, obvious references that the fast paths are tested and measured against.

:func:`reference_shingles` computes a paragraph's shingle set one character at
a time in plain Python, exactly as :mod:`dedup.shingle` defines it.

:func:`exact_pairs` returns every pair of sets with Jaccard >= ``threshold``,
with no sampling or hashing error, using *prefix filtering*: order shingles
from rarest to commonest; if ``J(A, B) >= t`` then the first
``|A| - ceil(t |A|) + 1`` shingles of ``A`` and the corresponding prefix of
``B`` share a shingle. So only pairs that meet in a prefix's inverted list are
candidates, each verified exactly. The rare-first order keeps the lists short;
a shingle in every prefix would still make it quadratic, as brute force is.

Example
-------
>>> from dedup.shingle import shingle_sets
>>> from dedup.reference import exact_pairs
>>> sets = shingle_sets(["a b c d e", "a b c d f", "v w x y z"], "word", 1)
>>> [(int(i), int(j)) for i, j in zip(*exact_pairs(sets, 0.6))]
[(0, 1)]
"""

from __future__ import annotations

import numpy as np

import re

from .arrays import run_starts
from .hashing import FMIX64_MULTIPLIERS, FOLD
from .shingle import SCRIPTIO_CONTINUA, TOKEN_BASE, ShingleSets
from .verify import jaccard

__all__ = ["reference_tokens", "reference_shingles", "exact_pairs"]

_MASK = (1 << 64) - 1
_ALONE = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in SCRIPTIO_CONTINUA)
_WORD = re.compile(f"[{_ALONE}]|[^\\s{_ALONE}]+")


def reference_tokens(text: str, unit: str) -> list[str]:
    """Tokens by regular expression: words, with each scriptio-continua character alone."""
    return list(text) if unit == "char" else _WORD.findall(text)


def _fmix64(h: int) -> int:
    m1, m2 = FMIX64_MULTIPLIERS
    h ^= h >> 33
    h = (h * m1) & _MASK
    h ^= h >> 33
    h = (h * m2) & _MASK
    return h ^ (h >> 33)


def _token_hash(token: str) -> int:
    h = 0
    for character in token:
        h = (h * TOKEN_BASE + ord(character) + 1) & _MASK
    return _fmix64(h)


def reference_shingles(text: str, unit: str, n: int) -> set[int]:
    """The shingle set of one normalised paragraph, in plain Python integers."""
    hashes = [_token_hash(t) for t in reference_tokens(text, unit)]
    width = min(n, len(hashes))
    shingles = set()
    for i in range(len(hashes) - width + 1 if hashes else 0):
        h = hashes[i]
        for value in hashes[i + 1 : i + width]:
            h = (h * FOLD + value) & _MASK
        shingles.add(_fmix64(h))
    return shingles


def _pairs_within_groups(group: np.ndarray, item: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs of items sharing a group, as ``(smaller, larger)``; ``group`` sorted."""
    position = np.arange(len(group))
    starts = run_starts(group)
    group_end = np.append(np.flatnonzero(starts)[1:], len(group))[np.cumsum(starts) - 1]
    partners = group_end - position - 1  # later items in the same group
    left = np.repeat(position, partners)
    right = left + 1 + np.arange(len(left)) - np.repeat(np.cumsum(partners) - partners, partners)
    a, b = item[left], item[right]
    return np.minimum(a, b), np.maximum(a, b)


def exact_pairs(sets: ShingleSets, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """All ``(i, j)``, ``i < j``, with exact Jaccard >= ``threshold``, sorted."""
    sets = sets.unique()
    owner = np.repeat(np.arange(len(sets), dtype=np.int64), sets.sizes)
    values, counts = np.unique(sets.values, return_counts=True)
    frequency = counts[np.searchsorted(values, sets.values)]
    order = np.lexsort((sets.values, frequency, owner))  # each set rarest first
    rank = np.arange(len(order)) - np.repeat(sets.offsets[:-1], sets.sizes)
    prefix = sets.sizes - np.ceil(threshold * sets.sizes - 1e-9).astype(np.int64) + 1
    in_prefix = rank < prefix[owner]
    token, member = sets.values[order][in_prefix], owner[order][in_prefix]
    by_token = np.lexsort((member, token))
    left, right = _pairs_within_groups(token[by_token], member[by_token])
    keys = np.unique(left * len(sets) + right)
    left, right = keys // len(sets), keys % len(sets)
    keep = jaccard(sets, left, right) >= threshold
    return left[keep], right[keep]
