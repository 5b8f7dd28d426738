"""Cost per paragraph of ``find_duplicates`` on a family of templated paragraphs that are not near-duplicates.

    python -m benchmarks.templates [--paragraphs 100000] [--repeats 3]

Each paragraph of the family is one 60-word template with 6 words, at random
places, replaced by random words: every two members share most words (Jaccard
about 0.45 on word bigrams, below any useful threshold) and most LSH buckets,
so a search that compares every pair of a bucket costs a pair per member
pair. Ordinary text is as many paragraphs of gutenberg_a's books. Reported
for each kernel: the median seconds of ``--repeats`` calls, microseconds per
paragraph, and the family's cost per paragraph over ordinary text's; no
member may be removed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from benchmarks.corpora import paragraphs
from dedup import find_duplicates


def template_family(count: int, words: int = 60, changed: int = 6, seed: int = 0) -> list[str]:
    """``count`` copies of one random template of ``words`` words, each with ``changed`` words replaced."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocabulary = np.unique(["".join(rng.choice(letters, rng.integers(3, 9))) for _ in range(6000)])
    template = rng.choice(vocabulary, words)
    family = []
    for _ in range(count):
        text = template.copy()
        text[rng.choice(words, changed, replace=False)] = rng.choice(vocabulary, changed)
        family.append(" ".join(text))
    return family


def seconds(texts: list[str], kernel: str, repeats: int) -> tuple[float, int]:
    """Median seconds of ``find_duplicates(texts)`` and the paragraphs it removes."""
    find_duplicates(texts[:200], kernel=kernel)  # compiles or warms up
    times, removed = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        report = find_duplicates(texts, kernel=kernel)
        times.append(time.perf_counter() - start)
        removed = report.summary.duplicate_paragraphs
    return statistics.median(times), removed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    corpora = {"ordinary (gutenberg_a)": paragraphs("gutenberg_a.jsonl.gz", limit=args.paragraphs),
               "templates": template_family(args.paragraphs)}
    print("| kernel | text | paragraphs | seconds (median) | us per paragraph | removed | x ordinary |")
    print("|---|---|---|---|---|---|---|")
    for kernel in ("numpy", "numba"):
        ordinary = None
        for name, texts in corpora.items():
            took, removed = seconds(texts, kernel, args.repeats)
            per = took / len(texts) * 1e6
            ordinary = ordinary or per
            print(f"| {kernel} | {name} | {len(texts):,} | {took:.2f} | {per:.1f} | {removed:,} | "
                  f"{per / ordinary:.1f}x |")


if __name__ == "__main__":
    main()
