"""Small array helpers shared by the stages."""

from __future__ import annotations

import numpy as np

__all__ = ["run_starts"]


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
