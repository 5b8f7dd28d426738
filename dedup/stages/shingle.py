"""Stage 3: turn normalised paragraphs into sets of 64-bit shingle hashes.

Tokens
    A paragraph's tokens are its words (runs of non-whitespace), except that each
    character of a script written without spaces (Han, Hiragana, Katakana, Thai,
    Lao, Khmer, Myanmar: :data:`SCRIPTIO_CONTINUA`) is a token of its own, so
    Chinese, Japanese and Thai are shingled by characters automatically. With
    ``unit="char"`` every character, spaces included, is a token.
Token hash
    Over the token's code points ``c_0 .. c_{L-1}``, Horner's rule modulo 2^64,
    ``h = (...((c_0 + 1) K + c_1 + 1) K + ...) K + c_{L-1} + 1``, finished with
    ``fmix64``. Being a polynomial, it is computed for a whole batch at once from
    one prefix sum: ``h(s..e) = K^(e-1) * (C[e] - C[s])`` with
    ``C[j] = sum_{i<j} (c_i + 1) K^-i`` (``K`` is odd, so invertible mod 2^64).
Shingle hash
    The shingle of tokens ``t_i .. t_{i+n-1}`` is
    ``combine_columns([h(t_i), ..., h(t_{i+n-1})])``. A paragraph of
    ``0 < k < n`` tokens gets the one shingle of all its ``k`` tokens, so short
    paragraphs still differ from each other instead of all sharing the empty set.

Everything is computed per batch with numpy, with no Python object per token or
shingle. :func:`dedup.reference.reference_shingles` computes the same sets one
character at a time in plain Python; the tests hold the two equal.

A polynomial hash modulo 2^64 is fast and deterministic but not cryptographic:
someone who crafts text on purpose can make two different tokens collide. The
exact-duplicate fingerprint (xxh3-128 of the whole normalised paragraph) does
not rely on it.

Example
-------
>>> from dedup.stages.shingle import shingle_sets
>>> sets = shingle_sets(["a b c a b c", "东京是日本的首都", "hi"], "word", 3)
>>> [len(set(sets[i].tolist())) for i in range(3)]  # abc bca cab; 6 trigrams; one short shingle
[3, 6, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from .arrays import chunk_bounds, found_in, gathered, merged, offsets_of, sorted_unique
from .hashing import combine_columns, fmix64
from .normalize import NormalizedTexts, collapsed_spaces
from .segment import IS_SPACE

__all__ = ["SCRIPTIO_CONTINUA", "TOKEN_BASE", "ShingleSets", "shingle_sets", "token_starts"]

SCRIPTIO_CONTINUA = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF), (0x31F0, 0x31FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),  # Han
    (0x20000, 0x3134F),  # Han extensions
)
TOKEN_BASE = 0xD6E8FEB86659FD93  # odd, so invertible modulo 2^64
_BASE = np.uint64(TOKEN_BASE)
_BASE_INVERSE = np.uint64(pow(TOKEN_BASE, -1, 1 << 64))
# What each code point of the Basic Multilingual Plane is to the tokenizer:
# whitespace (str.isspace(); none lies above U+3000), a token character, or a
# character that is a token alone. Above the BMP only Han extensions are alone.
_TOKEN, _SPACE, _ALONE = 0, 1, 2
_BMP_KIND = np.zeros(0x10000, dtype=np.uint8)
_BMP_KIND[: len(IS_SPACE)][IS_SPACE] = _SPACE
for _lo, _hi in SCRIPTIO_CONTINUA:
    _BMP_KIND[_lo : min(_hi, 0xFFFF) + 1] = _ALONE
# Code points per kernel call: ~2 MB per uint64 temporary, measured fastest.
_KERNEL_CHARS = 1 << 18


@dataclass(frozen=True)
class ShingleSets:
    """Shingle sets of a batch, concatenated: set ``i`` is the set of values in
    ``values[offsets[i]:offsets[i+1]]`` (which may repeat, in any order).

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
        return ShingleSets(values=gathered(self.values, self.offsets, ids), offsets=offsets_of(self.sizes[ids]),
                           token_counts=self.token_counts[ids])

    def spread(self, rows: np.ndarray, count: int) -> ShingleSets:
        """``count`` sets: these at positions ``rows`` (ascending), empty ones elsewhere."""
        sizes = np.zeros(count, dtype=np.int64)
        sizes[rows] = self.sizes
        token_counts = np.zeros(count, dtype=np.int64)
        token_counts[rows] = self.token_counts
        return ShingleSets(self.values, offsets_of(sizes), token_counts)

    @staticmethod
    def concatenate(parts: Sequence[ShingleSets]) -> ShingleSets:
        """One batch holding the sets of ``parts`` in order."""
        if not parts:
            return ShingleSets(np.empty(0, np.uint64), np.zeros(1, np.int64), np.empty(0, np.int64))
        if len(parts) == 1:
            return parts[0]
        sizes = np.concatenate([p.sizes for p in parts])
        return ShingleSets(values=np.concatenate([p.values for p in parts]),
                           offsets=offsets_of(sizes),
                           token_counts=np.concatenate([p.token_counts for p in parts]))

    def unique(self) -> ShingleSets:
        """The same sets, each sorted and without repeats."""
        owner = np.repeat(np.arange(len(self), dtype=np.int64), self.sizes)
        order = np.lexsort((self.values, owner))
        values, owner = self.values[order], owner[order]
        keep = np.ones(len(values), dtype=bool)
        keep[1:] = (values[1:] != values[:-1]) | (owner[1:] != owner[:-1])
        sizes = np.bincount(owner[keep], minlength=len(self))
        return ShingleSets(values=values[keep], offsets=offsets_of(sizes),
                           token_counts=self.token_counts)


def _powers(base: np.uint64, count: int, block: int = 1024) -> np.ndarray:
    """``base**0 .. base**(count-1)`` modulo 2^64.

    One block by running product, then one multiply per element: a running
    product over the whole range would be sequential and several times slower.
    """
    with np.errstate(over="ignore"):
        within = np.full(block, base, dtype=np.uint64)
        within[0] = 1
        within = np.cumprod(within, dtype=np.uint64)
        steps = np.full(-(-count // block), within[-1] * base, dtype=np.uint64)
        steps[:1] = 1
        return (np.cumprod(steps, dtype=np.uint64)[:, None] * within[None, :]).ravel()[:count]


def _kinds(code_points: np.ndarray) -> np.ndarray:
    """What each code point is to the tokenizer: ``_TOKEN``, ``_SPACE`` or ``_ALONE``."""
    kinds = _BMP_KIND[np.minimum(code_points, np.uint32(0xFFFF))]
    astral = np.flatnonzero(code_points > 0xFFFF)
    if len(astral):
        values, alone = code_points[astral], np.zeros(len(astral), dtype=bool)
        for lo, hi in SCRIPTIO_CONTINUA:
            alone |= (values >= lo) & (values <= hi)
        kinds[astral] = np.where(alone, _ALONE, _TOKEN)
    return kinds


def _word_bounds(code_points: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Start and end positions of the words of texts whose whitespace is all
    single ``" "`` between tokens, as normalisation leaves it; ``None`` if some
    text's is not.

    Such texts are cut at their spaces, and at the characters that are tokens
    alone, found among the few code points from U+0080 up: only those and the
    spaces are looked at, not every character's kind. The shingle stage
    measured 1.5x faster so, on 20 Newsgroups and on Wikipedia.
    """
    low = np.flatnonzero(code_points <= ord(" "))
    spaces = low[_BMP_KIND[code_points[low]] == _SPACE]
    nonempty = offsets[1:] > offsets[:-1]
    text_starts, text_ends = offsets[:-1][nonempty], offsets[1:][nonempty]
    alone = np.empty(0, dtype=np.int64)
    if code_points.dtype != np.uint8:
        high = np.flatnonzero(code_points >= 0x80)
        kinds = _kinds(code_points[high])
        if (kinds == _SPACE).any():
            return None
        alone = high[kinds == _ALONE]
    if ((code_points[spaces] != ord(" ")).any() or (np.diff(spaces) == 1).any()
            or (code_points[text_starts] == ord(" ")).any() or (code_points[text_ends - 1] == ord(" ")).any()):
        return None
    starts, ends = merged(spaces + 1, text_starts), merged(spaces, text_ends)
    if not len(alone):
        return starts, ends
    # A character alone is a token by itself: where its word runs on before
    # or after it, a token also ends just before it or starts just after it.
    ends_before = alone[~found_in(starts, alone)]
    starts_after = alone[~found_in(ends, alone + 1)] + 1
    return (_merged(starts, np.concatenate([alone, starts_after])),
            _merged(ends, np.concatenate([alone + 1, ends_before])))


def _merged(positions: np.ndarray, more: np.ndarray) -> np.ndarray:
    """The sorted union of ascending ``positions`` and ``more`` (few, in any order)."""
    more = sorted_unique(more)
    return merged(positions, more[~found_in(positions, more)])


def _single_spaced(code_points: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The texts with each run of whitespace as one ``" "`` and their ends
    stripped: the same words, in the form :func:`_word_bounds` reads."""
    spaced = np.where(_kinds(code_points) == _SPACE, code_points.dtype.type(ord(" ")), code_points)
    texts = collapsed_spaces(spaced, offsets)
    return texts.units, texts.offsets


@cache
def _power_tables(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Powers of the token base and of its inverse, kept for the kernel's usual size."""
    return _powers(_BASE, count), _powers(_BASE_INVERSE, count)


def _token_hashes(code_points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The polynomial hash of each token (see the module docstring)."""
    count = len(code_points)
    if count <= _KERNEL_CHARS * 2:
        powers, inverse_powers = (table[:count] for table in _power_tables(_KERNEL_CHARS * 2))
    else:
        powers, inverse_powers = _powers(_BASE, count), _powers(_BASE_INVERSE, count)
    with np.errstate(over="ignore"):
        # In place in one buffer: each fresh 8-byte-per-character temporary cost
        # about as much as the arithmetic done in it.
        prefix = np.empty(count + 1, dtype=np.uint64)
        prefix[0] = 0
        np.add(code_points, np.uint64(1), out=prefix[1:], dtype=np.uint64)
        np.multiply(prefix[1:], inverse_powers, out=prefix[1:])
        np.cumsum(prefix[1:], out=prefix[1:])
        return fmix64(powers[ends - 1] * (prefix[ends] - prefix[starts]))


def shingle_sets(normalized_texts: NormalizedTexts | Sequence[str], unit: str, n: int) -> ShingleSets:
    """The shingle sets of a batch of normalised paragraphs.

    Each set lists its shingles in window order; a set may repeat a value.
    Paragraphs go through the kernel in runs of about ``_KERNEL_CHARS``
    characters, so its temporaries stay a few MB whatever the batch size.
    """
    texts = (normalized_texts if isinstance(normalized_texts, NormalizedTexts)
             else NormalizedTexts.of(normalized_texts))
    offsets = texts.offsets
    bounds = chunk_bounds(texts.lengths, _KERNEL_CHARS)
    return ShingleSets.concatenate([_shingle_kernel(texts.units[offsets[a] : offsets[b]],
                                                    offsets[a : b + 1] - offsets[a], unit, n)
                                    for a, b in zip(bounds[:-1], bounds[1:])])


def _token_bounds(units: np.ndarray, offsets: np.ndarray, unit: str) -> tuple[np.ndarray, ...]:
    """The texts ``units[offsets[i]:offsets[i+1]]``, single-spaced if they were
    not, and the start and end positions of their tokens in them."""
    if unit == "char":
        starts = np.arange(len(units), dtype=np.int64)
        return units, offsets, starts, starts + 1
    bounds = _word_bounds(units, offsets)
    if bounds is None:
        units, offsets = _single_spaced(units, offsets)
        bounds = _word_bounds(units, offsets)
    return units, offsets, *bounds


def token_starts(units: np.ndarray, unit: str) -> np.ndarray:
    """Where each token of one normalised text ``units`` starts."""
    return _token_bounds(units, np.array([0, len(units)]), unit)[2]


def _shingle_kernel(units: np.ndarray, offsets: np.ndarray, unit: str, n: int) -> ShingleSets:
    units, offsets, starts, ends = _token_bounds(units, offsets, unit)
    token_hashes = _token_hashes(units, starts, ends)
    counts = np.diff(np.searchsorted(starts, offsets))
    first_token = offsets_of(counts)[:-1]
    offsets = offsets_of(np.where(counts >= n, counts - n + 1, np.minimum(counts, 1)))
    # Windows in token order are the shingles in set order, but for those that
    # run past their paragraph's last token.
    windows = max(len(token_hashes) - n + 1, 0)
    inside = np.ones(windows, dtype=bool)
    for j in range(1, n):
        cut = first_token + counts - j
        inside[cut[(cut >= first_token) & (cut < windows)]] = False
    values = combine_columns([token_hashes[j : j + windows][inside] for j in range(n)])
    short = np.flatnonzero((counts > 0) & (counts < n))
    if len(short):
        # A paragraph of fewer than n tokens has one shingle, of all of them.
        full, values = values, np.empty(offsets[-1], dtype=np.uint64)
        slots = np.ones(len(values), dtype=bool)
        slots[offsets[short]] = False
        values[slots] = full
        for width in range(1, n):
            of_width = short[counts[short] == width]
            values[offsets[of_width]] = combine_columns([token_hashes[first_token[of_width] + j] for j in range(width)])
    return ShingleSets(values=values, offsets=offsets, token_counts=counts)
