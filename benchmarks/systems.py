"""The systems compared by ``benchmarks.compare``, each used the way its documentation shows.

Every system receives the same raw paragraphs and must return, for
"signatures", one signature per paragraph, and for "clusters", a cluster label
per paragraph plus the pairs it reported as duplicates (its edges). Baselines
normalise with ``dedup.stages.normalize.normalize_all`` (so that all systems compare
the same text), shingle in Python into word bigrams as this library does, and
confirm LSH candidates with their own MinHash estimate, since none of them
keeps the sets to verify exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from functools import cache

import numpy as np

THRESHOLD = 0.8
NUM_PERM = 128


def normalized(paragraphs: list[str]) -> list[str]:
    from dedup.stages.normalize import normalize_all

    return normalize_all(paragraphs)


def word_bigrams(text: str) -> list[str]:
    words = text.split()
    return [f"{a} {b}" for a, b in zip(words, words[1:])] or words


def labels_from_pairs(n: int, left, right) -> np.ndarray:
    """For each of ``n`` items, the smallest item of its connected component of
    the pairs: the baselines' clusters (min-label hooking with pointer jumping)."""
    labels = np.arange(n, dtype=np.int64)
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    while True:
        left_label, right_label = labels[left], labels[right]
        low = np.minimum(left_label, right_label)
        hooked = labels.copy()
        np.minimum.at(hooked, left_label, low)
        np.minimum.at(hooked, right_label, low)
        while True:
            jumped = hooked[hooked]
            if np.array_equal(jumped, hooked):
                break
            hooked = jumped
        if np.array_equal(hooked, labels):
            return labels
        labels = hooked


def confirmed_candidates(query: Callable, minhashes: list):
    """Labels and pairs from querying an LSH index with every MinHash and keeping
    the candidates whose estimated Jaccard reaches the threshold."""
    left, right = [], []
    for i, m in enumerate(minhashes):
        for j in query(m):
            if j > i and m.jaccard(minhashes[j]) >= THRESHOLD:
                left.append(i)
                right.append(j)
    return labels_from_pairs(len(minhashes), left, right), np.array(left), np.array(right)


# --- this library --------------------------------------------------------------

@cache
def worker_pool() -> Executor:
    """Two worker processes kept across calls, as a program that cleans shard after shard would keep them."""
    return ProcessPoolExecutor(2)


def release_workers() -> None:
    """Shut down :func:`worker_pool`'s processes, so that the OS accounts for their peak memory."""
    if worker_pool.cache_info().currsize:
        worker_pool().shutdown()
        worker_pool.cache_clear()


def dedup_signatures(paragraphs: list[str], n_jobs: int | None, kernel: str = "numpy",
                     executor: Executor | None = None) -> np.ndarray:
    from dedup import paragraph_signatures

    return paragraph_signatures(paragraphs, n_jobs=n_jobs, kernel=kernel, executor=executor)


def dedup_clusters(paragraphs: list[str], n_jobs: int | None, kernel: str = "numpy",
                   executor: Executor | None = None):
    from dedup import find_duplicates

    report = find_duplicates(paragraphs, threshold=THRESHOLD, segmentation="none", n_jobs=n_jobs, kernel=kernel,
                             executor=executor)
    removed = np.flatnonzero(report.is_duplicate)
    return report.representative, report.representative[removed], removed


# --- datasketch 2.x: MinHash.bulk with an xxhash hashfunc, MinHashLSH with an insertion session ---

def _datasketch_minhashes(paragraphs: list[str]):
    import xxhash
    from datasketch import MinHash

    shingles = [[s.encode("utf-8") for s in word_bigrams(p)] for p in normalized(paragraphs)]
    return MinHash.bulk(shingles, num_perm=NUM_PERM, hashfunc=xxhash.xxh32_intdigest)


def datasketch_signatures(paragraphs: list[str]) -> np.ndarray:
    return np.array([m.hashvalues for m in _datasketch_minhashes(paragraphs)], dtype=np.uint32)


def datasketch_clusters(paragraphs: list[str]):
    from datasketch import MinHashLSH

    minhashes = _datasketch_minhashes(paragraphs)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for i, m in enumerate(minhashes):
            session.insert(i, m)
    return confirmed_candidates(lsh.query, minhashes)


# --- rensa: RMinHash per text from Python word shingles, RMinHashLSH insert then query ---

def _rensa_minhashes(paragraphs: list[str]):
    from rensa import RMinHash

    minhashes = []
    for p in normalized(paragraphs):
        m = RMinHash(num_perm=NUM_PERM, seed=42)
        m.update(word_bigrams(p))
        minhashes.append(m)
    return minhashes


def rensa_signatures(paragraphs: list[str]) -> np.ndarray:
    return np.array([m.digest() for m in _rensa_minhashes(paragraphs)], dtype=np.uint32)


def rensa_clusters(paragraphs: list[str]):
    from rensa import RMinHashLSH

    minhashes = _rensa_minhashes(paragraphs)
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=16)
    for i, m in enumerate(minhashes):
        lsh.insert(i, m)
    return confirmed_candidates(lsh.query, minhashes)


# --- gaoya: MinHashStringIndex with its Rust word-bigram analyzer, parallel bulk insert and query ---

def gaoya_clusters(paragraphs: list[str]):
    from gaoya.minhash import MinHashStringIndex

    index = MinHashStringIndex(hash_size=32, jaccard_threshold=THRESHOLD, num_bands=16, band_size=8,
                               analyzer="word", lowercase=False, ngram_range=(2, 2))
    ids = list(range(len(paragraphs)))
    docs = normalized(paragraphs)
    index.par_bulk_insert_docs(ids, docs)
    left, right = [], []
    for i, found in enumerate(index.par_bulk_query(docs)):
        for j in found:
            if j > i:
                left.append(i)
                right.append(j)
    return labels_from_pairs(len(paragraphs), left, right), np.array(left), np.array(right)


# name -> {task: function(paragraphs)}; gaoya 0.2's Python API exposes no signatures.
SYSTEMS: dict[str, dict[str, Callable]] = {
    "dedup (2 cores)": {"signatures": lambda p: dedup_signatures(p, 2), "clusters": lambda p: dedup_clusters(p, 2)},
    "dedup (1 core)": {"signatures": lambda p: dedup_signatures(p, 1), "clusters": lambda p: dedup_clusters(p, 1)},
    # Workers started once and kept across calls (executor=), for programs that call repeatedly.
    "dedup (pool of 2)": {"signatures": lambda p: dedup_signatures(p, 2, executor=worker_pool()),
                          "clusters": lambda p: dedup_clusters(p, 2, executor=worker_pool())},
    # The optional compiled kernel (the numba extra).
    "dedup numba (2 cores)": {"signatures": lambda p: dedup_signatures(p, 2, "numba"),
                              "clusters": lambda p: dedup_clusters(p, 2, "numba")},
    "dedup numba (1 core)": {"signatures": lambda p: dedup_signatures(p, 1, "numba"),
                             "clusters": lambda p: dedup_clusters(p, 1, "numba")},
    "dedup numba (pool of 2)": {"signatures": lambda p: dedup_signatures(p, 2, "numba", worker_pool()),
                                "clusters": lambda p: dedup_clusters(p, 2, "numba", worker_pool())},
    "datasketch": {"signatures": datasketch_signatures, "clusters": datasketch_clusters},
    "rensa": {"signatures": rensa_signatures, "clusters": rensa_clusters},
    "gaoya": {"clusters": gaoya_clusters},
}
