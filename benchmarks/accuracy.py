"""Pair recall and edge precision of ``find_duplicates`` against the exact oracle.

Ground truth is computed once by :func:`dedup.reference.exact_pairs` (exact
all-pairs over the same shingles). A true pair counts as found when both
paragraphs end in one cluster; every verified edge is re-checked exactly.

Run: python -m benchmarks.accuracy [--paragraphs N] [--threshold T]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.corpora import paragraphs
from dedup import DedupConfig, Report, find_duplicates
from dedup.normalize import normalize
from dedup.reference import exact_pairs
from dedup.shingle import ShingleSets, shingle_sets
from dedup.verify import jaccard


def true_pairs(texts: list[str], config: DedupConfig):
    """Exact duplicate pairs, near-duplicate pairs (J >= threshold), and the unique texts' shingle sets.

    Texts are single paragraphs; pairs are of positions in ``texts``.
    """
    normalized = [normalize(t, config.unicode_form, config.casefold, config.fold_punctuation) for t in texts]
    first: dict[str, int] = {}
    for i, text in enumerate(normalized):
        first.setdefault(text, i)
    exact = [(first[text], i) for i, text in enumerate(normalized) if first[text] != i and text]
    unique = [i for i, text in enumerate(normalized) if first[text] == i]
    sets = shingle_sets([normalized[i] for i in unique], config.shingle, config.ngram_size)
    eligible = np.flatnonzero(sets.token_counts >= config.min_tokens)
    left, right = exact_pairs(sets.take(eligible), config.threshold)
    near = [(unique[eligible[a]], unique[eligible[b]]) for a, b in zip(left.tolist(), right.tolist())]
    return exact, near, sets, unique


def recall_of_labels(labels: np.ndarray, pairs) -> float:
    """Share of ``pairs`` whose two members carry the same cluster label."""
    return sum(labels[a] == labels[b] for a, b in pairs) / len(pairs) if pairs else 1.0


def edge_similarities(report: Report, sets: ShingleSets, unique: list[int]) -> np.ndarray:
    """Exact Jaccard of each verified edge, recomputed from the oracle's sets."""
    position = {row: k for k, row in enumerate(unique)}
    left, right, _ = report.edges
    return jaccard(sets, [position[r] for r in left.tolist()], [position[r] for r in right.tolist()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=None, help="first N paragraphs (default all)")
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args()
    texts = paragraphs("20newsgroups.jsonl.gz", limit=args.paragraphs)
    config = DedupConfig(threshold=args.threshold, segmentation="none")
    exact, near, sets, unique = true_pairs(texts, config)
    start = time.perf_counter()
    report = find_duplicates(texts, config=config)
    seconds = time.perf_counter() - start
    edges = edge_similarities(report, sets, unique)
    print(f"20newsgroups: {len(texts)} paragraphs, {len(exact)} exact and {len(near)} near-duplicate true pairs "
          f"at threshold {args.threshold}; LSH {report.lsh.bands}x{report.lsh.rows}")
    print(f"near-pair recall {recall_of_labels(report.representative, near):.4f}, "
          f"exact-pair recall {recall_of_labels(report.representative, exact):.4f}, "
          f"edges {len(edges)} with min exact Jaccard {edges.min() if len(edges) else float('nan'):.4f} "
          f"(precision {np.mean(edges >= args.threshold) if len(edges) else 1.0:.4f}); "
          f"find_duplicates {seconds:.1f} s")


if __name__ == "__main__":
    main()
