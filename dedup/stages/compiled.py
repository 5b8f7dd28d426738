"""Optional compiled kernel (numba): the normalize, shingle, MinHash and verify stages as loops.

Used when ``kernel="numba"`` (``pip install 'paradedup[numba]'``), by
:func:`dedup.find_duplicates` and :func:`dedup.paragraph_signatures` alike.
Each function here is the twin of a numpy stage and returns the same result to
the bit; the tests hold each pair equal. The maths is in the numpy modules:

- :func:`normalized`: :func:`dedup.stages.normalize.normalized_texts`. Unicode
  normalisation stays in Python; then one lookup table per code point (case
  folded, punctuation folded, format characters deleted, whitespace collapsed
  on the way).
- :func:`shingle_sets`: :func:`dedup.stages.shingle.shingle_sets`, one pass per
  paragraph: tokens, their polynomial hashes, then the n-gram shingle hashes.
- :func:`signatures`: :func:`dedup.stages.minhash.signatures`, the minimum of
  ``a_k * fmix32(h) + b_k mod 2^32`` over each set, permutation by permutation.
- :func:`jaccard`: :func:`dedup.stages.verify.jaccard`, through one hash table per
  pair.
- :func:`ascii_signatures`: raw ASCII text straight to signatures, the three
  stages fused in one pass that keeps nothing but each paragraph's tokens.

The loops release the GIL (``nogil``), so batches in a ``ThreadPoolExecutor``
(``executor=`` of :func:`dedup.find_duplicates`) run them in parallel.

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

from ..config import DedupConfig
from .arrays import text_offsets
from .cluster import MAX_KEPT_PER_BUCKET
from .hashing import FMIX64_MULTIPLIERS, FOLD
from .minhash import EMPTY, permutations
from .normalize import (
    _DELETED,
    _EXPANDED,
    DIGIT,
    ENDING,
    JOINER,
    LETTER,
    NormalizedTexts,
    _ascii_translation,
    _code_point_table,
    _folded_table,
    mark_kinds,
    split_ascii,
    unicode_normalized,
)
from .shingle import _ALONE, _BMP_KIND, _TOKEN, SCRIPTIO_CONTINUA, TOKEN_BASE, ShingleSets

__all__ = ["normalized", "shingle_sets", "signatures", "jaccard", "ascii_signatures", "greedy_representatives"]

_BASE, _FOLD = np.uint64(TOKEN_BASE), np.uint64(FOLD)
_M1, _M2 = (np.uint64(m) for m in FMIX64_MULTIPLIERS)
_LOW32 = np.uint64(0xFFFFFFFF)
# The one range of SCRIPTIO_CONTINUA above the Basic Multilingual Plane.
(_HAN_EXTENSIONS,) = [(lo, hi) for lo, hi in SCRIPTIO_CONTINUA if lo > 0xFFFF]
_NO_MAP = np.empty(0, dtype=np.uint8)
_LETTER, _DIGIT, _JOINER, _ENDING = np.uint8(LETTER), np.uint8(DIGIT), np.uint8(JOINER), np.uint8(ENDING)
_NO_EXPANSIONS = np.full((1, 1), _DELETED, dtype=np.uint32)


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
def _kept_mark(units, i, start, stop, marks):
    """:func:`dedup.stages.normalize.kept_marks` at ``units[i]`` of text ``units[start:stop]``."""
    if marks[units[i]] & _ENDING:
        if i > start and marks[units[i - 1]] & (_LETTER | _DIGIT):
            return True
        return i - 1 > start and units[i - 1] == units[i] and marks[units[i - 2]] & (_LETTER | _DIGIT) != 0
    if not marks[units[i]] & _JOINER:
        return False
    if (i > start and i + 1 < stop and marks[units[i - 1]] & _DIGIT) and marks[units[i + 1]] & _DIGIT:
        return True
    return (units[i] == 46 and i > start and marks[units[i - 1]] & _LETTER != 0
            and not (i - 1 > start and marks[units[i - 2]] & _LETTER) and i + 2 < stop
            and marks[units[i + 1]] & _LETTER != 0 and units[i + 2] == 46)


@numba.njit(inline="always")
def _tokens(units, start, stop, mapped, marks, kind, by_char, tokens):
    """Hashes of the tokens of ``units[start:stop]`` into ``tokens``; returns their number.

    ``mapped``, unless empty, normalises each unit first, keeping the marks
    ``marks`` (:func:`dedup.stages.normalize.mark_kinds`, empty when punctuation is
    not folded) says to keep. ``kind`` is
    :data:`dedup.stages.shingle._BMP_KIND`: a character of a script written without
    spaces is a token alone, as is one of the Han extensions above the Basic
    Multilingual Plane. ``by_char``: every character is a token.
    """
    count = 0
    h = np.uint64(0)
    inside = False
    for i in range(start, stop):
        c = units[i]
        if mapped.shape[0]:
            c = mapped[c]
            if c == 32 and marks.shape[0] and _kept_mark(units, i, start, stop, marks):
                c = units[i]
        if by_char:
            what = _ALONE
        elif c <= 0xFFFF:
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
    return count


@numba.njit(inline="always")
def _shingle_count(count, n):
    # A paragraph of 0 < count < n tokens has the one shingle of all of them.
    return count - n + 1 if count >= n else min(count, 1)


@numba.njit(inline="always")
def _shingle(tokens, start, n, count):
    """The hash of the shingle of ``min(n, count)`` tokens from ``tokens[start]``."""
    g = tokens[start]
    for j in range(1, min(n, count)):
        g = g * _FOLD + tokens[start + j]
    return _fmix64(g)


@numba.njit(inline="always")
def _take_minimum(value, a, b, row):
    # uint32 throughout (numba widens each product, LLVM narrows it back):
    # 32-bit lanes are twice as many per vector as 64-bit ones, and AVX2 has
    # no 64-bit multiply at all. Measured 5x faster than uint64 arithmetic.
    x = np.uint32(_fmix32(value & _LOW32))
    for k in range(a.shape[0]):
        row[k] = min(row[k], np.uint32(a[k] * x + b[k]))


@numba.njit(inline="always")
def _normalize_text(units, start, stop, mapped, marks, expansions, out, w):
    """Text ``units[start:stop]`` through ``mapped`` (but for the marks that
    ``marks`` says to keep, see :func:`_kept_mark`), runs of spaces as one, ends
    stripped, into ``out`` from ``w``; returns where it ends.

    ``mapped`` maps all whitespace to ``" "``, characters to delete to
    ``_DELETED``, and a character that becomes several (case folding ``ß`` is
    ``ss``) to ``_EXPANDED + k``: they are row ``k`` of ``expansions``, padded
    with ``_DELETED``.
    """
    first = w
    after_space = True  # so that leading spaces are dropped
    for i in range(start, stop):
        c = mapped[units[i]]
        if c == _DELETED:
            continue
        if c == 32 and marks.shape[0] and _kept_mark(units, i, start, stop, marks):
            c = units[i]
        if c >= _EXPANDED:
            for e in expansions[c - _EXPANDED]:
                if e != _DELETED:
                    w, after_space = _put(out, w, e, after_space)
            continue
        w, after_space = _put(out, w, c, after_space)
    return w - (after_space & (w > first))  # a trailing space


@numba.njit(inline="always")
def _put(out, w, c, after_space):
    # Without branches: every character is written, and a space after a space
    # is then overwritten. Measured 2.4x faster than branching.
    space = c == 32
    out[w] = c
    return w + 1 - (space & after_space), space


@numba.njit(cache=True, nogil=True)
def _normalize(units, offsets, mapped, marks, out, out_offsets):
    """Each text ``units[offsets[p]:offsets[p+1]]`` by :func:`_normalize_text`
    (no expansions) into ``out[out_offsets[p]:out_offsets[p+1]]``."""
    w = 0
    for p in range(offsets.shape[0] - 1):
        out_offsets[p] = w
        w = _normalize_text(units, offsets[p], offsets[p + 1], mapped, marks, _NO_EXPANSIONS, out, w)
    out_offsets[offsets.shape[0] - 1] = w


@numba.njit(cache=True, nogil=True)
def _normalize_mixed(narrow, narrow_offsets, narrow_map, narrow_marks, wide, wide_offsets, wide_map, wide_marks,
                     expansions, from_narrow, out, out_offsets):
    """:func:`_normalize` of texts from two sources, in order: the next of
    ``narrow`` where ``from_narrow``, else the next of ``wide``. (Measured 12%
    faster on Wikipedia and 20 Newsgroups than normalising each source, then
    interleaving.)"""
    w = i = j = 0
    for p in range(from_narrow.shape[0]):
        out_offsets[p] = w
        if from_narrow[p]:
            w = _normalize_text(narrow, narrow_offsets[i], narrow_offsets[i + 1], narrow_map, narrow_marks,
                                _NO_EXPANSIONS, out, w)
            i += 1
        else:
            w = _normalize_text(wide, wide_offsets[j], wide_offsets[j + 1], wide_map, wide_marks, expansions, out, w)
            j += 1
    out_offsets[from_narrow.shape[0]] = w


@numba.njit(cache=True, nogil=True)
def _shingle_sets(units, offsets, n, kind, by_char, tokens, token_counts, value_offsets, values):
    """``values[value_offsets[p]:value_offsets[p+1]]``: the shingle hashes of text
    ``units[offsets[p]:offsets[p+1]]`` in window order; ``token_counts[p]``: its tokens.
    ``values`` has room for one shingle per unit (a token has at least one)."""
    w = 0
    for p in range(offsets.shape[0] - 1):
        value_offsets[p] = w
        count = _tokens(units, offsets[p], offsets[p + 1], _NO_MAP, _NO_MAP, kind, by_char, tokens)
        token_counts[p] = count
        for start in range(_shingle_count(count, n)):
            values[w] = _shingle(tokens, start, n, count)
            w += 1
    value_offsets[offsets.shape[0] - 1] = w


@numba.njit(cache=True, nogil=True)
def _signatures(values, offsets, a, b, out):
    """``out[:, p]``: the MinHash signature of set ``values[offsets[p]:offsets[p+1]]``."""
    row = np.empty(a.shape[0], dtype=np.uint32)
    for p in range(offsets.shape[0] - 1):
        row[:] = EMPTY
        for i in range(offsets[p], offsets[p + 1]):
            _take_minimum(values[i], a, b, row)
        out[:, p] = row


@numba.njit(cache=True, nogil=True)
def _ascii_signatures(data, offsets, n, a, b, mapped, marks, kind, tokens, out):
    """``out[:, p]``: the signature of raw ASCII text ``data[offsets[p]:offsets[p+1]]``."""
    row = np.empty(a.shape[0], dtype=np.uint32)
    for p in range(offsets.shape[0] - 1):
        row[:] = EMPTY
        count = _tokens(data, offsets[p], offsets[p + 1], mapped, marks, kind, False, tokens)
        for start in range(_shingle_count(count, n)):
            _take_minimum(_shingle(tokens, start, n, count), a, b, row)
        out[:, p] = row


@numba.njit(inline="always")
def _slot(slots, filled, value, shift):
    """Where ``value`` is in the open-addressing table ``slots``, or the free slot where it goes."""
    mask = (1 << (64 - shift)) - 1
    s = np.int64((value * _FOLD) >> np.uint64(shift))  # Fibonacci hashing: the top bits of the product
    while filled[s] and slots[s] != value:
        s = (s + 1) & mask
    return s


@numba.njit(nogil=True)
def _pair_jaccard(values, offsets, a, b, slots, filled):
    """The Jaccard similarity of sets ``a`` and ``b``, by one hash table (repeats
    within a set count once): ``filled`` is 1 for a value of ``a``, 2 of ``b``
    only, 3 of both."""
    bits = 1  # a table at most half full
    while (1 << bits) < 2 * (offsets[a + 1] - offsets[a] + offsets[b + 1] - offsets[b]):
        bits += 1
    shift = 64 - bits
    filled[: 1 << bits] = 0
    union = shared = 0
    for i in range(offsets[a], offsets[a + 1]):
        s = _slot(slots, filled, values[i], shift)
        if not filled[s]:
            slots[s], filled[s] = values[i], 1
            union += 1
    for i in range(offsets[b], offsets[b + 1]):
        s = _slot(slots, filled, values[i], shift)
        if not filled[s]:
            slots[s], filled[s] = values[i], 2
            union += 1
        elif filled[s] == 1:
            filled[s] = 3
            shared += 1
    return shared / union if union else 0.0


@numba.njit(cache=True, nogil=True)
def _jaccard(values, offsets, left, right, slots, filled, out):
    """``out[k]``: the Jaccard similarity of sets ``left[k]`` and ``right[k]``."""
    for k in range(left.shape[0]):
        out[k] = _pair_jaccard(values, offsets, left[k], right[k], slots, filled)


@numba.njit(cache=True, nogil=True)
def _greedy(bounds, node_buckets, buckets, set_of, values, offsets, numbers, doc, protected, threshold, max_kept,
            slots, filled, representative, similar):
    """The rule of :mod:`dedup.stages.cluster`, node by node: ``node_buckets[bounds[j]:bounds[j+1]]``
    are node ``j``'s buckets and ``set_of[j]`` its set; a pair whose ``numbers``
    differ, or of one ``doc``, counts 0 (either may be empty: no such check)."""
    kept = np.empty((buckets, max_kept), dtype=np.int64)
    count = np.zeros(buckets, dtype=np.int64)
    # The nodes j was measured against, and the values: a kept node is in many of j's buckets.
    widest = 0
    for j in range(bounds.shape[0] - 1):
        widest = max(widest, bounds[j + 1] - bounds[j])
    seen, seen_value = np.empty(widest * max_kept, dtype=np.int64), np.empty(widest * max_kept)
    for j in range(bounds.shape[0] - 1):
        best, best_value, measured = -1, 1.0, 0
        if not (protected.shape[0] and protected[j]):
            for k in range(bounds[j], bounds[j + 1]):
                b = node_buckets[k]
                for m in range(count[b]):
                    i = kept[b, m]
                    if best >= 0 and i >= best:
                        break
                    at = 0
                    while at < measured and seen[at] != i:
                        at += 1
                    if at == measured:
                        if (numbers.shape[0] and numbers[set_of[i]] != numbers[set_of[j]]) or (
                                doc.shape[0] and doc[i] == doc[j]):
                            seen_value[at] = 0.0
                        else:
                            seen_value[at] = _pair_jaccard(values, offsets, set_of[i], set_of[j], slots, filled)
                        seen[at] = i
                        measured += 1
                    if seen_value[at] >= threshold:
                        best, best_value = i, seen_value[at]
                        break
        if best >= 0:
            representative[j], similar[j] = best, best_value
            continue
        representative[j], similar[j] = j, 1.0
        for k in range(bounds[j], bounds[j + 1]):
            b = node_buckets[k]
            if count[b] < max_kept:
                kept[b, count[b]] = j
                count[b] += 1


@cache
def _byte_map(casefold: bool, fold_punctuation: bool) -> np.ndarray:
    """The numpy path's ASCII translation as an array."""
    # A copy, writable: numba types a read-only array apart, and would compile the kernels again for it.
    return np.frombuffer(_ascii_translation(casefold, fold_punctuation)[:128], dtype=np.uint8).copy()


def _token_buffer(offsets: np.ndarray) -> np.ndarray:
    # A paragraph of L characters has at most L tokens (all alone).
    return np.empty(int(np.diff(offsets).max(initial=0)) + 1, dtype=np.uint64)


def normalized(texts: Sequence[str], config: DedupConfig) -> NormalizedTexts:
    """:func:`dedup.stages.normalize.normalized_texts` of ``texts`` under ``config``.

    ASCII texts go through a byte map, where case folding is ``lower()``; the
    others through the code-point table, with case folding in it, after
    Unicode normalisation in Python, where Unicode's tables are. (One
    code-point pass over all texts measured twice as slow on Wikipedia.)
    """
    ascii, narrow_texts, wide_texts = split_ascii(texts)
    narrow = NormalizedTexts.of(narrow_texts)
    byte_map = _byte_map(config.casefold, config.fold_punctuation)
    narrow_marks = mark_kinds(True) if config.fold_punctuation else _NO_MAP
    if len(narrow) == len(texts):
        out, offsets = np.empty(len(narrow.units) + 1, dtype=np.uint8), np.empty_like(narrow.offsets)
        _normalize(narrow.units, narrow.offsets, byte_map, narrow_marks, out, offsets)
        return NormalizedTexts(out[: offsets[-1]], offsets)
    wide = NormalizedTexts.of(unicode_normalized(wide_texts, config.unicode_form))
    mapped, expansions = (_folded_table(config.fold_punctuation) if config.casefold
                          else (_code_point_table(False, config.fold_punctuation), _NO_EXPANSIONS))
    out = np.empty(len(narrow.units) + len(wide.units) * expansions.shape[1] + 1, dtype=np.uint32)
    offsets = np.empty(len(texts) + 1, dtype=np.int64)
    wide_marks = mark_kinds() if config.fold_punctuation else _NO_MAP
    _normalize_mixed(narrow.units, narrow.offsets, byte_map, narrow_marks, wide.units, wide.offsets, mapped, wide_marks,
                     expansions, np.array(ascii, dtype=bool), out, offsets)
    return NormalizedTexts(out[: offsets[-1]], offsets)


def shingle_sets(normalized_texts: NormalizedTexts, config: DedupConfig) -> ShingleSets:
    """:func:`dedup.stages.shingle.shingle_sets` of ``normalized_texts`` under ``config``."""
    units, offsets = normalized_texts.units, normalized_texts.offsets
    token_counts, value_offsets = np.empty(len(normalized_texts), np.int64), np.empty_like(offsets)
    values = np.empty(len(units), dtype=np.uint64)
    _shingle_sets(units, offsets, config.ngram_size, _BMP_KIND, config.shingle == "char",
                  _token_buffer(offsets), token_counts, value_offsets, values)
    return ShingleSets(values=values[: value_offsets[-1]], offsets=value_offsets, token_counts=token_counts)


def signatures(shingles: ShingleSets, config: DedupConfig) -> np.ndarray:
    """:func:`dedup.stages.minhash.signatures` of ``shingles`` under ``config`` (a transposed view)."""
    a, b = permutations(config.num_perm, config.seed)
    out = np.empty((config.num_perm, len(shingles)), dtype=np.uint32)
    _signatures(shingles.values, shingles.offsets, a, b, out)
    return out.T


def jaccard(sets: ShingleSets, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """:func:`dedup.stages.verify.jaccard`: the exact Jaccard similarity of sets ``left[k]`` and ``right[k]``."""
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    largest = int((sets.sizes[left] + sets.sizes[right]).max(initial=0))
    slots = np.empty(max(2, 1 << (2 * largest - 1).bit_length()), dtype=np.uint64)
    out = np.empty(len(left), dtype=np.float64)
    _jaccard(sets.values, sets.offsets, left, right, slots, np.empty(len(slots), dtype=np.uint8), out)
    return out


def greedy_representatives(nodes: int, bucket: np.ndarray, node: np.ndarray, set_of: np.ndarray, sets: ShingleSets,
                           threshold: float, numbers: np.ndarray | None = None, doc: np.ndarray | None = None,
                           protected: np.ndarray | None = None,
                           max_kept: int = MAX_KEPT_PER_BUCKET) -> tuple[np.ndarray, np.ndarray]:
    """:func:`dedup.stages.cluster.greedy_representatives` with the similarity measured
    here: node ``j``'s set is ``sets[set_of[j]]``; a pair counts 0 where the
    ``numbers`` of its sets differ, or where it is of one ``doc``, if given."""
    order = np.lexsort((bucket, node))
    bounds = np.searchsorted(node[order], np.arange(nodes + 1))
    sizes = sets.sizes[set_of] if nodes else np.zeros(1, dtype=np.int64)
    slots = np.empty(max(2, 1 << int(4 * sizes.max(initial=1) - 1).bit_length()), dtype=np.uint64)
    representative, similar = np.empty(nodes, dtype=np.int64), np.empty(nodes)
    _greedy(bounds, bucket[order], int(bucket.max(initial=-1)) + 1, set_of.astype(np.int64), sets.values,
            sets.offsets, np.empty(0, dtype=np.uint64) if numbers is None else numbers.astype(np.uint64),
            np.empty(0, dtype=np.int64) if doc is None else doc.astype(np.int64),
            np.empty(0, dtype=bool) if protected is None else protected, threshold, max_kept, slots,
            np.empty(len(slots), dtype=np.uint8), representative, similar)
    return representative, similar


def ascii_signatures(texts: Sequence[str], config: DedupConfig) -> np.ndarray:
    """Signatures of raw ASCII ``texts`` in word mode, each taken whole (a transposed view)."""
    a, b = permutations(config.num_perm, config.seed)
    offsets = text_offsets(texts)
    data = np.frombuffer("".join(texts).encode("ascii"), dtype=np.uint8)
    out = np.empty((config.num_perm, len(texts)), dtype=np.uint32)
    _ascii_signatures(data, offsets, config.ngram_size, a, b, _byte_map(config.casefold, config.fold_punctuation),
                      mark_kinds(True) if config.fold_punctuation else _NO_MAP, _BMP_KIND, _token_buffer(offsets), out)
    return out.T
