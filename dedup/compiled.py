"""Optional compiled kernel (numba): text -> MinHash signatures of ASCII paragraphs in one loop.

Used when ``kernel="numba"`` (``pip install 'paradedup[numba]'``). For each
paragraph, one pass over its bytes does what the numpy stages do for a whole
batch, with no temporaries: the ASCII normalisation of :mod:`dedup.normalize`
(one lookup table: punctuation folded, case folded), the tokens and their
polynomial hashes of :mod:`dedup.shingle`, the n-gram shingle hashes, and the
MinHash minimum of :mod:`dedup.minhash` (``a_k * fmix32(h) + b_k mod 2^32``).
The maths is the same to the bit; the tests hold this kernel equal to the
numpy path. Other paragraphs are normalised as usual (NFKC and all), then
tokenised, hashed and signed by a second loop over their code points.

Example
-------
>>> from dedup import paragraph_signatures
>>> texts = ["The cat sat on the mat.", "the cat sat on the mat"]
>>> fast = paragraph_signatures(texts, kernel="numba")
>>> bool((fast == paragraph_signatures(texts)).all()), bool((fast[0] == fast[1]).all())
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numba
import numpy as np

from .config import DedupConfig
from .hashing import FMIX64_MULTIPLIERS, FOLD
from .minhash import EMPTY, permutations
from .normalize import _ascii_translation
from .shingle import _ALONE, _BMP_KIND, _TOKEN, SCRIPTIO_CONTINUA, TOKEN_BASE

__all__ = ["ascii_signatures", "normalized_signatures"]

_BASE, _FOLD = np.uint64(TOKEN_BASE), np.uint64(FOLD)
_M1, _M2 = (np.uint64(m) for m in FMIX64_MULTIPLIERS)
_LOW32 = np.uint64(0xFFFFFFFF)
# The one range of SCRIPTIO_CONTINUA above the Basic Multilingual Plane.
(_HAN_EXTENSIONS,) = [(lo, hi) for lo, hi in SCRIPTIO_CONTINUA if lo > 0xFFFF]
_NO_MAP = np.empty(0, dtype=np.uint32)


@numba.njit(inline="always")
def _fmix64(h):
    h ^= h >> np.uint64(33)
    h *= _M1
    h ^= h >> np.uint64(33)
    h *= _M2
    return h ^ (h >> np.uint64(33))


@numba.njit(inline="always")
def _fmix32(h):
    # On the low 32 bits of a uint64: numba computes integers at 64 bits, so
    # each product is cut back to 32 bits by hand.
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & _LOW32
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & _LOW32
    return h ^ (h >> np.uint64(16))


@numba.njit(inline="always")
def _sign(tokens, count, n, a, b, row):
    """``row``: the signature of the n-gram shingles of ``tokens[:count]``."""
    row[:] = EMPTY
    # A paragraph of 0 < count < n tokens has the one shingle of all of them.
    width = min(n, count)
    for start in range(count - width + 1 if count else 0):
        g = tokens[start]
        for j in range(1, width):
            g = g * _FOLD + tokens[start + j]
        x = _fmix32(_fmix64(g) & _LOW32)
        for k in range(a.shape[0]):
            value = (np.uint64(a[k]) * x + np.uint64(b[k])) & _LOW32
            if value < row[k]:
                row[k] = value


@numba.njit(cache=True)
def _signatures(units, offsets, n, a, b, mapped, kind, tokens, out):
    """``out[p]``: the signature of the text ``units[offsets[p]:offsets[p+1]]``.

    ``units`` are raw ASCII bytes that ``mapped`` normalises, or normalised code
    points (``mapped`` empty). ``kind`` is :data:`dedup.shingle._BMP_KIND`: a
    character of a script written without spaces is a token alone, as is one of
    the Han extensions above the Basic Multilingual Plane.
    """
    for p in range(offsets.shape[0] - 1):
        count = 0
        h = np.uint64(0)
        inside = False
        for i in range(offsets[p], offsets[p + 1]):
            c = mapped[units[i]] if mapped.shape[0] else units[i]
            if c <= 0xFFFF:
                what = kind[c]
            else:
                what = _ALONE if _HAN_EXTENSIONS[0] <= c <= _HAN_EXTENSIONS[1] else _TOKEN
            if what != _TOKEN and inside:  # a space or a character alone ends a word
                tokens[count] = _fmix64(h)
                count += 1
                h = np.uint64(0)
                inside = False
            if what == _ALONE:
                tokens[count] = _fmix64(np.uint64(c) + np.uint64(1))
                count += 1
            elif what == _TOKEN:
                h = h * _BASE + np.uint64(c) + np.uint64(1)
                inside = True
        if inside:
            tokens[count] = _fmix64(h)
            count += 1
        _sign(tokens, count, n, a, b, out[p])


@cache
def _byte_map(casefold: bool, fold_punctuation: bool) -> np.ndarray:
    """Each byte as ASCII normalisation leaves it (see :mod:`dedup.normalize`)."""
    table, deleted = _ascii_translation(fold_punctuation)
    assert not deleted, "no ASCII character is a format character"
    return np.frombuffer(table.lower() if casefold else table, dtype=np.uint8).copy()


def _offsets(texts: Sequence[str]) -> np.ndarray:
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=offsets[1:])
    return offsets


def _token_buffer(offsets: np.ndarray) -> np.ndarray:
    # A paragraph of L characters has at most L tokens (all alone).
    return np.empty(int(np.diff(offsets).max(initial=0)) + 1, dtype=np.uint64)


def ascii_signatures(texts: Sequence[str], config: DedupConfig) -> np.ndarray:
    """``(len(texts), num_perm)`` uint32 signatures of raw ASCII texts in word mode, each taken whole."""
    a, b = permutations(config.num_perm, config.seed)
    offsets = _offsets(texts)
    data = np.frombuffer("".join(texts).encode("ascii"), dtype=np.uint8)
    out = np.empty((len(texts), config.num_perm), dtype=np.uint32)
    _signatures(data, offsets, config.ngram_size, a, b, _byte_map(config.casefold, config.fold_punctuation),
                _BMP_KIND, _token_buffer(offsets), out)
    return out


def normalized_signatures(normalized: Sequence[str], config: DedupConfig) -> np.ndarray:
    """``(len(normalized), num_perm)`` uint32 signatures of normalised texts in word mode."""
    a, b = permutations(config.num_perm, config.seed)
    offsets = _offsets(normalized)
    code_points = np.frombuffer("".join(normalized).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    out = np.empty((len(normalized), config.num_perm), dtype=np.uint32)
    _signatures(code_points, offsets, config.ngram_size, a, b, _NO_MAP, _BMP_KIND, _token_buffer(offsets), out)
    return out
