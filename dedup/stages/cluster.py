"""Stage 7: decide which paragraphs are kept, and in whose place each other one is removed.

The rule, in document order: a paragraph is kept unless it is a
near-duplicate (Jaccard >= threshold) of a paragraph already kept; it is then
reported under the *earliest* such kept paragraph. So every removed paragraph
is at or above the threshold to the paragraph kept in its place, and a
cluster (a kept paragraph and those removed in its place) never chains
through a third paragraph, as connected components do: ``a ~ b ~ c`` with
``a`` not like ``c`` keeps ``a`` and ``c`` and removes ``b``.

"Near-duplicate" is judged over LSH candidates: a paragraph is compared with
the kept members of each bucket it is in, at most the first
:data:`MAX_KEPT_PER_BUCKET` of each. A bucket of near-duplicates keeps one
paragraph and costs one comparison per member; a large family of templated
paragraphs that share a band but differ (quarterly dividend notices) would
otherwise cost one comparison per pair. With 4 rather than 32, 20 Newsgroups
and gutenberg_a keep and remove exactly the same paragraphs, and such a
family costs several times less (``python -m benchmarks.templates``).

:func:`greedy_representatives` runs the rule over the nodes of the LSH
buckets, a chunk of nodes at a time: Jaccard similarities are computed in
batches (with the kernel's :func:`dedup.stages.verify.jaccard`), the decisions in
order, in passes (see there). :func:`dedup.stages.compiled.greedy_representatives`
(kernel ``"numba"``, given a :class:`SetSimilarity`) runs the rule node by node
with the Jaccard measured inside the loop: on a family of templates the
Python passes cost most of the run. :func:`dedup.reference.reference_representatives`
runs the same rule one paragraph at a time with Python sets; the tests hold
the three equal.

Example
-------
>>> import numpy as np
>>> from dedup.stages.cluster import greedy_representatives
>>> similar = {(0, 1): 0.9, (1, 2): 0.9, (0, 2): 0.5}  # a chain: 0 ~ 1 ~ 2, 0 not like 2
>>> similarity = lambda left, right: np.array([similar[p] for p in zip(left.tolist(), right.tolist())])
>>> kept_in_place, jaccard = greedy_representatives(3, np.zeros(3, int), np.arange(3), similarity, 0.8)
>>> kept_in_place.tolist(), jaccard.tolist()
([0, 0, 2], [1.0, 0.9, 1.0])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .arrays import first_occurrences, range_positions, run_starts, sorted_unique
from .shingle import ShingleSets

__all__ = ["MAX_KEPT_PER_BUCKET", "SetSimilarity", "greedy_representatives", "kept_in_place"]

MAX_KEPT_PER_BUCKET = 4
# Nodes decided per round of batched similarities.
_CHUNK = 2048


def greedy_representatives(nodes: int, bucket: np.ndarray, node: np.ndarray,
                           similarity: Callable[[np.ndarray, np.ndarray], np.ndarray], threshold: float,
                           apart: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                           protected: np.ndarray | None = None,
                           max_kept: int = MAX_KEPT_PER_BUCKET) -> tuple[np.ndarray, np.ndarray]:
    """The rule of this module over ``nodes`` nodes, numbered in document order.

    ``bucket[k]`` holds ``node[k]``; ``similarity(left, right)`` gives the
    Jaccard of node pairs (``left < right``); ``apart(left, right)`` marks
    pairs that may not match (say, of one document), and ``protected`` nodes
    are never removed. Returns, for each node, the node kept in its place
    (itself if kept) and the Jaccard of the two.

    A chunk of nodes goes in passes: each pass decides, in order, every node
    whose comparisons are all known, and sets aside the others with those of
    their buckets after them; then the comparisons they wait for (and those of
    the nodes just kept with the later nodes of their buckets) are measured in
    one batch. A node set aside is also measured against the first nodes set
    aside before it in its buckets (none in the first pass, which settles a
    bucket of near-duplicates; then 2, and twice as many in each next pass, up
    to ``max_kept``): should they be kept, it is decided in the same pass.
    A bucket of near-duplicates settles in two passes, a family of templates
    in about ``log2(max_kept)`` more.
    """
    order = np.lexsort((bucket, node))
    node_buckets = bucket[order].tolist()
    bounds = np.searchsorted(node[order], np.arange(nodes + 1)).tolist()
    guarded = protected.tolist() if protected is not None else [False] * nodes
    kept: dict[int, list[int]] = {}
    representative = np.arange(nodes)
    jaccard = np.ones(nodes)
    # Jaccard of node pairs measured so far, by pair number i * nodes + j.
    known: dict[int, float] = {}

    def measure(pairs: set[int]) -> None:
        pairs = [pair for pair in pairs if pair not in known]
        if not pairs:
            return
        keys = np.sort(np.array(pairs, dtype=np.int64))
        left, right = keys // nodes, keys % nodes
        values = similarity(left, right)
        if apart is not None:
            values = np.where(apart(left, right), 0.0, values)
        known.update(zip(keys.tolist(), values.tolist()))

    for first in range(0, nodes, _CHUNK):
        chunk = range(first, min(nodes, first + _CHUNK))
        members: dict[int, list[int]] = {}  # the chunk's nodes in each bucket, in order
        for j in chunk:
            for b in node_buckets[bounds[j] : bounds[j + 1]]:
                members.setdefault(b, []).append(j)
        measure({i * nodes + j for b, later in members.items() for i in kept.get(b, ()) for j in later})
        waiting, ahead = list(chunk), 0
        while waiting:
            open_nodes, waiting, unsettled, wanted = waiting, [], set(), set()
            undecided: dict[int, list[int]] = {}  # the first waiting nodes of each bucket, ``ahead`` at most
            for j in open_nodes:
                buckets_of = node_buckets[bounds[j] : bounds[j + 1]]
                unknown = () if guarded[j] else [key for b in buckets_of for i in kept.get(b, ())
                                                  if (key := i * nodes + j) not in known]
                if unknown or not unsettled.isdisjoint(buckets_of):
                    wanted.update(unknown)
                    waiting.append(j)
                    unsettled.update(buckets_of)
                    for b in buckets_of:
                        # Measured ahead: should those earlier nodes be kept, j is decided in the same pass.
                        before = undecided.setdefault(b, [])
                        if not guarded[j]:
                            wanted.update(i * nodes + j for i in before)
                        # Only as many as could still be kept in the bucket's place.
                        if len(before) < min(ahead, max_kept - len(kept.get(b, ()))):
                            before.append(j)
                    continue
                best = None if guarded[j] else _earliest_like(j, nodes, buckets_of, kept, known, threshold)
                if best is not None:
                    representative[j], jaccard[j] = best, known[best * nodes + j]
                    continue
                for b in buckets_of:
                    holders = kept.setdefault(b, [])
                    if len(holders) < max_kept:
                        holders.append(j)
                        wanted.update(j * nodes + k for k in members[b] if k > j)
            measure(wanted)
            ahead = min(max(2, 2 * ahead), max_kept)
    return representative, jaccard


def _earliest_like(j: int, nodes: int, buckets_of: list[int], kept: dict[int, list[int]], known: dict[int, float],
                   threshold: float) -> int | None:
    """The earliest kept node of ``j``'s buckets at or above ``threshold`` to ``j``."""
    best = None
    for b in buckets_of:
        for i in kept.get(b, ()):
            if best is not None and i >= best:
                break
            if known[i * nodes + j] >= threshold:
                best = i
                break
    return best


@dataclass(frozen=True)
class SetSimilarity:
    """The Jaccard similarity of paragraphs by row, from the shingle ``sets`` of
    rows ``rows`` (ascending) measured by the kernel's ``jaccard``; with
    ``numbers`` (their number keys), 0 where the numbers of two differ.
    ``greedy`` is the kernel's compiled :func:`greedy_representatives` over
    such sets, if it has one."""

    rows: np.ndarray
    sets: ShingleSets
    jaccard: Callable[[ShingleSets, np.ndarray, np.ndarray], np.ndarray]
    numbers: np.ndarray | None = None
    greedy: Callable[..., tuple[np.ndarray, np.ndarray]] | None = None

    def __call__(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        left, right = np.searchsorted(self.rows, left), np.searchsorted(self.rows, right)
        values = self.jaccard(self.sets, left, right)
        return values if self.numbers is None else np.where(self.numbers[left] != self.numbers[right], 0.0, values)


def kept_in_place(first: np.ndarray, doc: np.ndarray, bucket: np.ndarray, member: np.ndarray,
                  similarity: Callable[[np.ndarray, np.ndarray], np.ndarray], threshold: float, scope: str = "all",
                  protected: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rule over every paragraph (row, in document order): for each, the
    row kept in its place (itself if kept), their Jaccard, and whether the two
    are exact copies.

    ``first[r]`` is the first row with the same normalised text as row ``r``
    and ``doc[r]`` its document; ``bucket`` and ``member`` list the LSH buckets
    of first rows (see :func:`dedup.stages.lsh.buckets`), ``similarity(left, right)``
    the Jaccard of two lists of first rows. ``scope`` is ``"all"`` (remove any
    repeat), ``"across"`` (only repeats of another document's paragraph) or
    ``"within"`` (only repeats inside one document); ``protected`` rows are
    never removed.
    """
    rows = np.arange(len(first))
    copy_of = first
    if scope == "within":  # a text's first row in each document stands for its copies there
        copy_of = first_occurrences(np.stack([first, doc], axis=1).astype(np.uint64))
        bucket, member = _within_documents(copy_of, first, doc, bucket, member)
    nodes = sorted_unique(member)
    guarded = None if protected is None else protected[nodes]
    if isinstance(similarity, SetSimilarity) and similarity.greedy is not None:
        kept, jaccard = similarity.greedy(len(nodes), bucket, np.searchsorted(nodes, member),
                                          np.searchsorted(similarity.rows, first[nodes]), similarity.sets, threshold,
                                          similarity.numbers, doc[nodes] if scope == "across" else None, guarded)
    else:
        apart = (lambda left, right: doc[nodes[left]] == doc[nodes[right]]) if scope == "across" else None
        kept, jaccard = greedy_representatives(
            len(nodes), bucket, np.searchsorted(nodes, member),
            lambda left, right: similarity(first[nodes[left]], first[nodes[right]]), threshold, apart, guarded)
    # A row standing for its copies is kept, or removed in a kept row's
    # place; its copies are removed in its place, or in that kept row's.
    place, similar = rows.copy(), np.ones(len(first))
    place[nodes], similar[nodes] = nodes[kept], jaccard
    representative, jaccard = place[copy_of], similar[copy_of]
    stood_for = representative == copy_of
    if scope == "across":  # copies inside the document of the row kept for them are kept too
        stood_for &= doc != doc[copy_of]
    representative = np.where(stood_for | (representative != copy_of), representative, rows)
    if protected is not None:
        representative[protected] = rows[protected]
    jaccard[representative == rows] = 1.0
    return representative, jaccard, first[representative] == first


def _within_documents(copy_of: np.ndarray, first: np.ndarray, doc: np.ndarray, bucket: np.ndarray,
                      member: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The buckets ``bucket``/``member`` of first rows split by document: each
    row standing for its text in its document (``copy_of`` itself) joins the
    buckets of the text's ``first`` row, with its document; buckets of one
    member left out."""
    order = np.argsort(member, kind="stable")
    member, bucket = member[order], bucket[order]
    standing = np.flatnonzero(copy_of == np.arange(len(copy_of)))
    low, high = np.searchsorted(member, first[standing]), np.searchsorted(member, first[standing], side="right")
    entries = range_positions(low, high)
    row = np.repeat(standing, high - low)
    group = np.lexsort((row, doc[row], bucket[entries]))
    keys = np.stack([bucket[entries], doc[row]], axis=1)[group]
    starts = run_starts(keys)
    label = np.cumsum(starts) - 1
    shared = np.bincount(label)[label] >= 2
    return label[shared], row[group][shared]
