"""Deterministic 64-bit hash primitives shared by the shingle and LSH stages.

Everything here is a pure function of its input bytes and a fixed seed, so a
hash computed in one process, run or Dask worker is the same in every other
(Python's salted ``hash()`` is never used).
"""

from __future__ import annotations

import numpy as np
import xxhash

__all__ = ["FMIX64_MULTIPLIERS", "FOLD", "fmix64", "combine_columns", "fingerprints128"]

# MurmurHash3's 64-bit finalizer constants and the odd multiplier used to fold
# a sequence of hashes into one; any odd 64-bit constant with good bit spread
# works, this one is the golden-ratio constant used by splitmix64.
FMIX64_MULTIPLIERS = (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53)
FOLD = 0x9E3779B97F4A7C15
_FMIX_M1, _FMIX_M2 = (np.uint64(m) for m in FMIX64_MULTIPLIERS)
_FOLD = np.uint64(FOLD)
_S33 = np.uint64(33)


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer, a bijection on uint64 that avalanches every bit."""
    h = h ^ (h >> _S33)
    h = h * _FMIX_M1
    h = h ^ (h >> _S33)
    h = h * _FMIX_M2
    return h ^ (h >> _S33)


def combine_columns(columns: list[np.ndarray]) -> np.ndarray:
    """Fold equal-length uint64 columns into one uint64 hash per row, order-sensitively.

    ``h = fmix64((...((c0 * F + c1) * F + c2)...) * F + ck)`` with wrap-around
    arithmetic. Used for word n-grams (columns are shifted token hashes) and for
    LSH band keys (columns are the band's signature rows).
    """
    if not columns:
        raise ValueError("combine_columns needs at least one column")
    with np.errstate(over="ignore"):
        h = columns[0].astype(np.uint64, copy=True)
        for column in columns[1:]:
            h *= _FOLD
            h += column.astype(np.uint64, copy=False)
        return fmix64(h)


def fingerprints128(units: np.ndarray, offsets: np.ndarray, seed: int = 0) -> np.ndarray:
    """``(n, 2)`` uint64: xxh3-128 of each text ``units[offsets[i]:offsets[i+1]]`` as UTF-32-LE
    bytes (``units`` are code points, uint8 or uint32), the exact-duplicate fingerprint.

    >>> units = np.frombuffer("abcab".encode("ascii"), dtype=np.uint8)
    >>> fingerprints = fingerprints128(units, np.array([0, 2, 3, 5]))
    >>> bool((fingerprints[0] == fingerprints[2]).all()), bool((fingerprints[0] == fingerprints[1]).all())
    (True, False)
    """
    # UTF-32, not UTF-8: one width whatever the text, so a batch of ASCII bytes
    # is widened in one array operation instead of each text being encoded.
    data = memoryview(np.ascontiguousarray(units, dtype="<u4")).cast("B")
    digest, bounds = xxhash.xxh3_128_digest, (offsets * 4).tolist()
    joined = b"".join(digest(data[start:end], seed) for start, end in zip(bounds[:-1], bounds[1:]))
    return np.frombuffer(joined, dtype=">u8").astype(np.uint64).reshape(-1, 2)
