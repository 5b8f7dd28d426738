"""Time and peak memory of ``find_duplicates`` on books, and on the same books joined into one long text.

    python -m benchmarks.long_text [--share 1.0] [--repeats 3] [--jobs N]

A corpus may come as one huge record (a dump, a log, a book collection
pasted together). Each measurement is one call in a fresh process, after a
warm-up call on a small text; the two forms alternate, round after round.
Reported: the median time, the largest peak RSS of the process (VmHWM) and of
its largest worker, and the paragraphs found, which must be the same.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from benchmarks.fresh import fresh_process

FORMS = ("books", "one text")


def worker(form: str, share: float, jobs: int | None) -> None:
    from benchmarks.compare import gutenberg_books, peak_rss_mb
    from dedup import find_duplicates

    books = gutenberg_books(share)
    texts = books if form == "books" else ["\n\n".join(books)]
    find_duplicates([books[0][:100_000]], n_jobs=jobs)
    start = time.perf_counter()
    report = find_duplicates(texts, n_jobs=jobs)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "rss_mb": peak_rss_mb(), "chars": sum(map(len, texts)),
                      "paragraphs": len(report.representative),
                      "duplicates": report.summary.duplicate_paragraphs}))


def measure(form: str, share: float, jobs: int | None) -> dict:
    return fresh_process("benchmarks.long_text", "--worker", form, "--share", str(share),
                         *([] if jobs is None else ["--jobs", str(jobs)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--share", type=float, default=1.0, help="share of gutenberg_a's characters")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, help="n_jobs (default: find_duplicates' own choice)")
    parser.add_argument("--worker", choices=FORMS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.share, args.jobs)
        return
    runs: dict[str, list[dict]] = {form: [] for form in FORMS}
    for _ in range(args.repeats):
        for form in FORMS:
            runs[form].append(measure(form, args.share, args.jobs))
    print(f"gutenberg_a, {args.share:.0%} of its characters, n_jobs {args.jobs or 'auto'}, "
          f"median of {args.repeats} fresh processes\n")
    print("| form | M characters | median s | peak RSS MB (main / worker) | paragraphs | duplicates |")
    print("|---|---|---|---|---|---|")
    for form, results in runs.items():
        main_mb, worker_mb = (max(r["rss_mb"][i] for r in results) for i in (0, 1))
        first = results[0]
        print(f"| {form} | {first['chars'] / 1e6:.1f} | "
              f"{statistics.median(r['seconds'] for r in results):.1f} | {main_mb:.0f} / {worker_mb:.0f} | "
              f"{first['paragraphs']:,} | {first['duplicates']:,} |")


if __name__ == "__main__":
    main()
