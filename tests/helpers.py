"""Test helpers: shared-corpus skipping and slow, obvious reference implementations."""

from __future__ import annotations

import pytest

from benchmarks.corpora import SAMPLE_ARTICLE, SHARED_DATA

MASK64 = (1 << 64) - 1

needs_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"shared corpora not found at {SHARED_DATA}; CI always has ../shared beside the repository",
)

__all__ = ["needs_shared", "SAMPLE_ARTICLE", "SHARED_DATA", "fmix64_int", "set_jaccard"]


def fmix64_int(h: int) -> int:
    """MurmurHash3's 64-bit finalizer on a Python int."""
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK64
    return h ^ (h >> 33)


def set_jaccard(a, b) -> float:
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 0.0
