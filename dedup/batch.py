"""The per-paragraph stages, run over batches of documents, in parallel when it pays.

For each batch: segment -> normalize -> exact fingerprint -> shingle -> MinHash.
Every paragraph's result depends on its own text alone, so batches are
independent: they go to worker processes and come back in order, and the
concatenated result is identical whatever the number of workers.

Parallelism pays once a corpus has about ``PARALLEL_MIN_CHARS`` characters:
below that, starting worker processes costs more than it saves.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context

import numpy as np

from .arrays import first_occurrences
from .config import DedupConfig
from .hashing import fingerprints128
from .lsh import band_keys, resolve_lsh
from .minhash import signatures
from .normalize import normalize_all
from .segment import Paragraphs, segment
from .shingle import ShingleSets, shingle_sets

__all__ = ["ParagraphFeatures", "paragraph_features", "text_signatures", "BATCH_CHARS", "PARALLEL_MIN_CHARS"]

BATCH_CHARS = 1 << 21  # characters per task: a few MB of text, many tasks per worker
PARALLEL_MIN_CHARS = 1 << 23


@dataclass(frozen=True)
class ParagraphFeatures:
    """What the per-paragraph stages produce, one row per paragraph.

    ``fingerprints`` is ``(n, 2)`` uint64 (xxh3-128 of the normalised text);
    ``shingles`` the shingle sets, except that a copy of a paragraph earlier
    in its batch has an empty set and no tokens (its first occurrence holds
    them); ``fuzzy`` marks paragraphs with a set, long enough for
    near-duplicate matching, and ``band_keys`` holds their LSH band keys
    (``(fuzzy.sum(), bands)`` uint64, from their MinHash signatures) in row
    order: band keys travel back from workers, not the 3.5x larger signatures.
    """

    paragraphs: Paragraphs
    fingerprints: np.ndarray
    shingles: ShingleSets
    fuzzy: np.ndarray
    band_keys: np.ndarray


def _fingerprints(raw: list[str], normalized: list[str]) -> np.ndarray:
    fingerprints = fingerprints128(normalized)
    # A paragraph that normalises to nothing ("* * *", "----") keeps its own
    # characters as identity (under another seed), so that different
    # separators do not match each other.
    empty = [i for i, text in enumerate(normalized) if not text]
    fingerprints[empty] = fingerprints128((" ".join(raw[i].split()) for i in empty), seed=1)
    return fingerprints


def _batch_features(texts: Sequence[str], config: DedupConfig) -> ParagraphFeatures:
    paragraphs = segment(texts, config.segmentation)
    raw = [texts[d][s:e] for d, s, e in zip(paragraphs.doc.tolist(), paragraphs.start.tolist(),
                                             paragraphs.end.tolist())]
    normalized = normalize_all(raw, config.unicode_form, config.casefold, config.fold_punctuation)
    fingerprints = _fingerprints(raw, normalized)
    # A copy of a paragraph earlier in the batch is neither shingled nor signed again.
    firsts = np.flatnonzero(first_occurrences(fingerprints) == np.arange(len(raw)))
    shingles = shingle_sets([normalized[i] for i in firsts], config.shingle, config.ngram_size).spread(firsts, len(raw))
    fuzzy = (shingles.token_counts >= config.min_tokens) & (shingles.sizes > 0)
    lsh = resolve_lsh(config)
    signed = signatures(shingles.take(np.flatnonzero(fuzzy)), config.num_perm, config.seed)
    keys = band_keys(signed, lsh.bands, lsh.rows)
    return ParagraphFeatures(paragraphs, fingerprints, shingles, fuzzy, keys)


def _concatenate(parts: list[ParagraphFeatures], doc_offsets: list[int]) -> ParagraphFeatures:
    def cat(name):
        return np.concatenate([getattr(p.paragraphs, name) for p in parts])

    doc = np.concatenate([p.paragraphs.doc + offset for p, offset in zip(parts, doc_offsets)])
    return ParagraphFeatures(
        Paragraphs(doc=doc, index=cat("index"), start=cat("start"), end=cat("end")),
        np.concatenate([p.fingerprints for p in parts]),
        ShingleSets.concatenate([p.shingles for p in parts]),
        np.concatenate([p.fuzzy for p in parts]),
        np.concatenate([p.band_keys for p in parts]),
    )


def _workers(config: DedupConfig, total_chars: int) -> int:
    if config.n_jobs is not None:
        return config.n_jobs
    if total_chars < PARALLEL_MIN_CHARS:
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _start_method():
    # fork starts fastest and, unlike spawn and forkserver, does not re-run the
    # user's main script (which would need an ``if __name__ == "__main__"``
    # guard); but forking a process that runs other threads can deadlock, and
    # on macOS system libraries do not survive it.
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return get_context("fork")
    return get_context("forkserver" if "forkserver" in get_all_start_methods() else "spawn")


def _map_batches(function: Callable, texts: Sequence[str], config: DedupConfig) -> tuple[list, list[int]]:
    """``function(batch, config)`` for consecutive batches of ``texts``, and each batch's first index."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    total = int(lengths.sum())
    workers = _workers(config, total)
    # With workers, at least four batches each, so that none waits long for the last.
    batch_chars = max(1, min(BATCH_CHARS, total // (4 * workers))) if workers > 1 else BATCH_CHARS
    cuts = np.flatnonzero(np.diff(np.cumsum(lengths) // batch_chars)) + 1
    bounds = [0, *cuts.tolist(), len(texts)]
    batches = [texts[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    if workers > 1 and len(batches) > 1:
        # A tiny batch here builds the lookup tables (code-point maps, powers)
        # that forked workers then inherit instead of each building them.
        function(["warm up"], config)
        # Frozen objects are left alone by the collector, so forked workers do
        # not copy every page of the parent's heap just by collecting garbage.
        gc.freeze()
        try:
            with ProcessPoolExecutor(workers, mp_context=_start_method()) as pool:
                return list(pool.map(function, batches, [config] * len(batches))), bounds[:-1]
        finally:
            gc.unfreeze()
    return [function(batch, config) for batch in batches], bounds[:-1]


def paragraph_features(texts: Sequence[str], config: DedupConfig) -> ParagraphFeatures:
    """The per-paragraph stages over all ``texts``, batch by batch."""
    return _concatenate(*_map_batches(_batch_features, texts, config))


def _batch_signatures(texts: Sequence[str], config: DedupConfig) -> np.ndarray:
    normalized = normalize_all(texts, config.unicode_form, config.casefold, config.fold_punctuation)
    return signatures(shingle_sets(normalized, config.shingle, config.ngram_size), config.num_perm, config.seed)


def text_signatures(texts: Sequence[str], config: DedupConfig) -> np.ndarray:
    """MinHash signatures of whole texts (normalize -> shingle -> minhash), batch by batch."""
    parts, _ = _map_batches(_batch_signatures, texts, config)
    return np.concatenate(parts) if parts else np.empty((0, config.num_perm), dtype=np.uint32)
