"""Measure which word n-gram size separates near-duplicates from distinct paragraphs best.

Positives: Wikipedia lead paragraphs with k planted word edits (substitute,
insert or delete a random word), k = 1..5; a good n keeps Jaccard >= threshold
for few edits. Negatives: all pairs of distinct Wikipedia paragraphs (a corpus
nearly free of duplicates) reaching the threshold, found exactly with
``dedup.reference.exact_pairs``; and each paragraph against itself with its
words shuffled (same bag of words, different text).

Run: python -m benchmarks.choose_ngram [--paragraphs 2000] [--threshold 0.8]
Writes benchmarks/results/ngram.md.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from benchmarks.corpora import paragraphs, with_word_edits
from dedup.reference import exact_pairs
from dedup.stages.normalize import normalize
from dedup.stages.shingle import shingle_sets
from dedup.stages.verify import jaccard

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=2000)
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args()
    rng = random.Random(0)
    corpus = sorted(set(normalize(p) for p in paragraphs("wikipedia_vital_en.jsonl.gz", min_words=20)))
    vocabulary = sorted({w for p in corpus for w in p.split()})
    sample = rng.sample(corpus, min(args.paragraphs, len(corpus)))
    lengths = [len(p.split()) for p in sample]
    rows = []
    for n in range(1, 7):
        pos = []
        for k in range(1, 6):
            variants = [" ".join(with_word_edits(p.split(), k, vocabulary, rng)) for p in sample]
            sets = shingle_sets(sample + variants, "word", n)
            ids = np.arange(len(sample))
            pos.append(float(np.mean(jaccard(sets, ids, ids + len(sample)) >= args.threshold)))
        shuffled = [" ".join(rng.sample(p.split(), len(p.split()))) for p in sample]
        sets = shingle_sets(sample + shuffled, "word", n)
        ids = np.arange(len(sample))
        bag = float(np.mean(jaccard(sets, ids, ids + len(sample)) >= args.threshold))
        distinct = len(exact_pairs(shingle_sets(corpus, "word", n), args.threshold)[0])
        rows.append((n, pos, bag, distinct))
    lines = [
        f"Word n-gram size vs. detection at Jaccard >= {args.threshold} "
        f"({len(sample)} Wikipedia paragraphs, median {int(np.median(lengths))} words; "
        f"{len(corpus)} distinct paragraphs for the false-positive count).",
        "",
        "| n | 1 edit | 2 edits | 3 edits | 4 edits | 5 edits | shuffled words flagged | distinct pairs flagged |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, pos, bag, distinct in rows:
        lines.append(f"| {n} | " + " | ".join(f"{x:.3f}" for x in pos) + f" | {bag:.3f} | {distinct} |")
    text = "\n".join(lines) + "\n\nCommand: `python -m benchmarks.choose_ngram`\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ngram.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
