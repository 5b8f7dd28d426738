"""``dedup clean`` against ``dedup find`` on the same corpus, and how often cleaning sets kept paragraphs apart.

Each run is the command in a fresh process (``python -m dedup``), output to a
temporary directory; runs alternate between the two commands, and the median
of ``--repeats`` runs of each is reported with their ratio. ``clean`` reads the
corpus a third time to write it, and cuts the texts that lost a paragraph
again to check them (:mod:`dedup.report.clean`); ``find`` writes the clusters.

Then, in this process, the corpus is cleaned by the library and each cleaned
text compared with the same text with only deletions (no blank line set
between kept paragraphs): how many cleaned texts had a block that would
have been cut otherwise, and how many blank lines were set between kept
paragraphs, against the paragraphs removed.

``--small-records N`` times the commands alone on N one-paragraph records
(20 Newsgroups' paragraphs, in turn, as JSONL), where the cost per record
counts, not the cost per paragraph.

Run: python -m benchmarks.clean_speed [--corpus 20newsgroups.jsonl.gz] [--repeats 3] [--small-records 1000000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.corpora import SHARED_DATA, paragraphs, records
from dedup import find_duplicates
from dedup.report.clean import _cleaned
from dedup.stages.segment import LINE_BREAK


def command_seconds(command: str, corpus: Path, folder: Path) -> float:
    output = folder / f"{command}{''.join(corpus.suffixes)}"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dedup", command, str(corpus), "-o", str(output), "-q"], check=True)
    return time.perf_counter() - start


def set_apart(texts: list[str]) -> tuple[int, int, int, int]:
    """Texts that lost a paragraph, those of them where a block was set apart,
    paragraphs removed, and blank lines set between kept paragraphs."""
    report = find_duplicates(texts)
    cleaned = report.cleaned_texts()
    bounds = np.searchsorted(report.paragraphs.doc, np.arange(len(texts) + 1))
    spans = np.stack([report.paragraphs.start, report.paragraphs.end], axis=1)
    changed = apart = blank_lines = 0
    for position, text in enumerate(texts):
        a, b = bounds[position], bounds[position + 1]
        drop = report.is_duplicate[a:b]
        if drop.any():
            changed += 1
            deleted = _cleaned(text, spans[a:b].tolist(), drop.tolist()).text
            apart += cleaned[position] != deleted
            blank_lines += len(LINE_BREAK.findall(cleaned[position])) - len(LINE_BREAK.findall(deleted))
    return changed, apart, int(report.is_duplicate.sum()), blank_lines


def small_records(count: int, path: Path) -> Path:
    """``count`` JSONL records of one 20 Newsgroups paragraph each, in turn."""
    texts = paragraphs("20newsgroups.jsonl.gz")
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            out.write(json.dumps({"id": i, "text": texts[i % len(texts)]}) + "\n")
    return path


def timed(corpus: Path, repeats: int) -> tuple[float, float]:
    """Median seconds of ``find`` and ``clean`` on ``corpus``, alternating."""
    seconds: dict[str, list[float]] = {"find": [], "clean": []}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeats):
            for command in seconds:
                seconds[command].append(command_seconds(command, corpus, Path(folder)))
    return statistics.median(seconds["find"]), statistics.median(seconds["clean"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", help="file in ../shared/data (default: 20 Newsgroups and "
                                                          "gutenberg_a)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--small-records", type=int, metavar="N", help="time N one-paragraph records instead")
    args = parser.parse_args()
    if args.small_records:
        with tempfile.TemporaryDirectory() as folder:
            find, clean = timed(small_records(args.small_records, Path(folder) / "records.jsonl"), args.repeats)
        print(f"{args.small_records:,} one-paragraph records: find {find:.1f} s, clean {clean:.1f} s (medians of "
              f"{args.repeats}): clean / find {clean / find:.2f}x")
        return
    print("| corpus | find s (median) | clean s (median) | clean / find | texts cleaned | with a block set apart "
          "| paragraphs removed | blank lines set between kept ones |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.corpus or ["20newsgroups.jsonl.gz", "gutenberg_a.jsonl.gz"]:
        find, clean = timed(SHARED_DATA / name, args.repeats)
        changed, apart, removed, blank_lines = set_apart([record["text"] for record in records(name)])
        print(f"| {name} | {find:.1f} | {clean:.1f} | {clean / find:.2f}x | {changed:,} | {apart:,} "
              f"({apart / max(changed, 1):.2%}) | {removed:,} | {blank_lines:,} |")


if __name__ == "__main__":
    main()
