"""Side-by-side benchmark: this library against datasketch, rensa and gaoya, in one run.

For each data set, every system gets the same raw paragraphs. Each timed
run is a fresh subprocess: a warm-up on ``WARMUP`` paragraphs spread over the
data set (so that it meets every kind of text the run will, e.g. the first
non-ASCII one, and one-time set-up stays out of the timing), then one run
over all of them. Runs go round-robin over the systems,
``--repeats`` rounds, and the median is reported with the largest peak RSS
(of the process, and of its largest worker process if it has any).
"signatures" is text -> MinHash signatures; "clusters" is text -> duplicate
clusters (``find_duplicates`` for this library; LSH insert + query +
MinHash-estimate check + union-find for the others). Pair recall (a true
pair counts when its later paragraph is removed) and edge precision (the
share of (kept, removed) pairs, or of the baselines' confirmed pairs, at or
above the threshold) are measured against exact-Jaccard ground truth
computed once by ``dedup.reference.exact_pairs`` over the same shingles.

The scale series runs ``find_duplicates`` on the Gutenberg books themselves
(segmentation included) at 10/25/50/100% of the corpus.

Run: python -m benchmarks.compare            (full run; writes benchmarks/results/compare.md and .png)
     python -m benchmarks.compare --smoke    (tiny sizes, seconds; what CI runs)
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.fresh import fresh_process

RESULTS = Path(__file__).resolve().parent / "results"
WARMUP = 2000


# --- data -------------------------------------------------------------------------------

def news_paragraphs(limit: int) -> list[str]:
    from benchmarks.corpora import paragraphs

    return paragraphs("20newsgroups.jsonl.gz", limit=limit)


def planted_wikipedia(limit: int, seed: int = 0) -> list[str]:
    """Wikipedia paragraphs plus copies of a quarter of them with 1-5 word edits, shuffled."""
    from benchmarks.corpora import paragraphs, with_word_edits

    rng = random.Random(seed)
    base = paragraphs("wikipedia_vital_en.jsonl.gz", min_words=10)[: int(limit * 0.8)]
    vocabulary = sorted({w for p in base[:2000] for w in p.split()})
    out = list(base)
    for text in rng.sample(base, min(len(base), limit - len(base))):
        out.append(" ".join(with_word_edits(text.split(), rng.randint(1, 5), vocabulary, rng)))
    rng.shuffle(out)
    return out


def gutenberg_books(fraction: float) -> list[str]:
    from benchmarks.corpora import records

    books = [r["text"] for r in records("gutenberg_a.jsonl.gz")]
    total, taken, out = sum(map(len, books)), 0, []
    for book in books:
        if taken >= fraction * total:
            break
        out.append(book)
        taken += len(book)
    return out


# --- one measurement, in its own process ------------------------------------------------

def peak_rss_mb() -> tuple[float, float]:
    """Peak RSS of this process and of its largest worker process, in MB.

    VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a fresh
    subprocess would report its parent's peak.
    """
    status = Path("/proc/self/status").read_text()
    own_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
    return own_kb / 1024, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def worker(system: str, task: str, data: Path, output: Path, repeats: int) -> None:
    from benchmarks.systems import SYSTEMS, release_workers

    texts = pickle.loads(data.read_bytes())
    run = (lambda t: __import__("dedup").find_duplicates(t)) if system == "scale" else SYSTEMS[system][task]
    run(texts[:: max(1, len(texts) // WARMUP)])
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run(texts)
        times.append(time.perf_counter() - start)
    if task == "clusters" and system != "scale":
        labels, left, right = result
        np.savez(output, labels=labels, left=left, right=right)
    release_workers()
    print(json.dumps({"times": times, "rss_mb": peak_rss_mb()}))


def measure(system: str, task: str, texts_file: Path, repeats: int, workdir: Path) -> dict:
    """Median time over ``repeats`` rounds, each in a fresh subprocess, and the largest peak RSS.

    Callers interleave systems within a round (see :func:`rounds`), so that a
    machine that slows down or speeds up during the run affects all alike.
    """
    output = workdir / f"{system.replace(' ', '_')}-{task}-{texts_file.stem}.npz"
    result = fresh_process("benchmarks.compare", "--worker", system, task, str(texts_file), str(output), str(repeats))
    if output.exists():
        with np.load(output) as saved:
            result.update({k: saved[k] for k in saved.files})
    return result


def rounds(jobs: list[tuple[str, str, Path]], repeats: int, workdir: Path) -> list[dict]:
    """For each (system, task, data) job: all times, median, peak RSS and its last output, round-robin."""
    results = [{"times": [], "rss_mb": (0.0, 0.0)} for _ in jobs]
    for _ in range(repeats):
        for job, result in zip(jobs, results):
            one = measure(*job, 1, workdir)
            result["times"] += one.pop("times")
            result["rss_mb"] = tuple(map(max, result["rss_mb"], one.pop("rss_mb")))
            result.update(one)
    for result in results:
        result["median"] = statistics.median(result["times"])
    return results


# --- accuracy ---------------------------------------------------------------------------

def accuracy(texts: list[str], result: dict, truth) -> tuple[float, float]:
    """(pair recall, edge precision) of one system's clusters against exact ground truth."""
    from benchmarks.accuracy import recall_of_removals
    from dedup.stages.verify import jaccard

    exact, near, sets, owner = truth
    recall = recall_of_removals(result["labels"], exact + near)
    left, right = owner[result["left"]], owner[result["right"]]
    same = left == right
    similarity = np.ones(len(left))
    similarity[~same] = jaccard(sets, left[~same], right[~same])
    precision = float(np.mean(similarity >= 0.8 - 1e-12)) if len(left) else 1.0
    return recall, precision


# --- the run ----------------------------------------------------------------------------

def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    from importlib.metadata import version

    return (f"{cpu}, {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}, "
            f"numpy {np.__version__}, datasketch {version('datasketch')}, rensa {version('rensa')}, "
            f"gaoya {version('gaoya')}")


def compare(name: str, texts: list[str], systems: list[str], repeats: int, workdir: Path) -> list[dict]:
    from benchmarks.accuracy import true_pairs
    from benchmarks.systems import SYSTEMS
    from dedup import DedupConfig
    from dedup.stages.normalize import normalize_all

    texts = [t for t, n in zip(texts, normalize_all(texts)) if n]  # drop those that normalise to nothing
    megabytes = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts) / 1e6
    texts_file = workdir / f"{name}.pkl"
    texts_file.write_bytes(pickle.dumps(texts))
    truth = true_pairs(texts, DedupConfig(segmentation="none"))
    jobs = [(system, task, texts_file) for system in systems for task in ("signatures", "clusters")
            if task in SYSTEMS[system]]
    rows = []
    for (system, task, _), result in zip(jobs, rounds(jobs, repeats, workdir)):
        row = {"data": name, "system": system, "task": task, "paragraphs": len(texts), "mb": megabytes,
               "seconds": result["median"], "fastest": min(result["times"]), "slowest": max(result["times"]),
               "rss_mb": result["rss_mb"][0], "worker_rss_mb": result["rss_mb"][1]}
        if task == "clusters":
            row["recall"], row["precision"] = accuracy(texts, result, truth)
        rows.append(row)
        print(f"  {name:10} {system:16} {task:10} {row['seconds']:8.3f} s", file=sys.stderr)
    return rows


def scale_series(fractions: list[float], repeats: int, workdir: Path) -> list[dict]:
    jobs, sizes = [], []
    for fraction in fractions:
        books = gutenberg_books(fraction)
        texts_file = workdir / f"gutenberg-{fraction}.pkl"
        texts_file.write_bytes(pickle.dumps(books))
        jobs.append(("scale", "clusters", texts_file))
        sizes.append((len(books), sum(len(b.encode("utf-8")) for b in books) / 1e6))
    rows = []
    for fraction, (books, mb), result in zip(fractions, sizes, rounds(jobs, repeats, workdir)):
        rows.append({"fraction": fraction, "books": books, "mb": mb, "seconds": result["median"],
                     "rss_mb": result["rss_mb"][0], "worker_rss_mb": result["rss_mb"][1]})
        print(f"  gutenberg {fraction:.0%} {rows[-1]['seconds']:.1f} s", file=sys.stderr)
    return rows


def _rss(row: dict) -> str:
    worker = f"{row['worker_rss_mb']:.0f}" if row["worker_rss_mb"] else "-"
    return f"{row['rss_mb']:.0f} / {worker}"


BASELINES = ("datasketch", "rensa", "gaoya")


def tables(rows: list[dict], scale: list[dict]) -> str:
    """Markdown tables; "x name" is how many times faster than baseline ``name`` each system ran."""
    lines = []
    for data in dict.fromkeys(r["data"] for r in rows):
        for task in ("signatures", "clusters"):
            group = [r for r in rows if r["data"] == data and r["task"] == task]
            baselines = [r for r in group if r["system"] in BASELINES]
            n, mb = group[0]["paragraphs"], group[0]["mb"]
            lines += [f"**{data}, text -> {task}** ({n:,} paragraphs, {mb:.1f} MB)", ""]
            head = "| system | median s (fastest-slowest) | paragraphs/s | MB/s | peak RSS MB (main / worker) |"
            head += "".join(f" x {b['system']} |" for b in baselines)
            if task == "clusters":
                head += " pair recall | edge precision |"
            lines += [head, "|" + "---|" * head.count(" |")]
            for r in group:
                line = (f"| {r['system']} | {r['seconds']:.3f} ({r['fastest']:.3f}-{r['slowest']:.3f}) | "
                        f"{r['paragraphs'] / r['seconds']:,.0f} | {r['mb'] / r['seconds']:.2f} | {_rss(r)} |")
                line += "".join(f" {b['seconds'] / r['seconds']:.1f}x |" for b in baselines)
                if task == "clusters":
                    line += f" {r['recall']:.4f} | {r['precision']:.4f} |"
                lines.append(line)
            lines.append("")
    if scale:
        lines += ["**gutenberg_a scale series, `find_duplicates` on whole books (default settings)**", "",
                  "| share | books | MB | median s | MB/s | peak RSS MB (main / worker) |", "|---|---|---|---|---|---|"]
        lines += [f"| {s['fraction']:.0%} | {s['books']} | {s['mb']:.1f} | {s['seconds']:.1f} | "
                  f"{s['mb'] / s['seconds']:.2f} | {_rss(s)} |" for s in scale]
        lines.append("")
    return "\n".join(lines)


def plot(rows: list[dict], scale: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    panels = 3 if scale else 2
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 4.2))
    data = next(iter(dict.fromkeys(r["data"] for r in rows)))
    for ax, task in zip(axes, ("signatures", "clusters")):
        group = [r for r in rows if r["data"] == data and r["task"] == task]
        bars = ax.barh([r["system"] for r in group], [r["paragraphs"] / r["seconds"] for r in group],
                       color="#4472c4")
        ax.bar_label(bars, fmt="{:,.0f}", padding=3, fontsize=8)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # labels only at powers of ten
        ax.margins(x=0.25)  # room for the labels
        ax.set_xlabel("paragraphs / s (log scale)")
        ax.set_title(f"{data}: text -> {task}")
        ax.invert_yaxis()
    if scale:
        ax = axes[2]
        mb = [s["mb"] for s in scale]
        ax.plot(mb, [s["seconds"] for s in scale], "o-", label="find_duplicates")
        ax.plot(mb, [scale[-1]["seconds"] * m / mb[-1] for m in mb], "--", color="grey", label="linear")
        ax.set_xlabel("MB of text (gutenberg_a)")
        ax.set_ylabel("seconds")
        ax.set_title("scale series")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=5, metavar=("SYSTEM", "TASK", "DATA", "OUTPUT", "REPEATS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat, no scale series")
    parser.add_argument("--news", type=int, default=100_000, help="20newsgroups paragraphs")
    parser.add_argument("--wiki", type=int, default=12_500, help="Wikipedia paragraphs incl. planted copies")
    parser.add_argument("--scale", default="0.1,0.25,0.5,1", help="gutenberg fractions ('' to skip)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--systems", default="dedup (2 cores),dedup (1 core),dedup (pool of 2),"
                                              "dedup numba (2 cores),dedup numba (1 core),dedup numba (pool of 2),"
                                              "datasketch,rensa,gaoya")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.worker:
        system, task, data, output, repeats = args.worker
        worker(system, task, Path(data), Path(output), int(repeats))
        return
    if args.smoke:
        args.news, args.wiki, args.scale, args.repeats = 1500, 1000, "", 1
    systems = args.systems.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        rows = compare("20newsgroups", news_paragraphs(args.news), systems, args.repeats, workdir)
        rows += compare("wikipedia+planted", planted_wikipedia(args.wiki), systems, args.repeats, workdir)
        fractions = [float(f) for f in args.scale.split(",") if f]
        scale = scale_series(fractions, args.repeats, workdir)
    command = "python -m benchmarks.compare" + (" --smoke" if args.smoke else "")
    text = (f"# Benchmark: dedup vs datasketch, rensa, gaoya\n\nMachine: {machine()}.\n"
            f"Median of {args.repeats} run(s) after a warm-up; ratios from the same run.\n"
            f"Command: `{command}`\n\n" + tables(rows, scale))
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "compare.md").write_text(text, encoding="utf-8")
    plot(rows, scale, args.output / "compare.png")
    print(text)


if __name__ == "__main__":
    main()
