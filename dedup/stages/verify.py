"""Stage 6: the exact Jaccard similarity of candidate pairs.

The Jaccard similarity of shingle sets ``A`` and ``B`` is ``|A ∩ B| / |A ∪ B|``
(two empty sets count as 0: they share nothing). :func:`jaccard` computes it for
many pairs at once by sorting their concatenated elements (repeats within a
set count once), so MinHash only proposes pairs and every reported pair is
real: :mod:`dedup.stages.cluster` removes a paragraph only in the place of one whose
exact Jaccard to it reaches the threshold.

Example
-------
>>> import numpy as np
>>> from dedup.stages.shingle import shingle_sets
>>> from dedup.stages.verify import jaccard
>>> sets = shingle_sets(["a b c d", "a b c e", "x y"], "word", 1)
>>> jaccard(sets, np.array([0, 0]), np.array([1, 2])).tolist()
[0.6, 0.0]
"""

from __future__ import annotations

import numpy as np

from .arrays import gather_positions, run_starts
from .shingle import ShingleSets

__all__ = ["jaccard"]

# Shingle values gathered per batch of pairs: bounds the sort's temporaries.
_BATCH_VALUES = 1 << 22


def _jaccard_batch(sets: ShingleSets, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    ids = np.concatenate([left, right])
    sizes = sets.sizes[ids]
    pair = np.repeat(np.tile(np.arange(len(left), dtype=np.uint64), 2), sizes)
    side = np.repeat((np.arange(len(ids)) >= len(left)).astype(np.uint64), sizes)
    values = sets.values[gather_positions(sets.offsets, ids)]
    if not len(values):
        return np.zeros(len(left))
    # One 64-bit key (the pair in the high bits, the value's top bits, the side
    # in the lowest bit) sorted by one np.sort: equal values of a pair end up
    # together, the left side first. 1.4x faster on the candidate pairs of
    # Wikipedia and 20 Newsgroups than argsort and four gathers. It is exact
    # unless two different values of the batch share their top bits; then
    # (rarely, for hashes) the columns are sorted by lexsort.
    pair_bits = np.uint64(max(1, (len(left) - 1).bit_length()))
    shift = pair_bits + np.uint64(1)
    ascending = np.sort(values)
    if ((ascending[1:] >> shift == ascending[:-1] >> shift) & (ascending[1:] != ascending[:-1])).any():
        order = np.lexsort((values, pair))  # stable: within a run, the left side stays first
        pair, values, side = pair[order], values[order], side[order]
        starts = run_starts(pair) | run_starts(values)
    else:
        key = np.sort((pair << (np.uint64(64) - pair_bits)) | (values >> shift << np.uint64(1)) | side)
        pair, side = key >> (np.uint64(64) - pair_bits), key & np.uint64(1)
        starts = run_starts(key >> np.uint64(1))
    # Each run of one value within one pair is one distinct shingle (sets may
    # repeat values); it is shared when it holds both sides: left first, right last.
    first = np.flatnonzero(starts)
    last = np.append(first[1:], len(starts)) - 1
    both = (side[first] == 0) & (side[last] == 1)
    union = np.bincount(pair[first].astype(np.int64), minlength=len(left))
    intersection = np.bincount(pair[first][both].astype(np.int64), minlength=len(left))
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
