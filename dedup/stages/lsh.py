"""Stage 5: LSH banding of signatures into buckets of candidate duplicates.

A signature of ``bands * rows`` entries is cut into ``bands`` bands of ``rows``
entries; two paragraphs share a bucket when some band is identical in both. For
two sets of Jaccard similarity ``s`` that happens with probability

    P(s) = 1 - (1 - s**rows) ** bands,

the S-curve. :func:`optimal_bands` picks ``(bands, rows)`` minimising
``w_fp * ∫_0^t P(s) ds + w_fn * ∫_t^1 (1 - P(s)) ds`` (the expected false
positive and false negative areas at threshold ``t``) over ``rows = 1 ..
num_perm`` with ``bands = num_perm // rows``, so fewer than ``rows``
permutations ever go unused (datasketch's optimiser also tries fewer bands and
can leave many unused).

Each band is reduced to one uint64 key (:func:`band_keys`), keys are grouped by
sorting (no Python object per key), and each group of two or more paragraphs
is a bucket (:func:`buckets`). Its members are compared with the bucket's
kept members only (:mod:`dedup.stages.cluster`), never all pairs: boilerplate
buckets can hold 10^5 members.

Example
-------
>>> from dedup.stages.lsh import optimal_bands
>>> params = optimal_bands(0.8, 128, false_positive_weight=0.5, false_negative_weight=0.5)
>>> params.bands, params.rows, round(params.recall_at_threshold, 3)
(9, 13, 0.399)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from .arrays import key_order
from .hashing import combine_columns

if TYPE_CHECKING:
    from ..config import DedupConfig

__all__ = ["LSHParams", "collision_probability", "optimal_bands", "lsh_params", "resolve_lsh", "band_keys",
           "buckets", "column_buckets"]

_GRID = 2000  # midpoint-rule intervals for the error areas; far finer than the curves vary


@dataclass(frozen=True)
class LSHParams:
    """Banding in force, and what it implies at the threshold.

    ``recall_at_threshold`` is ``P(threshold)``: the chance that a pair exactly at
    the threshold becomes a candidate (pairs above it are likelier still).
    """

    bands: int
    rows: int
    threshold: float
    false_positive_area: float
    false_negative_area: float

    @property
    def recall_at_threshold(self) -> float:
        return float(collision_probability(self.threshold, self.bands, self.rows))


def collision_probability(similarity, bands: int, rows: int):
    """``P(s) = 1 - (1 - s**rows) ** bands``: the S-curve, elementwise."""
    return 1.0 - (1.0 - np.asarray(similarity, dtype=np.float64) ** rows) ** bands


def _error_areas(threshold: float, bands: int, rows: int) -> tuple[float, float]:
    def area(lo: float, hi: float, complement: bool) -> float:
        width = (hi - lo) / _GRID
        mids = lo + width * (np.arange(_GRID) + 0.5)
        p = collision_probability(mids, bands, rows)
        return float(np.sum(1.0 - p if complement else p) * width)

    return area(0.0, threshold, False), area(threshold, 1.0, True)


def lsh_params(threshold: float, bands: int, rows: int) -> LSHParams:
    """:class:`LSHParams` for a given banding."""
    fp, fn = _error_areas(threshold, bands, rows)
    return LSHParams(bands, rows, threshold, fp, fn)


@cache
def optimal_bands(threshold: float, num_perm: int, false_positive_weight: float = 0.005,
                  false_negative_weight: float = 0.995) -> LSHParams:
    """The banding with the least weighted error area (see the module docstring)."""
    options = [lsh_params(threshold, num_perm // rows, rows) for rows in range(1, num_perm + 1)]
    return min(options, key=lambda p: false_positive_weight * p.false_positive_area
               + false_negative_weight * p.false_negative_area)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``(n, bands)`` uint64: band ``k`` of each signature hashed to one key.

    Fastest when ``signatures`` is a transposed view of a permutation-major
    array, as :func:`dedup.stages.minhash.signatures` returns: each column is then
    contiguous.
    """
    keys = np.empty((len(signatures), bands), dtype=np.uint64)
    for k in range(bands):
        band = signatures[:, k * rows : (k + 1) * rows]
        keys[:, k] = combine_columns([band[:, j] for j in range(rows)])
    return keys


def buckets(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Buckets of rows that share a key in some band column.

    Returns ``(bucket, member)``: parallel int64 arrays listing each bucket's
    members (row numbers), buckets numbered from 0 band by band in key order,
    members ascending within a bucket. Only buckets of two or more members are
    listed.
    """
    rows = np.arange(len(keys), dtype=np.int64)
    return column_buckets((column, rows) for column in keys.T)


def column_buckets(columns: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`buckets` of band columns given as ``(keys, members)`` pairs: a
    band need not hold every member (members ascending within each column,
    each at most once per key)."""
    bucket_parts, member_parts, next_id = [], [], 0
    for column, members in columns:
        order, repeats = key_order(column)
        starts = np.ones(len(order), dtype=bool)
        starts[1:] = ~repeats
        shared = np.zeros(len(order), dtype=bool)  # in a run of two or more equal keys
        shared[1:] = repeats
        shared[:-1] |= repeats
        opens = starts[shared]  # each run of shared rows is one bucket
        bucket_parts.append(np.cumsum(opens) - 1 + next_id)
        member_parts.append(members[order[shared]])
        next_id += int(opens.sum())
    if not bucket_parts:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(bucket_parts), np.concatenate(member_parts)


def resolve_lsh(config: DedupConfig) -> LSHParams:
    """The banding in force: the configured one, or the optimum for the threshold."""
    if config.bands is not None:
        return lsh_params(config.threshold, config.bands, config.rows)
    return optimal_bands(config.threshold, config.num_perm, config.false_positive_weight,
                         config.false_negative_weight)
