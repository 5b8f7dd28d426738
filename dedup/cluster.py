"""Stage 7: group verified pairs into clusters.

Clusters are the connected components of the graph whose nodes are paragraphs
and whose edges are verified pairs, the result of union-find over the edges.
Each node is labelled with the *smallest* node number in its component; since
nodes are numbered in document then paragraph order, that is the earliest
occurrence, the cluster's representative. The result depends only on the set of
edges, never on their order, so it is the same in every run and worker.

The labels are computed by min-label hooking with pointer jumping, vectorised
over all edges at once: each round every edge pulls the label of its larger
endpoint's root down to the smaller label, then every node's label pointer is
followed to its end. Labels only decrease and stay inside the component, so
the fixed point gives each component the label of its minimum node.

Example
-------
>>> import numpy as np
>>> from dedup.cluster import components
>>> components(6, np.array([4, 1, 5]), np.array([2, 3, 4])).tolist()
[0, 1, 2, 1, 2, 2]
"""

from __future__ import annotations

import numpy as np

__all__ = ["components"]


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """For each of ``n`` nodes, the smallest node of its connected component."""
    labels = np.arange(n, dtype=np.int64)
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    while True:
        left_label, right_label = labels[left], labels[right]
        low = np.minimum(left_label, right_label)
        hooked = labels.copy()
        np.minimum.at(hooked, left_label, low)
        np.minimum.at(hooked, right_label, low)
        while True:
            jumped = hooked[hooked]
            if np.array_equal(jumped, hooked):
                break
            hooked = jumped
        if np.array_equal(hooked, labels):
            return labels
        labels = hooked
