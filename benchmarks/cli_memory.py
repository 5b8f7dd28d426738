"""Time and peak memory of the ``dedup`` command on a shared corpus, workers included.

    python -m benchmarks.cli_memory                      # dedup clean on all of gutenberg_a
    python -m benchmarks.cli_memory --command find --corpus 20newsgroups.jsonl.gz --jobs 1

Runs the real command in a subprocess (median wall time of ``--repeats`` runs)
and samples ``VmHWM`` (peak resident set) of it and of every worker process it
starts, every 20 ms: the figures are the main process's peak, the largest
worker's peak, and the largest sum of resident sets seen at one time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpora import SHARED_DATA


def _status(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def measure(command: list[str]) -> dict[str, float]:
    """Wall time and memory peaks (bytes) of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    peaks: dict[int, int] = {}
    total = 0
    while process.poll() is None:
        pids = [process.pid, *_children(process.pid)]
        for pid in pids:
            peaks[pid] = max(peaks.get(pid, 0), _status(pid, "VmHWM"))
        total = max(total, sum(_status(pid, "VmRSS") for pid in pids))
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed with exit code {process.returncode}")
    workers = [peak for pid, peak in peaks.items() if pid != process.pid]
    return {"seconds": seconds, "main": peaks.get(process.pid, 0), "worker": max(workers, default=0),
            "together": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--command", choices=("find", "clean", "stats"), default="clean")
    parser.add_argument("--corpus", default="gutenberg_a.jsonl.gz", help="file in the shared data folder")
    parser.add_argument("--jobs", type=int, help="worker processes (default: the command's own choice)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    corpus = SHARED_DATA / args.corpus
    size = corpus.stat().st_size
    with tempfile.TemporaryDirectory() as folder:
        output = [] if args.command == "stats" else ["-o", str(Path(folder) / ("out" + "".join(corpus.suffixes)))]
        jobs = [] if args.jobs is None else ["--jobs", str(args.jobs)]
        command = [sys.executable, "-m", "dedup", args.command, str(corpus), *output, *jobs, "-q"]
        runs = [measure(command) for _ in range(args.repeats)]
    mb = 1 << 20
    seconds = statistics.median(r["seconds"] for r in runs)
    print(f"dedup {args.command} {args.corpus} ({size / mb:.0f} MB compressed), jobs {args.jobs or 'auto'}: "
          f"median {seconds:.1f} s of {[round(r['seconds'], 1) for r in runs]}; peak RSS "
          f"main {max(r['main'] for r in runs) / mb:.0f} MB, largest worker {max(r['worker'] for r in runs) / mb:.0f}"
          f" MB, all processes at once {max(r['together'] for r in runs) / mb:.0f} MB")


if __name__ == "__main__":
    main()
