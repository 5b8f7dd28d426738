"""MinHash with short sets by size against every set in order, on real shingle sets.

For each corpus, collects the batches of shingle sets that the numpy
``find_duplicates`` signs (paragraphs of 5 tokens or more, first copies only)
and, with ``--all-paragraphs``, those ``paragraph_signatures`` signs (every
paragraph's). Then times, two ways, alternating, and prints the medians:
``dedup.stages.minhash.signatures`` over the batches, and the whole call on one core.
The two ways are sets of shared short sizes by size (the default), and every
set in order (``_BY_SIZE_MAX = 0``: one ``reduceat`` call per set and
permutation). Both must give the same results.

Run: python -m benchmarks.minhash_by_size [--news 100000] [--wiki 12500] [--books 40] [--repeats 11]
     [--all-paragraphs]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from unittest import mock

import numpy as np

import dedup.engines.local
import dedup.stages.minhash
from benchmarks.compare import news_paragraphs, planted_wikipedia
from benchmarks.corpora import records
from dedup import find_duplicates, paragraph_signatures
from dedup.stages.shingle import ShingleSets


def signed_batches(run: Callable[[], object]) -> list[ShingleSets]:
    """The batches of sets that ``run()`` passes to the numpy MinHash stage."""
    batches: list[ShingleSets] = []
    plain = dedup.engines.local.NUMPY_STAGES

    def kept(sets: ShingleSets, config) -> np.ndarray:
        batches.append(sets)
        return plain.signatures(sets, config)

    with mock.patch.object(dedup.engines.local, "NUMPY_STAGES", replace(plain, signatures=kept)):
        run()
    return batches


def compare(work: Callable[[], object], same: Callable[[object, object], bool], repeats: int) -> tuple[float, float]:
    """Median seconds of ``work()`` with every set in order and with sets by size,
    alternating which runs first; ``same`` checks that both give the same result."""
    seconds: dict[int, list[float]] = {0: [], dedup.stages.minhash._BY_SIZE_MAX: []}
    results = {}
    for repeat in range(repeats):
        for limit in (list(seconds) if repeat % 2 else list(seconds)[::-1]):
            with mock.patch.object(dedup.stages.minhash, "_BY_SIZE_MAX", limit):
                start = time.perf_counter()
                results[limit] = work()
                seconds[limit].append(time.perf_counter() - start)
        assert same(*results.values()), "the two ways differ"
    in_order, by_size = (statistics.median(values) for values in seconds.values())
    return in_order, by_size


def signed(batches: list[ShingleSets]) -> list[np.ndarray]:
    return [dedup.stages.minhash.signatures(sets) for sets in batches]


def same_signatures(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def same_clusters(a, b) -> bool:
    return np.array_equal(a.representative, b.representative) and np.array_equal(a.jaccard, b.jaccard)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news", type=int, default=100_000, help="20newsgroups paragraphs")
    parser.add_argument("--wiki", type=int, default=12_500, help="Wikipedia paragraphs incl. planted copies")
    parser.add_argument("--books", type=int, default=40, help="Gutenberg books, segmented as find_duplicates does")
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--all-paragraphs", action="store_true", help="also every paragraph's set")
    args = parser.parse_args()
    corpora = [("20 Newsgroups", news_paragraphs(args.news), "none"),
               ("Wikipedia + planted", planted_wikipedia(args.wiki), "none"),
               ("Gutenberg books", [r["text"] for r in records("gutenberg_a.jsonl.gz", limit=args.books)], "auto")]
    print("| data | sets | mean shingles | MinHash in order | by size | speed-up "
          "| call on 1 core, in order | by size | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, texts, segmentation in corpora:
        kinds = [("find_duplicates", partial(find_duplicates, texts, segmentation=segmentation, n_jobs=1),
                  same_clusters)]
        if args.all_paragraphs and segmentation == "none":
            kinds.append(("paragraph_signatures", partial(paragraph_signatures, texts, n_jobs=1), np.array_equal))
        for call, run, same in kinds:
            batches = signed_batches(run)
            sizes = np.concatenate([sets.sizes for sets in batches])
            cells = [f"{name}, sets {call} signs", f"{len(sizes):,}", f"{sizes.mean():.1f}"]
            for work, equal in ((partial(signed, batches), same_signatures), (run, same)):
                in_order, by_size = compare(work, equal, args.repeats)
                cells += [f"{1000 * in_order:.1f} ms", f"{1000 * by_size:.1f} ms", f"{in_order / by_size:.2f}x"]
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
