"""Where ``find_duplicates`` spends its time: each stage, per kernel, in one process.

Runs ``find_duplicates`` (one process, paragraphs given whole) on the
paragraphs ``benchmarks.compare`` uses, with each stage function wrapped in a
timer, and prints the median seconds per stage over ``--repeats`` runs after
a warm-up. The stages are the library's own functions, not copies of them, so
what is timed is what runs.

Run: python -m benchmarks.stages [--news 100000] [--wiki 12500] [--repeats 5] [--kernels numpy,numba]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from unittest import mock

import dedup.engines.local
import dedup.pipeline
from benchmarks.compare import WARMUP, news_paragraphs, planted_wikipedia
from dedup import DedupConfig, find_duplicates

# The functions timed: the kernel's stages (fields of dedup.engines.local.Stages), and
# those dedup.engines.local calls around them; COLUMNS lists them in the order they run.
KERNEL_STAGES = ("normalized", "shingle_sets", "signatures", "jaccard")
BATCH_STAGES = ("segment", "_fingerprints", "band_keys")
COLUMNS = ("segment", "normalized", "_fingerprints", "shingle_sets", "signatures", "band_keys", "_search",
           "jaccard", "total")


def _timed(function: Callable, name: str, seconds: dict[str, float]) -> Callable:
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[name] += time.perf_counter() - start
    return timed


def _run(texts: list[str], kernel: str) -> dict[str, float]:
    """Seconds in each stage of one ``find_duplicates`` call (``jaccard`` is part of ``_search``)."""
    seconds: dict[str, float] = defaultdict(float)
    plain = dedup.engines.local.stages(DedupConfig(kernel=kernel))
    timed = replace(plain, **{name: _timed(getattr(plain, name), name, seconds) for name in KERNEL_STAGES})
    with ExitStack() as patches:
        for module in (dedup.engines.local, dedup.pipeline):
            patches.enter_context(mock.patch.object(module, "stages", lambda config: timed))
        for name in BATCH_STAGES:
            patches.enter_context(mock.patch.object(dedup.engines.local, name,
                                                    _timed(getattr(dedup.engines.local, name), name, seconds)))
        patches.enter_context(mock.patch.object(dedup.pipeline, "_search",
                                                _timed(dedup.pipeline._search, "_search", seconds)))
        start = time.perf_counter()
        find_duplicates(texts, segmentation="none", n_jobs=1, kernel=kernel)
        seconds["total"] = time.perf_counter() - start
    return seconds


def stage_seconds(texts: list[str], kernel: str, repeats: int) -> dict[str, float]:
    """Median seconds of each stage, and of the whole call (``"total"``), over ``repeats`` runs."""
    find_duplicates(texts[:: max(1, len(texts) // WARMUP)], segmentation="none", n_jobs=1, kernel=kernel)
    runs: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeats):
        for name, value in _run(texts, kernel).items():
            runs[name].append(value)
    return {name: statistics.median(values) for name, values in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news", type=int, default=100_000, help="20newsgroups paragraphs")
    parser.add_argument("--wiki", type=int, default=12_500, help="Wikipedia paragraphs incl. planted copies")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--kernels", default="numpy,numba")
    args = parser.parse_args()
    print("| data | kernel | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    data = (("20newsgroups", news_paragraphs(args.news)), ("wikipedia+planted", planted_wikipedia(args.wiki)))
    for name, texts in data:
        for kernel in args.kernels.split(","):
            seconds = stage_seconds(texts, kernel, args.repeats)
            print(f"| {name} | {kernel} | " + " | ".join(f"{seconds.get(c, 0.0):.3f}" for c in COLUMNS) + " |",
                  flush=True)


if __name__ == "__main__":
    main()
