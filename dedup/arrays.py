"""Small array helpers shared by the stages."""

from __future__ import annotations

import numpy as np

__all__ = ["run_starts", "first_occurrences"]


def run_starts(values: np.ndarray) -> np.ndarray:
    """Boolean mask of the positions where a run of equal values (or rows) begins.

    >>> run_starts(np.array([3, 3, 5, 5, 5, 2])).tolist()
    [True, False, True, False, False, True]
    """
    starts = np.ones(len(values), dtype=bool)
    if len(values) > 1:
        differs = values[1:] != values[:-1]
        starts[1:] = differs.any(axis=1) if differs.ndim > 1 else differs
    return starts


def first_occurrences(fingerprints: np.ndarray) -> np.ndarray:
    """For each row of an ``(n, k)`` array, the first row equal to it.

    >>> first_occurrences(np.array([[1, 2], [3, 4], [1, 2]])).tolist()
    [0, 1, 0]
    """
    order = np.lexsort((fingerprints[:, 1], fingerprints[:, 0]))
    starts = run_starts(fingerprints[order])
    first = np.empty(len(order), dtype=np.int64)
    # lexsort is stable, so each run of equal fingerprints begins at its smallest row.
    first[order] = order[np.flatnonzero(starts)][np.cumsum(starts) - 1]
    return first
