"""A persistent index side by side: dedup.Index against datasketch, rensa (and gaoya), in one run.

The index holds paragraphs of gutenberg_a, 20 Newsgroups and English
Wikipedia together (as ``benchmarks.corpora.paragraphs`` cuts them); the
queries are near-copies of indexed paragraphs (1-3 word edits) and as many
paragraphs the index does not hold (French and Spanish Wikipedia, and the
books' and news paragraphs left out of the index). Each system
gets the same raw paragraphs and works from text:

- **build**: text -> index, then saved (``Index.add`` then ``save``; datasketch
  ``MinHashLSH`` with an insertion session, rensa ``RMinHashLSH``, both
  pickled, as their documentation shows); for dedup also ``find_duplicates``
  over the same paragraphs, the target's baseline;
- **query**: in a fresh process, open (or unpickle) the saved index, then
  query every query paragraph from text (baselines: MinHash, LSH query,
  candidates kept when their MinHash estimate reaches the threshold).

Reported: paragraphs/s of add and query, open time, RSS after open and after
the queries, bytes on disk per indexed paragraph, and recall and precision of
the matches against exact Jaccard: a planted copy at or above the threshold
to its source is found when some match reported for it is at or above it
too; precision is the share of reported (query, indexed) pairs that are.

Run: python -m benchmarks.index               (writes benchmarks/results/index.md)
     python -m benchmarks.index --smoke       (a few thousand paragraphs: what the tests run)
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.fresh import fresh_process

RESULTS = Path(__file__).resolve().parent / "results"
THRESHOLD = 0.8
WARMUP = 2000  # paragraphs run before the timed calls, so that one-time set-up (tables, compiling) stays out
SYSTEMS = ("dedup", "dedup numba", "datasketch", "rensa")


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def corpus(indexed: int, queries: int, seed: int = 0) -> tuple[list[str], list[str], list[int]]:
    """``indexed`` paragraphs (books, news and Wikipedia), ``queries`` query paragraphs (half near-copies
    of indexed ones, half paragraphs the index does not hold), and each query's planted source (-1: none)."""
    from benchmarks.corpora import paragraphs, with_word_edits

    books, news = paragraphs("gutenberg_a.jsonl.gz"), paragraphs("20newsgroups.jsonl.gz")
    wiki = paragraphs("wikipedia_vital_en.jsonl.gz")
    # The index takes from each in the corpora's proportions; what it leaves is fresh for the queries.
    total = len(books) + len(news) + len(wiki)
    from_books, from_wiki = indexed * len(books) // total, indexed * len(wiki) // total
    from_news = indexed - from_books - from_wiki
    texts = books[:from_books] + news[:from_news] + wiki[:from_wiki]
    rng = random.Random(seed)
    vocabulary = [w for text in rng.sample(texts, min(2000, len(texts))) for w in text.split()]
    long_enough = [i for i, text in enumerate(texts) if len(text.split()) >= 10]
    sources = rng.sample(long_enough, queries // 2)
    planted = [" ".join(with_word_edits(texts[i].split(), rng.randint(1, 3), vocabulary, rng)) for i in sources]
    fresh = (paragraphs("wikipedia_vital_fr.jsonl.gz") + paragraphs("wikipedia_vital_es.jsonl.gz")
             + books[from_books:] + news[from_news:] + wiki[from_wiki:])
    fresh = rng.sample(fresh, queries - len(planted))
    order = list(range(queries))
    rng.shuffle(order)
    query_texts = [(planted + fresh)[k] for k in order]
    query_sources = [(sources + [-1] * len(fresh))[k] for k in order]
    return texts, query_texts, query_sources


# --- the systems ----------------------------------------------------------------------------------------


def _options(system: str) -> dict:
    return {"threshold": THRESHOLD, "segmentation": "none", "kernel": "numba" if "numba" in system else "numpy"}


def build(system: str, workdir: Path) -> dict:
    texts = json.loads((workdir / "indexed.json").read_text())
    target = workdir / system.replace(" ", "-")
    if target.is_dir():  # the previous repeat's
        shutil.rmtree(target)
    out = {}
    if system.startswith("dedup"):
        import dedup

        dedup.find_duplicates(texts[:: max(1, len(texts) // WARMUP)], **_options(system))  # one-time set-up
        start = time.perf_counter()
        dedup.find_duplicates(texts, **_options(system))
        out["find_s"] = time.perf_counter() - start
        start = time.perf_counter()
        index = dedup.Index(**_options(system))
        index.add(texts)
        out["add_s"] = time.perf_counter() - start
        start = time.perf_counter()
        index.save(target)
        out["save_s"] = time.perf_counter() - start
        out["bytes"] = sum(path.stat().st_size for path in target.iterdir())
        return out
    from benchmarks import systems

    (systems._datasketch_minhashes if system == "datasketch" else systems._rensa_minhashes)(texts[:WARMUP])
    start = time.perf_counter()
    if system == "datasketch":
        from datasketch import MinHashLSH

        minhashes = systems._datasketch_minhashes(texts)
        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=systems.NUM_PERM)
        with lsh.insertion_session() as session:
            for i, m in enumerate(minhashes):
                session.insert(i, m)
        keep = {"lsh": lsh, "minhashes": [m.hashvalues for m in minhashes]}
    else:
        from rensa import RMinHashLSH

        minhashes = systems._rensa_minhashes(texts)
        lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=systems.NUM_PERM, num_bands=16)
        for i, m in enumerate(minhashes):
            lsh.insert(i, m)
        keep = {"lsh": lsh, "minhashes": minhashes}
    out["add_s"] = time.perf_counter() - start
    start = time.perf_counter()
    with open(target, "wb") as file:
        pickle.dump(keep, file, protocol=pickle.HIGHEST_PROTOCOL)
    out["save_s"] = time.perf_counter() - start
    out["bytes"] = target.stat().st_size
    return out


def query(system: str, workdir: Path) -> dict:
    texts = json.loads((workdir / "queries.json").read_text())
    target = workdir / system.replace(" ", "-")
    before = rss_mb()
    out = {}
    if system.startswith("dedup"):
        import dedup

        dedup.find_duplicates(texts[:: max(1, len(texts) // WARMUP)], **_options(system))  # one-time set-up
        before = rss_mb()
        start = time.perf_counter()
        index = dedup.Index.open(target, kernel=_options(system)["kernel"])
        out["open_s"] = time.perf_counter() - start
        out["rss_open_mb"] = rss_mb()
        out["rss_before_mb"] = before
        start = time.perf_counter()
        report = index.query(texts)
        out["query_s"] = time.perf_counter() - start
        out["rss_query_mb"] = rss_mb()
        first = int(report._document_bounds[report.indexed_documents])
        rows = np.arange(first, len(report.paragraphs))
        matched = rows[report.representative[rows] < first]
        pairs = [(int(report.paragraphs.doc[r]) - report.indexed_documents,
                  report.ids[report.paragraphs.doc[report.representative[r]]]) for r in matched.tolist()]
        out["pairs"] = pairs
        return out
    from benchmarks import systems

    (systems._datasketch_minhashes if system == "datasketch" else systems._rensa_minhashes)(texts[:WARMUP])
    before = rss_mb()
    start = time.perf_counter()
    with open(target, "rb") as file:
        kept = pickle.load(file)
    out["open_s"] = time.perf_counter() - start
    out["rss_open_mb"] = rss_mb()
    out["rss_before_mb"] = before
    start = time.perf_counter()
    pairs = []
    if system == "datasketch":
        indexed = kept["minhashes"]
        for q, m in enumerate(systems._datasketch_minhashes(texts)):
            # The estimate datasketch's MinHash.jaccard computes, from the pickled hash values.
            pairs += [(q, i) for i in kept["lsh"].query(m)
                      if np.count_nonzero(indexed[i] == m.hashvalues) / len(m.hashvalues) >= THRESHOLD]
    else:
        indexed = kept["minhashes"]
        for q, m in enumerate(systems._rensa_minhashes(texts)):
            pairs += [(q, i) for i in kept["lsh"].query(m) if m.jaccard(indexed[i]) >= THRESHOLD]
    out["query_s"] = time.perf_counter() - start
    out["rss_query_mb"] = rss_mb()
    out["pairs"] = pairs
    return out


# --- accuracy -------------------------------------------------------------------------------------------


def exact_jaccard(left_texts: list[str], right_texts: list[str]) -> np.ndarray:
    """Exact Jaccard of word-bigram sets of normalised texts, pair by pair; 1 for texts the same once
    normalised, even with no word ("--", "|>"): exact copies match whatever their sets."""
    from dedup.config import DedupConfig
    from dedup.stages.normalize import normalize_all, normalized_texts
    from dedup.stages.shingle import shingle_sets
    from dedup.stages.verify import jaccard

    config = DedupConfig()
    sets = shingle_sets(normalized_texts(left_texts + right_texts, config.unicode_form, config.casefold,
                                         config.fold_punctuation), "word", 2)
    n = len(left_texts)
    same = np.array([a == b for a, b in zip(normalize_all(left_texts), normalize_all(right_texts))], dtype=bool)
    return np.where(same, 1.0, jaccard(sets, np.arange(n), np.arange(n, 2 * n)))


def accuracy(pairs: list, indexed: list[str], queries: list[str], sources: list[int]) -> tuple[float, float]:
    pairs = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    truth = exact_jaccard([queries[q] for q in pairs[:, 0]], [indexed[i] for i in pairs[:, 1]])
    good = truth >= THRESHOLD
    planted = [q for q, source in enumerate(sources) if source >= 0]
    source_jaccard = exact_jaccard([queries[q] for q in planted], [indexed[sources[q]] for q in planted])
    findable = {q for q, j in zip(planted, source_jaccard.tolist()) if j >= THRESHOLD}
    found = set(pairs[good, 0].tolist()) & findable
    return len(found) / max(len(findable), 1), float(good.mean()) if len(good) else 1.0


# --- the run --------------------------------------------------------------------------------------------


def worker(task: str, system: str, workdir: Path) -> None:
    print(json.dumps(build(system, workdir) if task == "build" else query(system, workdir)))


def run(indexed: int, queries: int, systems: list[str], repeats: int, workdir: Path) -> list[dict]:
    made = workdir / f"corpus-{indexed}-{queries}.json"  # cutting the corpora takes minutes: once per size
    if not made.exists():
        made.write_text(json.dumps(corpus(indexed, queries)))
    texts, query_texts, sources = json.loads(made.read_text())
    (workdir / "indexed.json").write_text(json.dumps(texts))
    (workdir / "queries.json").write_text(json.dumps(query_texts))
    rows = []
    for system in systems:
        builds, queried = [], []
        for _ in range(repeats):
            builds.append(fresh_process("benchmarks.index", "worker", "build", system, str(workdir)))
            queried.append(fresh_process("benchmarks.index", "worker", "query", system, str(workdir)))
        recall, precision = accuracy(queried[-1]["pairs"], texts, query_texts, sources)
        row = {"system": system, "indexed": len(texts), "queries": len(query_texts), "recall": recall,
               "precision": precision, "bytes_per_paragraph": builds[-1]["bytes"] / len(texts)}
        for key in ("add_s", "save_s", "find_s"):
            if key in builds[0]:
                row[key] = statistics.median(b[key] for b in builds)
        for key in ("open_s", "query_s", "rss_open_mb", "rss_query_mb", "rss_before_mb"):
            row[key] = statistics.median(q[key] for q in queried)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    return rows


def table(rows: list[dict], command: str) -> str:
    by = {row["system"]: row for row in rows}
    lines = [f"Command: `{command}`; {rows[0]['indexed']:,} paragraphs indexed, {rows[0]['queries']:,} queries; "
             "medians of the repeats; each build and each query a fresh process, after a warm-up on "
             f"{WARMUP:,} paragraphs; RSS after open counts the warm-up's imports (RSS before opening: "
             f"{rows[0]['rss_before_mb']:.0f} MB for {rows[0]['system']}).", "",
             "| system | add paragraphs/s | add / find_duplicates | query paragraphs/s | query x datasketch | "
             "query x rensa | open s | RSS after open MB | RSS after queries MB | bytes on disk / paragraph | "
             "recall | precision |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        speed = row["queries"] / row["query_s"]
        versus = [f"{speed / (by[base]['queries'] / by[base]['query_s']):.1f}x" if base in by else "-"
                  for base in ("datasketch", "rensa")]
        against_find = f"{row['add_s'] / row['find_s']:.2f}x" if "find_s" in row else "-"
        lines.append(f"| {row['system']} | {row['indexed'] / row['add_s']:,.0f} | {against_find} | {speed:,.0f} | "
                     f"{versus[0]} | {versus[1]} | {row['open_s']:.3f} | {row['rss_open_mb']:.0f} | "
                     f"{row['rss_query_mb']:.0f} | {row['bytes_per_paragraph']:.0f} | {row['recall']:.4f} | "
                     f"{row['precision']:.4f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indexed", type=int, default=700_000)
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=SYSTEMS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="3,000 paragraphs, 1,000 queries, one repeat")
    parser.add_argument("--workdir", type=Path, help="keep the corpus and indexes here, to run again")
    args = parser.parse_args()
    if args.smoke:
        args.indexed, args.queries, args.repeats = 3000, 1000, 1
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        rows = run(args.indexed, args.queries, args.systems, args.repeats, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="dedup-index-bench-") as folder:
            rows = run(args.indexed, args.queries, args.systems, args.repeats, Path(folder))
    command = "python -m benchmarks.index" + " --smoke" * args.smoke
    text = table(rows, command)
    print(text)
    if not args.smoke:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "index.md").write_text("# Benchmark: a persistent index\n\n" + text + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    else:
        main()
    os._exit(0)  # skip tearing down large heaps: the measurement is over
