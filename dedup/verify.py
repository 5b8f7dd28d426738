"""Stage 6: keep only candidate pairs whose exact Jaccard reaches the threshold.

The Jaccard similarity of shingle sets ``A`` and ``B`` is ``|A ∩ B| / |A ∪ B|``
(two empty sets count as 0: they share nothing). :func:`jaccard` computes it for
many pairs at once by sorting their concatenated elements (repeats within a
set count once), so MinHash only proposes pairs and every reported pair is
real.

:func:`verified_pairs` walks the LSH buckets as *peeled stars*: each bucket's
first member is checked against every other member; members that fail form the
bucket again with the next member as centre, until none are left (or
``MAX_PEELING_ROUNDS`` rounds have passed). A bucket of
near-duplicates costs one pass (linear, not quadratic), and a member that
shares a bucket with a dissimilar centre still meets its real duplicates.

Example
-------
>>> import numpy as np
>>> from dedup.shingle import shingle_sets
>>> from dedup.verify import jaccard
>>> sets = shingle_sets(["a b c d", "a b c e", "x y"], "word", 1)
>>> jaccard(sets, np.array([0, 0]), np.array([1, 2])).tolist()
[0.6, 0.0]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .arrays import found_in, gather_positions, run_starts, sorted_unique
from .lsh import star_pairs
from .shingle import ShingleSets

__all__ = ["MAX_PEELING_ROUNDS", "jaccard", "verified_pairs"]

# Shingle values gathered per batch of pairs: bounds the sort's temporaries.
_BATCH_VALUES = 1 << 22
# Star rounds per bucket; near-duplicate buckets settle in one or two.
MAX_PEELING_ROUNDS = 32


def _jaccard_batch(sets: ShingleSets, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    ids = np.concatenate([left, right])
    sizes = sets.sizes[ids]
    pair = np.repeat(np.tile(np.arange(len(left), dtype=np.int64), 2), sizes)
    side = np.repeat(np.arange(len(ids)) >= len(left), sizes)
    values = sets.values[gather_positions(sets.offsets, ids)]
    # One 64-bit key, the pair in the high bits and the value's top bits below,
    # sorts about four times faster than lexsort on (pair, value): equal values
    # of a pair end up together. Different values sharing a key (a pair's two
    # values equal in their top 40-odd bits) could interleave; the pairs where
    # that happens are sorted again exactly.
    shift = np.uint64(max(1, (len(left) - 1).bit_length()))
    key = (pair.astype(np.uint64) << (np.uint64(64) - shift)) | (values >> shift)
    order = np.argsort(key)
    key, pair, values, side = key[order], pair[order], values[order], side[order]
    clash = (key[1:] == key[:-1]) & (values[1:] != values[:-1])
    if clash.any():
        unsure = np.flatnonzero(np.isin(pair, pair[1:][clash]))  # whole pairs, each one contiguous
        exact = unsure[np.lexsort((values[unsure], pair[unsure]))]
        values[unsure], side[unsure] = values[exact], side[exact]
    # Each run of one value within one pair is one distinct shingle (sets may
    # repeat values); it is shared when both sides occur in the run.
    starts = np.flatnonzero(run_starts(pair) | run_starts(values))
    both = np.minimum.reduceat(side, starts) != np.maximum.reduceat(side, starts) if len(starts) else starts
    union = np.bincount(pair[starts], minlength=len(left))
    intersection = np.bincount(pair[starts][both], minlength=len(left))
    return np.divide(intersection, union, out=np.zeros(len(left)), where=union > 0)


def jaccard(sets: ShingleSets, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Exact Jaccard similarity of sets ``left[k]`` and ``right[k]``, float64."""
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    cost = np.cumsum(sets.sizes[left] + sets.sizes[right])
    out = np.empty(len(left), dtype=np.float64)
    start = 0
    while start < len(left):
        budget = (cost[start - 1] if start else 0) + _BATCH_VALUES
        # At least one pair per batch, however large its sets.
        stop = max(start + 1, int(np.searchsorted(cost, budget, side="right")))
        out[start:stop] = _jaccard_batch(sets, left[start:stop], right[start:stop])
        start = stop
    return out


def verified_pairs(sets: ShingleSets, bucket: np.ndarray, member: np.ndarray, threshold: float,
                   max_rounds: int = MAX_PEELING_ROUNDS,
                   similarity: Callable[[ShingleSets, np.ndarray, np.ndarray], np.ndarray] = jaccard,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, of bucket-mates with Jaccard >= ``threshold``, and that Jaccard,
    in ascending ``(i, j)`` order.

    ``bucket`` and ``member`` are as returned by :func:`dedup.lsh.buckets`. Each
    distinct pair is verified once, however many buckets propose it. A bucket
    is peeled ``max_rounds`` times at most: a large family of paragraphs that
    share a band but are not near-duplicates of each other (templated text)
    would otherwise cost one round per member, quadratic in the bucket size.
    ``similarity`` computes the Jaccard similarities, :func:`jaccard` or its
    compiled twin.
    """
    n = np.int64(len(sets))
    checked_keys = np.empty(0, dtype=np.int64)
    checked_similarity = np.empty(0, dtype=np.float64)
    for _ in range(max_rounds):
        if not len(member):
            break
        centre, other = star_pairs(bucket, member)
        keys = np.minimum(centre, other) * n + np.maximum(centre, other)
        new_keys = sorted_unique(keys)
        new_keys = new_keys[~found_in(checked_keys, new_keys)]
        new_similarity = similarity(sets, new_keys // n, new_keys % n)
        checked_keys = np.concatenate([checked_keys, new_keys])
        order = np.argsort(checked_keys, kind="stable")
        checked_keys = checked_keys[order]
        checked_similarity = np.concatenate([checked_similarity, new_similarity])[order]
        passed = checked_similarity[np.searchsorted(checked_keys, keys)] >= threshold
        # Failed members stay for the next round; a bucket left with one member is done.
        stay = ~run_starts(bucket)
        stay[stay] = ~passed
        bucket, member = bucket[stay], member[stay]
        run = np.cumsum(run_starts(bucket)) - 1  # buckets stay grouped
        shared = np.bincount(run)[run] >= 2
        bucket, member = bucket[shared], member[shared]
    ok = checked_similarity >= threshold
    return checked_keys[ok] // n, checked_keys[ok] % n, checked_similarity[ok]
