"""What the default does with paragraphs that differ only in a number, and what ``numbers_must_match`` changes.

Real paragraphs holding numbers (Wikipedia leads in English; 20 Newsgroups
paragraphs of 20 words or more) each get a copy with one number changed (one
digit of one number-bearing word, say "1.25" to "1.85" or "1987" to "1937").
The corpus of originals and edited copies goes through ``find_duplicates``
with the defaults and with ``numbers_must_match=True``: how many edited copies
are removed as near-duplicates of their original, and how many of those the
report marks ``numbers_differ``. Then all of 20 Newsgroups, cut as usual:
how many near-duplicates the default removes, and how many of them have
numbers that differ from the paragraph kept in their place.

Run: python -m benchmarks.numbers [--paragraphs 3000]
"""

from __future__ import annotations

import argparse
import random

import numpy as np

from benchmarks.corpora import paragraphs, records
from dedup import find_duplicates


def with_a_number_changed(text: str, rng: random.Random) -> str | None:
    """``text`` with one digit of one of its number-bearing words changed; ``None`` if it has none."""
    words = text.split(" ")
    numbered = [k for k, word in enumerate(words) if any(c.isdigit() for c in word)]
    if not numbered:
        return None
    k = rng.choice(numbered)
    digits = [i for i, c in enumerate(words[k]) if c.isdigit()]
    i = rng.choice(digits)
    words[k] = words[k][:i] + rng.choice([d for d in "0123456789" if d != words[k][i]]) + words[k][i + 1:]
    return " ".join(words)


def planted(texts: list[str], rng: random.Random) -> tuple[list[str], int]:
    """Originals, then their edited copies; how many pairs."""
    pairs = [(text, edited) for text in texts if (edited := with_a_number_changed(text, rng)) is not None]
    return [text for text, _ in pairs] + [edited for _, edited in pairs], len(pairs)


def flagged(corpus: list[str], pairs: int, **options) -> tuple[int, int]:
    """Edited copies removed in their original's place, and how many of them are marked numbers_differ."""
    report = find_duplicates(corpus, segmentation="none", **options)
    copies = np.arange(pairs, 2 * pairs)
    removed = report.representative[copies] == copies - pairs
    return int(removed.sum()), int((removed & report.numbers_differ[copies]).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=3000, help="paragraphs with numbers per corpus")
    args = parser.parse_args()
    rng = random.Random(0)
    sources = {
        "Wikipedia leads (en)": [p for p in paragraphs("wikipedia_vital_en.jsonl.gz") if any(map(str.isdigit, p))],
        "20 Newsgroups paragraphs": [p for p in paragraphs("20newsgroups.jsonl.gz", min_words=20)
                                     if any(map(str.isdigit, p))],
    }
    print("| corpus | pairs | edited copies removed by default | of them marked numbers_differ "
          "| removed with numbers_must_match |")
    print("|---|---|---|---|---|")
    for name, texts in sources.items():
        texts = rng.sample(sorted(set(" ".join(t.split()) for t in texts)), min(args.paragraphs, len(texts)))
        corpus, pairs = planted(texts, rng)
        default, marked = flagged(corpus, pairs)
        strict, _ = flagged(corpus, pairs, numbers_must_match=True)
        print(f"| {name} | {pairs:,} | {default:,} ({default / pairs:.1%}) | {marked:,} | {strict:,} |")
    report = find_duplicates([record["text"] for record in records("20newsgroups.jsonl.gz")])
    near = report.is_duplicate & ~report.exact
    print(f"\nAll of 20 Newsgroups: {int(near.sum()):,} near-duplicates removed by default, "
          f"{int(report.numbers_differ.sum()):,} of them with numbers unlike the paragraph kept in their place.")


if __name__ == "__main__":
    main()
