"""What workers kept across calls (``executor=``) save a program that calls repeatedly.

A program that cleans shard after shard calls ``find_duplicates`` (or
``paragraph_signatures``) many times in one process. Each way of running is
measured in a fresh subprocess making ``--calls`` calls on the same
paragraphs as ``benchmarks.compare``, after one warm-up call on all of them;
the median call is reported. Subprocesses go round-robin over the ways,
``--repeats`` rounds, and the median of their medians is printed:

- ``workers per call``: ``n_jobs=2``, two workers started for each call
  (processes forked with numpy, threads with numba);
- ``pool of 2``: one ``ProcessPoolExecutor(2)`` given to every call;
- ``1 core``: ``n_jobs=1``, for the baseline.

Run: python -m benchmarks.repeated_calls [--news 100000] [--wiki 12500] [--calls 7] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from benchmarks.compare import news_paragraphs, planted_wikipedia
from benchmarks.fresh import fresh_process

WAYS = ("workers per call", "pool of 2", "1 core")


def calls(way: str, task: str, kernel: str, data: Path, count: int) -> None:
    """Print the seconds of each of ``count`` calls, after a warm-up call, as JSON."""
    from dedup import find_duplicates, paragraph_signatures

    texts = pickle.loads(data.read_bytes())
    pool = ProcessPoolExecutor(2) if way == "pool of 2" else None
    options = dict(kernel=kernel, n_jobs=1 if way == "1 core" else 2, executor=pool)
    if task == "clusters":
        def run():
            return find_duplicates(texts, threshold=0.8, segmentation="none", **options)
    else:
        def run():
            return paragraph_signatures(texts, **options)
    run()
    seconds = []
    for _ in range(count):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    if pool is not None:
        pool.shutdown()
    print(json.dumps(seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls-of", nargs=5, metavar=("WAY", "TASK", "KERNEL", "DATA", "COUNT"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--news", type=int, default=100_000, help="20newsgroups paragraphs")
    parser.add_argument("--wiki", type=int, default=12_500, help="Wikipedia paragraphs incl. planted copies")
    parser.add_argument("--calls", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--kernels", default="numpy,numba")
    args = parser.parse_args()
    if args.calls_of:
        way, task, kernel, data, count = args.calls_of
        calls(way, task, kernel, Path(data), int(count))
        return
    print("| data | task | kernel | " + " | ".join(WAYS) + " | pool vs per call |")
    print("|---|---|---|" + "---|" * (len(WAYS) + 1))
    with tempfile.TemporaryDirectory() as tmp:
        for name, texts in (("20 Newsgroups", news_paragraphs(args.news)), ("Wikipedia + planted",
                                                                           planted_wikipedia(args.wiki))):
            data = Path(tmp) / "texts.pkl"
            data.write_bytes(pickle.dumps(texts))
            for task in ("signatures", "clusters"):
                for kernel in args.kernels.split(","):
                    medians: dict[str, list[float]] = {way: [] for way in WAYS}
                    for _ in range(args.repeats):
                        for way in WAYS:
                            medians[way].append(statistics.median(fresh_process(
                                "benchmarks.repeated_calls", "--calls-of", way, task, kernel, str(data),
                                str(args.calls))))
                    seconds = {way: statistics.median(values) for way, values in medians.items()}
                    print(f"| {name} | {task} | {kernel} | "
                          + " | ".join(f"{seconds[way]:.3f} s" for way in WAYS)
                          + f" | {seconds['workers per call'] / seconds['pool of 2']:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
