"""Pair recall and precision of ``find_duplicates`` against the exact oracle.

Ground truth is computed once by :func:`dedup.reference.exact_pairs` (exact
all-pairs over the same shingles). A true pair counts as found when its
later paragraph is removed (it is then in the place of the earlier one, or of
a kept paragraph as like it); precision is the share of removed paragraphs
whose exact Jaccard to the paragraph kept in their place, recomputed from the
oracle's sets, reaches the threshold.

Run: python -m benchmarks.accuracy [--paragraphs N] [--threshold T]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.corpora import paragraphs
from dedup import DedupConfig, Report, find_duplicates
from dedup.reference import exact_pairs
from dedup.stages.normalize import normalize
from dedup.stages.shingle import ShingleSets, shingle_sets
from dedup.stages.verify import jaccard


def true_pairs(texts: list[str], config: DedupConfig):
    """Exact duplicate pairs, near-duplicate pairs (J >= threshold), the distinct
    texts' shingle sets, and the set of each text (its position among them).

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
    owner = np.searchsorted(unique, [first[text] for text in normalized])
    return exact, near, sets, owner


def recall_of_removals(representative: np.ndarray, pairs) -> float:
    """Share of ``pairs`` (earlier, later) whose later paragraph is removed: in
    the place of another (``representative`` is not itself)."""
    return sum(representative[b] != b for a, b in pairs) / len(pairs) if pairs else 1.0


def removed_similarities(report: Report, sets: ShingleSets, owner: np.ndarray) -> np.ndarray:
    """Exact Jaccard of each removed near duplicate to the paragraph kept in its
    place, recomputed from the oracle's ``sets`` (``owner``: each text's)."""
    removed = np.flatnonzero(report.is_duplicate & ~report.exact)
    return jaccard(sets, owner[report.representative[removed]], owner[removed])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=None, help="first N paragraphs (default all)")
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args()
    texts = paragraphs("20newsgroups.jsonl.gz", limit=args.paragraphs)
    config = DedupConfig(threshold=args.threshold, segmentation="none")
    exact, near, sets, owner = true_pairs(texts, config)
    start = time.perf_counter()
    report = find_duplicates(texts, config=config)
    seconds = time.perf_counter() - start
    removed = removed_similarities(report, sets, owner)
    print(f"20newsgroups: {len(texts)} paragraphs, {len(exact)} exact and {len(near)} near-duplicate true pairs "
          f"at threshold {args.threshold}; LSH {report.lsh.bands}x{report.lsh.rows}")
    print(f"near-pair recall {recall_of_removals(report.representative, near):.4f}, "
          f"exact-pair recall {recall_of_removals(report.representative, exact):.4f}, "
          f"{len(removed)} near duplicates removed, min exact Jaccard to the kept paragraph "
          f"{removed.min() if len(removed) else float('nan'):.4f} "
          f"(precision {np.mean(removed >= args.threshold) if len(removed) else 1.0:.4f}); "
          f"find_duplicates {seconds:.1f} s")


if __name__ == "__main__":
    main()
