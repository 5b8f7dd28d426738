"""Stage 4: MinHash signatures of a batch of shingle sets.

For permutation ``k`` with odd multiplier ``a_k`` and offset ``b_k`` (uint32), and
a shingle whose 64-bit hash has low 32 bits ``h``, the permuted value is
``a_k * fmix32(h) + b_k mod 2^32``, and the signature entry is its minimum over
the set. ``fmix32`` is MurmurHash3's finalizer, a bijection that spreads
structured inputs. Since the map is a bijection, ``P[sig_k(A) == sig_k(B)]``
approximates the Jaccard similarity ``|A ∩ B| / |A ∪ B|``.

This is exactly datasketch 2.x's default ``"affine32"`` scheme: ``a_k, b_k`` are
drawn from ``numpy.random.RandomState(seed)`` in the same order, so with the
same seed and the same 32-bit hashes our signatures are bit-identical to
``datasketch.MinHash(num_perm, seed).update(...)``, and convert to and from
``datasketch.LeanMinHash`` losslessly. An empty set has the all-``2^32-1``
signature, as in datasketch.

Example
-------
>>> import numpy as np
>>> from dedup.stages.shingle import shingle_sets
>>> from dedup.stages.minhash import signatures, to_lean_minhash
>>> sets = shingle_sets(["the cat sat on the mat", "the cat sat on a mat"], "word", 1)
>>> sig = signatures(sets, num_perm=128, seed=1)
>>> sig.shape, sig.dtype
((2, 128), dtype('uint32'))
>>> 0.5 < float(np.mean(sig[0] == sig[1])) < 1.0  # true Jaccard is 4/6
True
>>> lean = [to_lean_minhash(s, seed=1) for s in sig]
>>> bool(lean[0].jaccard(lean[1]) == np.mean(sig[0] == sig[1]))
True
"""

from __future__ import annotations

import numpy as np

from .arrays import gathered, offsets_of
from .shingle import ShingleSets

__all__ = ["EMPTY", "permutations", "fmix32", "signatures", "to_lean_minhash", "from_minhash"]

EMPTY = np.uint32(0xFFFFFFFF)
# Shingles per work chunk: a 128 x 8192 uint32 buffer (4 MB) measured fastest.
_CHUNK = 1 << 13
# Sets of up to _BY_SIZE_MAX shingles go by size where a batch has at least
# _BY_SIZE_MIN_SETS sets per shingle of that size (see _minimums_by_size).
# MinHash measured 1.3-1.4x faster so on 20 Newsgroups' paragraphs, and the
# same within the noise on Wikipedia's and Gutenberg's, whose sets are longer
# and of scattered sizes (python -m benchmarks.minhash_by_size); all sets of
# up to 32 shingles by size made Wikipedia's about 20% slower.
_BY_SIZE_MAX = 64
_BY_SIZE_MIN_SETS = 2


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Multipliers ``a`` (odd) and offsets ``b``, uint32, drawn as datasketch 2.x draws them."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer on a uint32 array."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signatures(shingles: ShingleSets, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """``(len(shingles), num_perm)`` uint32 MinHash signatures of a batch of sets.

    Works permutation-major (the result is a transposed view) through one
    ``num_perm x _CHUNK`` buffer: large fresh temporaries cost more in page
    faults than the arithmetic itself. Short sets of sizes that many sets
    share go by size (:func:`_minimums_by_size`), the others one after
    another (:func:`_minimums_in_order`).
    """
    a, b = permutations(num_perm, seed)
    a, b = a[:, None], b[:, None]
    out = np.full((num_perm, len(shingles)), EMPTY, dtype=np.uint32)
    hashes = fmix32((shingles.values & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    buffer = np.empty((num_perm, _CHUNK), dtype=np.uint32)
    sizes = shingles.sizes
    by_size = _goes_by_size(sizes)
    apart, in_order = np.flatnonzero(by_size), np.flatnonzero(~by_size & (sizes > 0))
    if len(apart):
        _minimums_by_size(hashes, shingles.offsets[apart], sizes[apart], apart, a, b, buffer, out)
        hashes = gathered(hashes, shingles.offsets, in_order)
    _minimums_in_order(hashes, offsets_of(sizes[in_order]), in_order, a, b, buffer, out)
    return out.T


def _goes_by_size(sizes: np.ndarray) -> np.ndarray:
    """Whether each set goes by size: it has at most ``_BY_SIZE_MAX`` shingles
    (and fits a work chunk), and the batch has at least ``_BY_SIZE_MIN_SETS``
    sets per shingle of its size."""
    limit = min(_BY_SIZE_MAX, _CHUNK)
    capped = np.minimum(sizes, limit + 1)
    size = np.arange(limit + 2)
    shared = (np.bincount(capped, minlength=limit + 2) >= _BY_SIZE_MIN_SETS * size) & (size > 0) & (size <= limit)
    return shared[capped]


def _minimums_by_size(hashes: np.ndarray, starts: np.ndarray, sizes: np.ndarray, columns: np.ndarray,
                      a: np.ndarray, b: np.ndarray, buffer: np.ndarray, out: np.ndarray) -> None:
    """Signatures of the sets ``hashes[starts[i]:starts[i] + sizes[i]]`` into ``out[:, columns[i]]``.

    Sets of one size ``s`` are laid side by side, shingle ``j`` of every set in
    row ``j``, so each permutation's minimum is ``s`` elementwise minimums over
    many sets at once. ``np.minimum.reduceat`` costs a call per set and
    permutation, which for short sets outweighed their arithmetic.
    """
    order = np.argsort(sizes, kind="stable")
    starts, sizes, columns = starts[order], sizes[order], columns[order]
    bounds = np.flatnonzero(np.diff(sizes, prepend=0, append=sizes[-1] + 1))
    for first, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        size = int(sizes[first])
        step = max(1, _CHUNK // size)
        for c0 in range(first, stop, step):
            c1 = min(c0 + step, stop)
            shingle_rows = hashes[np.arange(size)[:, None] + starts[None, c0:c1]]
            permuted = buffer[:, : shingle_rows.size]
            np.multiply(a, shingle_rows.reshape(1, -1), out=permuted)
            permuted += b
            out[:, columns[c0:c1]] = np.minimum.reduce(permuted.reshape(len(a), size, c1 - c0), axis=1)


def _minimums_in_order(hashes: np.ndarray, offsets: np.ndarray, columns: np.ndarray,
                       a: np.ndarray, b: np.ndarray, buffer: np.ndarray, out: np.ndarray) -> None:
    """Signatures of the sets ``hashes[offsets[i]:offsets[i+1]]`` (none empty) into ``out[:, columns[i]]``,
    ``_CHUNK`` shingles at a time, each set's minimum by ``np.minimum.reduceat``."""
    starts, ends = offsets[:-1], offsets[1:]
    for c0 in range(0, len(hashes), _CHUNK):
        c1 = min(c0 + _CHUNK, len(hashes))
        lo = np.searchsorted(ends, c0, side="right")
        hi = np.searchsorted(starts, c1, side="left")
        permuted = buffer[:, : c1 - c0]
        np.multiply(a, hashes[None, c0:c1], out=permuted)
        permuted += b
        chunk_min = np.minimum.reduceat(permuted, np.maximum(starts[lo:hi] - c0, 0), axis=1)
        if starts[lo] < c0:  # the first set began in the previous chunk
            chunk_min[:, 0] = np.minimum(chunk_min[:, 0], out[:, columns[lo]])
        out[:, columns[lo:hi]] = chunk_min


def to_lean_minhash(signature: np.ndarray, seed: int = 1):
    """A ``datasketch.LeanMinHash`` holding one signature (scheme ``"affine32"``)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=np.asarray(signature, dtype=np.uint32), scheme="affine32")


def from_minhash(minhash, seed: int | None = None) -> np.ndarray:
    """The uint32 signature of a ``datasketch.MinHash`` or ``LeanMinHash``.

    Raises ``ValueError`` if its scheme is not ``"affine32"`` or its seed differs
    from ``seed`` (when given): such signatures are not comparable with ours.
    """
    scheme = getattr(minhash, "scheme", None)
    if scheme != "affine32":
        raise ValueError(f"expected a datasketch MinHash with scheme 'affine32'; got scheme {scheme!r}")
    if seed is not None and minhash.seed != seed:
        raise ValueError(f"expected a MinHash with seed {seed}; got seed {minhash.seed}")
    return np.asarray(minhash.hashvalues, dtype=np.uint32).copy()
