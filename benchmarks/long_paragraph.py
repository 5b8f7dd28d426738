"""Peak memory per character of ``find_duplicates`` on one paragraph tens or hundreds of MB long.

    python -m benchmarks.long_paragraph [--mb 50 200] [--repeats 1]

A dump without line breaks is one paragraph: Gutenberg's books with every run
of whitespace made one space, joined into one line (past the corpus's 110 MB,
the books again with each one's words in reverse order, so that the text
stays new to the shingle set). Each measurement is a fresh process that
builds the text, warms the kernel up on a short one, then resets its peak RSS
(``/proc/self/clear_refs``) and calls ``find_duplicates`` once in process
(``n_jobs=1``). Reported: the peak beyond the RSS before the call, which holds
the text and, the heap trimmed (``malloc_trim``), little else; in bytes per
character.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import statistics
import time
from pathlib import Path

from benchmarks.fresh import fresh_process

CASES = [("numpy", "word"), ("numpy", "char"), ("numba", "word"), ("numba", "char")]


def one_line(chars: int) -> str:
    from benchmarks.corpora import records

    books = [" ".join(r["text"].split()) for r in records("gutenberg_a.jsonl.gz")]
    parts, taken, reverse = [], 0, False
    while taken < chars:
        for book in books:
            parts.append(" ".join(reversed(book.split(" "))) if reverse else book)
            taken += len(book) + 1
            if taken >= chars:
                break
        reverse = True
    return " ".join(parts)[:chars]


def _status(field: str) -> float:
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field))
    return int(line.split()[1]) / 1024


def worker(mb: float, kernel: str, shingle: str) -> None:
    from dedup import find_duplicates

    text = one_line(int(mb * 1e6))
    find_duplicates(["a short text to compile and warm the kernel up on"] * 2, kernel=kernel, shingle=shingle, n_jobs=1)
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)  # the pages building the text used, which the call could reuse
    before = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM from here
    start = time.perf_counter()
    report = find_duplicates([text], kernel=kernel, shingle=shingle, n_jobs=1)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "beyond_mb": _status("VmHWM") - before, "chars": len(text),
                      "paragraphs": len(report.representative)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[50, 200],
                        help="paragraph sizes, in millions of characters")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(float(args.worker[0]), args.worker[1], args.worker[2])
        return
    print(f"one paragraph (gutenberg_a as one line), find_duplicates(n_jobs=1), median of {args.repeats}\n")
    print("| M characters | kernel | shingle | seconds | peak beyond the text, MB | bytes per character |")
    print("|---|---|---|---|---|---|")
    for mb in args.mb:
        for kernel, shingle in CASES:
            runs = [fresh_process("benchmarks.long_paragraph", "--worker", str(mb), kernel, shingle)
                    for _ in range(args.repeats)]
            assert all(r["paragraphs"] == 1 for r in runs), runs
            beyond = statistics.median(r["beyond_mb"] for r in runs)
            print(f"| {mb:g} | {kernel} | {shingle} | {statistics.median(r['seconds'] for r in runs):.1f} | "
                  f"{beyond:.0f} | {beyond * 2**20 / runs[0]['chars']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
