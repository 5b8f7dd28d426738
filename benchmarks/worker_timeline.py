"""Where a call with two forked workers spends its time: a timeline of its batches.

Runs ``paragraph_signatures`` or ``find_duplicates`` (``n_jobs=2``, numpy, the
paragraphs ``benchmarks.compare`` uses) and records when each worker
process starts and when each of its batches starts and ends, then prints,
per call: when the workers started and began their first batch, each
worker's first batch against its later ones, when the last batch ended, and
the workers' busy time against the same call on one core (``n_jobs=1``,
median of the calls). To tell what the hardware allows from what the
workers cost, the one-core call also runs in a fresh process alone, and in
two such processes at once. A worker's first batch writes to memory it shares
with the parent until then, and each page it writes is copied first. For
``clusters``, the time after the last batch includes the corpus-wide
search, which runs in the calling process.

Run: python -m benchmarks.worker_timeline [--data wikipedia|20newsgroups] [--task signatures|clusters]
     [--size 12500] [--calls 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import dedup.engines.local
from benchmarks.compare import news_paragraphs, planted_wikipedia
from dedup import find_duplicates, paragraph_signatures

# Events go to a file that every process appends one line to: pid, seconds,
# page faults so far (minor: a page first written, or copied), event.
_log = {"path": None}
_plain_batch = dedup.engines.local._inherited_batch
_plain_initializer = dedup.engines.local._start_worker


def _event(name: str) -> None:
    with open(_log["path"], "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {time.perf_counter()} {resource.getrusage(resource.RUSAGE_SELF).ru_minflt} {name}\n")


def _timed_batch(function: Callable, start: int, stop: int, config) -> object:
    # Module-level, so that the pool pickles it by name for the forked workers.
    _event("batch start")
    try:
        return _plain_batch(function, start, stop, config)
    finally:
        _event("batch end")


def _timed_initializer(parent: int) -> None:
    _event("worker start")
    _plain_initializer(parent)


Batch = tuple[float, float, int]  # start and end in seconds, page faults


def timeline(run: Callable[[], object], path: Path) -> tuple[float, float, list[tuple[float, list[Batch]]]]:
    """Start and end of one ``run()``, and when each worker started and its batches, workers by start."""
    path.write_text("")
    _log["path"] = str(path)
    with mock.patch.object(dedup.engines.local, "_inherited_batch", _timed_batch), \
            mock.patch.object(dedup.engines.local, "_start_worker", _timed_initializer):
        begin = time.perf_counter()
        run()
        end = time.perf_counter()
    started: dict[str, float] = {}
    batches: dict[str, list[Batch]] = defaultdict(list)
    opened: dict[str, tuple[float, int]] = {}
    for line in path.read_text().splitlines():
        pid, seconds, faults, name = line.split(" ", 3)
        if name == "worker start":
            started[pid] = float(seconds)
        elif name == "batch start":
            opened[pid] = float(seconds), int(faults)
        else:
            start, faults_before = opened.pop(pid)
            batches[pid].append((start, float(seconds), int(faults) - faults_before))
    return begin, end, sorted((started[pid], batches[pid]) for pid in started)


def report(begin: float, end: float, workers: list[tuple[float, list[Batch]]]) -> list[str]:
    """Lines describing one call's timeline, times in ms from its start."""
    def ms(seconds: float) -> str:
        return f"{1000 * seconds:.1f}"

    lines = [f"call {ms(end - begin)} ms"]
    last_end = begin
    for number, (started, batches) in enumerate(workers, 1):
        durations = [stop - start for start, stop, _ in batches]
        faults = [count for _, _, count in batches]
        later = (f"{ms(statistics.median(durations[1:]))} ms, {statistics.median(faults[1:]):.0f} faults"
                 if len(batches) > 1 else "-")
        lines.append(f"  worker {number}: started at {ms(started - begin)}, first batch at "
                     f"{ms(batches[0][0] - begin) if batches else '-'}; {len(batches)} batches, first "
                     f"{ms(durations[0]) if durations else '-'} ms, {faults[0] if faults else '-'} page faults; "
                     f"later ones {later} (medians); busy {ms(sum(durations))} ms")
        last_end = max([last_end] + [stop for _, stop, _ in batches])
    busy = sum(stop - start for _, batches in workers for start, stop, _ in batches)
    lines.append(f"  last batch ended at {ms(last_end - begin)}; the call returned {ms(end - last_end)} ms later; "
                 f"workers busy {ms(busy)} ms in all")
    return lines


def side_by_side(args: argparse.Namespace) -> tuple[float, list[float]]:
    """Median one-core call of a fresh process alone, and of each of two running at once."""
    command = [sys.executable, "-m", "benchmarks.worker_timeline", "--one-core-calls", "--data", args.data,
               "--task", args.task, "--calls", str(args.calls)] + (["--size", str(args.size)] if args.size else [])
    root = Path(__file__).resolve().parents[1]

    def medians(count: int) -> list[float]:
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=root) for _ in range(count)]
        outputs = [run.communicate()[0] for run in runs]
        if any(run.returncode for run in runs):
            raise RuntimeError(f"{' '.join(command)} failed")
        return [statistics.median(json.loads(output)) for output in outputs]

    return medians(1)[0], medians(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one-core-calls", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", choices=("wikipedia", "20newsgroups"), default="wikipedia")
    parser.add_argument("--task", choices=("signatures", "clusters"), default="signatures")
    parser.add_argument("--size", type=int, default=None,
                        help="paragraphs (default 12,500 of Wikipedia, 100,000 of 20 Newsgroups)")
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
    if args.one_core_calls:
        print(json.dumps(one_core[1:]))
        return
    print(f"{args.data}, {args.task}, {len(texts):,} paragraphs: one core {1000 * statistics.median(one_core[1:]):.1f}"
          " ms (median)")
    alone, together = side_by_side(args)
    print(f"one core in a fresh process: alone {1000 * alone:.1f} ms, two at once "
          + " and ".join(f"{1000 * seconds:.1f}" for seconds in together) + " ms (medians)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.log"
        call(2)()
        for _ in range(args.calls):
            print("\n".join(report(*timeline(call(2), path))), flush=True)


if __name__ == "__main__":
    main()
