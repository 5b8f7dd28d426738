"""Where a call with two forked workers spends its time: a timeline of its batches.

Runs ``paragraph_signatures`` or ``find_duplicates`` (``n_jobs=2``, numpy, the
paragraphs ``benchmarks.compare`` uses) and records when each worker
process starts and when each of its batches starts and ends, then prints,
per call: when the workers started and began their first batch, each
worker's first batch against its later ones, when the last batch ended, and
the workers' busy time against the same call on one core (``n_jobs=1``,
median of the calls). A worker's first batch writes to memory it shares
with the parent until then, and each page it writes is copied first. For
``clusters``, the time after the last batch includes the corpus-wide
search, which runs in the calling process.

Run: python -m benchmarks.worker_timeline [--data wikipedia|20newsgroups] [--task signatures|clusters]
     [--size 12500] [--calls 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import dedup.batch
from benchmarks.compare import news_paragraphs, planted_wikipedia
from dedup import find_duplicates, paragraph_signatures

# Events go to a file that every process appends one line to: (pid, seconds, event).
_log = {"path": None}
_plain_batch = dedup.batch._inherited_batch
_plain_initializer = dedup.batch._ignore_interrupts


def _event(name: str) -> None:
    with open(_log["path"], "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {time.perf_counter()} {name}\n")


def _timed_batch(function: Callable, start: int, stop: int, config) -> object:
    # Module-level, so that the pool pickles it by name for the forked workers.
    _event("batch start")
    try:
        return _plain_batch(function, start, stop, config)
    finally:
        _event("batch end")


def _timed_initializer() -> None:
    _event("worker start")
    _plain_initializer()


def timeline(run: Callable[[], object], path: Path) -> tuple[float, float, dict[int, list[tuple[float, float]]]]:
    """Start and end of one ``run()``, and each worker's batches as (start, end), all in seconds."""
    path.write_text("")
    _log["path"] = str(path)
    with mock.patch.object(dedup.batch, "_inherited_batch", _timed_batch), \
            mock.patch.object(dedup.batch, "_ignore_interrupts", _timed_initializer):
        begin = time.perf_counter()
        run()
        end = time.perf_counter()
    workers: dict[int, list[tuple[float, float]]] = defaultdict(list)
    opened: dict[int, float] = {}
    for line in path.read_text().splitlines():
        pid, seconds, name = line.split(" ", 2)
        if name == "worker start":
            workers[int(pid)].append((float(seconds), float(seconds)))
        elif name == "batch start":
            opened[int(pid)] = float(seconds)
        else:
            workers[int(pid)].append((opened.pop(int(pid)), float(seconds)))
    return begin, end, dict(workers)


def report(begin: float, end: float, workers: dict[int, list[tuple[float, float]]]) -> list[str]:
    """Lines describing one call's timeline, times in ms from its start."""
    def ms(seconds: float) -> str:
        return f"{1000 * seconds:.1f}"

    lines = [f"call {ms(end - begin)} ms"]
    last_end = begin
    for number, events in enumerate(sorted(workers.values(), key=lambda events: events[0][0]), 1):
        started, batches = events[0][0], events[1:]
        durations = [stop - start for start, stop in batches]
        later = statistics.median(durations[1:]) if len(durations) > 1 else float("nan")
        lines.append(f"  worker {number}: started at {ms(started - begin)}, first batch at "
                     f"{ms(batches[0][0] - begin) if batches else '-'}; {len(batches)} batches, first "
                     f"{ms(durations[0]) if durations else '-'} ms, later ones {ms(later)} ms (median), "
                     f"busy {ms(sum(durations))} ms")
        last_end = max([last_end] + [stop for _, stop in batches])
    busy = sum(stop - start for events in workers.values() for start, stop in events[1:])
    lines.append(f"  last batch ended at {ms(last_end - begin)}; the call returned {ms(end - last_end)} ms later; "
                 f"workers busy {ms(busy)} ms in all")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("wikipedia", "20newsgroups"), default="wikipedia")
    parser.add_argument("--task", choices=("signatures", "clusters"), default="signatures")
    parser.add_argument("--size", type=int, default=None, help="paragraphs (12,500 Wikipedia, 100,000 Usenet)")
    parser.add_argument("--calls", type=int, default=3)
    args = parser.parse_args()
    texts = (planted_wikipedia(args.size or 12_500) if args.data == "wikipedia"
             else news_paragraphs(args.size or 100_000))

    def call(n_jobs: int) -> Callable[[], object]:
        if args.task == "signatures":
            return lambda: paragraph_signatures(texts, n_jobs=n_jobs)
        return lambda: find_duplicates(texts, segmentation="none", n_jobs=n_jobs)

    one_core = []
    for _ in range(args.calls + 1):  # the first call of each warms up
        start = time.perf_counter()
        call(1)()
        one_core.append(time.perf_counter() - start)
    print(f"{args.data}, {args.task}, {len(texts):,} paragraphs: one core {1000 * statistics.median(one_core[1:]):.1f}"
          " ms (median)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.log"
        call(2)()
        for _ in range(args.calls):
            print("\n".join(report(*timeline(call(2), path))), flush=True)


if __name__ == "__main__":
    main()
