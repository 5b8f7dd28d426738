"""The per-paragraph stages, run over batches of documents, in parallel when it pays.

For each batch: segment -> normalize -> exact fingerprint -> shingle -> MinHash.
Every paragraph's result depends on its own text alone, so batches are
independent: they go to workers and come back in order, and the
concatenated result is identical whatever the number of workers. Workers are
processes, or threads for a kernel whose stages release the GIL (numba's).

Texts may come as a stream (any iterable): they are cut into batches as they
arrive, and only a few batches per worker are in flight at a time, so memory
holds the per-paragraph results, not the text. Workers started by ``fork``
(on Linux) read an in-memory corpus from the memory they inherit, and write
signatures into memory shared with the parent: on 20 Newsgroups a paragraph
of 124 bytes has 512 bytes of signature, and sending them back through the
pipe took a fifth of a two-process run.

Parallelism pays once a corpus has about ``PARALLEL_MIN_CHARS[kernel]``
characters: below that, the workers cost more than they save.
For a stream of unknown length, that many characters are read ahead to decide.
A caller's own executor (a process pool kept across calls, dask's) takes the
batches instead, whatever the size: its workers are already started, and
texts and results travel through its pipes.
"""

from __future__ import annotations

import gc
import importlib
import math
import mmap
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain
from multiprocessing import get_all_start_methods, get_context
from typing import Any

import numpy as np

from ..config import DedupConfig
from ..stages.arrays import chunk_bounds, first_occurrences, found_in
from ..stages.long_paragraph import long_number_key, long_paragraph
from ..stages.lsh import band_keys, resolve_lsh
from ..stages.minhash import signatures
from ..stages.normalize import NormalizedTexts, normalized_texts, number_keys, split_ascii
from ..stages.segment import Paragraphs, block_pieces, paragraph_sources, segment
from ..stages.shingle import ShingleSets, shingle_sets
from ..stages.verify import jaccard

__all__ = ["ParagraphFeatures", "Stages", "NUMPY_STAGES", "stages", "paragraph_features", "row_features",
           "text_signatures", "BATCH_CHARS", "PARALLEL_MIN_CHARS"]

BATCH_CHARS = 1 << 21  # characters per task: a few MB of text, many tasks per worker
# Two workers against one, paragraphs given whole: with numpy (processes),
# break-even near 2M characters and 1.2x faster from 3M on (Wikipedia, 20
# Newsgroups); with numba (threads), whose work per character is 3x smaller,
# break-even near 6M (Wikipedia), 1.1x faster on 12M (20 Newsgroups) and
# 1.3-1.6x on all of Gutenberg.
PARALLEL_MIN_CHARS = {"numpy": 1 << 21, "numba": 1 << 23}


@dataclass(frozen=True)
class ParagraphFeatures:
    """What the per-paragraph stages produce, one row per paragraph of ``documents`` texts.

    ``fingerprints`` is ``(n, 2)`` uint64 (xxh3-128 of the normalised text);
    ``shingles`` the shingle sets, except that a copy of a paragraph shortly
    before it (in one round of :func:`_batch_features`) has an empty set and
    no tokens (its first occurrence holds them), or ``None`` when they were
    not kept; ``tokens`` the number of tokens of each paragraph (int32);
    ``fuzzy`` marks paragraphs long enough for near-duplicate
    matching, and ``band_keys`` holds their LSH band keys (``(fuzzy.sum(),
    bands)`` uint64, from their MinHash signatures) in row order: band keys
    travel back from workers, not the 3.5x larger signatures. ``numbers``,
    when asked for, holds each paragraph's number key
    (:func:`dedup.stages.normalize.number_keys`).
    """

    documents: int
    paragraphs: Paragraphs
    fingerprints: np.ndarray
    shingles: ShingleSets | None
    tokens: np.ndarray
    fuzzy: np.ndarray
    band_keys: np.ndarray
    numbers: np.ndarray | None = None


@dataclass(frozen=True)
class Stages:
    """The normalize, shingle and MinHash stages of one kernel, each ``stage(data, config)``;
    its exact ``jaccard(sets, left, right)``; if the kernel has them, the first
    three stages fused for raw ASCII texts in word mode and the rule of
    :mod:`dedup.stages.cluster` with the Jaccard measured inside it; and whether its
    stages release the GIL, so that threads run them in parallel."""

    normalized: Callable[[Sequence[str], DedupConfig], NormalizedTexts]
    shingle_sets: Callable[[NormalizedTexts, DedupConfig], ShingleSets]
    signatures: Callable[[ShingleSets, DedupConfig], np.ndarray]
    jaccard: Callable[[ShingleSets, np.ndarray, np.ndarray], np.ndarray]
    ascii_signatures: Callable[[Sequence[str], DedupConfig], np.ndarray] | None = None
    greedy_representatives: Callable[..., tuple[np.ndarray, np.ndarray]] | None = None
    releases_gil: bool = False


def _numpy_normalized(texts: Sequence[str], config: DedupConfig) -> NormalizedTexts:
    return normalized_texts(texts, config.unicode_form, config.casefold, config.fold_punctuation)


def _numpy_shingle_sets(normalized: NormalizedTexts, config: DedupConfig) -> ShingleSets:
    return shingle_sets(normalized, config.shingle, config.ngram_size)


def _numpy_signatures(shingles: ShingleSets, config: DedupConfig) -> np.ndarray:
    return signatures(shingles, config.num_perm, config.seed)


NUMPY_STAGES = Stages(_numpy_normalized, _numpy_shingle_sets, _numpy_signatures, jaccard)


def stages(config: DedupConfig) -> Stages:
    """The stages of ``config.kernel``: numpy's, or their compiled twins in :mod:`dedup.stages.compiled`."""
    if config.kernel == "numpy":
        return NUMPY_STAGES
    try:
        compiled = importlib.import_module("..stages.compiled", __package__)
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError("kernel='numba' needs numba: pip install 'paradedup[numba]'") from error
    return Stages(compiled.normalized, compiled.shingle_sets, compiled.signatures, compiled.jaccard,
                  compiled.ascii_signatures, compiled.greedy_representatives, releases_gil=True)


def _fingerprints(raw: list[str], normalized: NormalizedTexts) -> np.ndarray:
    fingerprints = normalized.fingerprints()
    # A paragraph that normalises to nothing ("* * *", "----") keeps its own
    # characters as identity (under another seed), so that different
    # separators do not match each other.
    empty = np.flatnonzero(normalized.lengths == 0)
    fingerprints[empty] = NormalizedTexts.of([" ".join(raw[i].split()) for i in empty.tolist()]).fingerprints(seed=1)
    return fingerprints


def _batch_features(texts: Sequence[str], config: DedupConfig, keep_shingles: bool = True,
                    keep_numbers: bool = False) -> ParagraphFeatures:
    # One long text is cut, then its paragraphs go on, about BATCH_CHARS
    # characters at a time, so that it takes no more memory than a batch of
    # short texts.
    paragraphs = segment(texts, config.segmentation, BATCH_CHARS)
    lengths = paragraphs.end - paragraphs.start
    # A paragraph longer than a batch is a round of its own, window by window.
    long_rows = np.flatnonzero(lengths > BATCH_CHARS).tolist()
    bounds = chunk_bounds(lengths, BATCH_CHARS)
    if long_rows:
        bounds = sorted({*bounds, *long_rows, *(row + 1 for row in long_rows)})
    rounds = [_long_round_features(texts[paragraphs.doc[a]], int(paragraphs.start[a]), int(paragraphs.end[a]), config,
                                   keep_shingles)
              if b == a + 1 and lengths[a] > BATCH_CHARS else
              _round_features([texts[d][s:e] for d, s, e in zip(paragraphs.doc[a:b].tolist(),
                                                                paragraphs.start[a:b].tolist(),
                                                                paragraphs.end[a:b].tolist())],
                              config, keep_shingles, keep_numbers)
              for a, b in zip(bounds[:-1], bounds[1:])]
    fingerprints, shingles, tokens, fuzzy, keys, numbers = zip(*rounds)
    return ParagraphFeatures(len(texts), paragraphs, np.concatenate(fingerprints),
                             ShingleSets.concatenate(shingles) if keep_shingles else None,
                             np.concatenate(tokens), np.concatenate(fuzzy), np.concatenate(keys),
                             np.concatenate(numbers) if keep_numbers else None)


def _round_features(raw: list[str], config: DedupConfig, keep_shingles: bool, keep_numbers: bool = False) -> tuple:
    """Fingerprints, shingle sets (if kept), tokens, whether fuzzy, band keys and number keys (if kept)
    of paragraphs ``raw``."""
    kernel = stages(config)
    normalized = kernel.normalized(raw, config)
    fingerprints = _fingerprints(raw, normalized)
    # A copy of a paragraph earlier among these is neither shingled nor signed again.
    first = first_occurrences(fingerprints)
    firsts = np.flatnonzero(first == np.arange(len(raw)))
    shingles = kernel.shingle_sets(normalized.take(firsts), config).spread(firsts, len(raw))
    fuzzy = (shingles.token_counts >= config.min_tokens) & (shingles.sizes > 0)
    lsh = resolve_lsh(config)
    signed = kernel.signatures(shingles.take(np.flatnonzero(fuzzy)), config)
    return (fingerprints, shingles if keep_shingles else None, shingles.token_counts[first].astype(np.int32), fuzzy,
            band_keys(signed, lsh.bands, lsh.rows), number_keys(normalized) if keep_numbers else None)


def _long_round_features(text: str, start: int, end: int, config: DedupConfig, keep_shingles: bool) -> tuple:
    """:func:`_round_features` of the one paragraph ``text[start:end]``, window by window."""
    found = long_paragraph(text, start, end, config, stages(config))
    fuzzy = np.array([found.tokens >= config.min_tokens and found.signature is not None])
    lsh = resolve_lsh(config)
    signed = found.signature[None, :] if fuzzy[0] else np.empty((0, config.num_perm), dtype=np.uint32)
    return (found.fingerprint[None, :], found.shingle_sets() if keep_shingles else None,
            np.array([found.tokens], dtype=np.int32), fuzzy, band_keys(signed, lsh.bands, lsh.rows),
            np.array([found.number_key], dtype=np.uint64))


def _concatenate(parts: list[ParagraphFeatures], doc_offsets: list[int]) -> ParagraphFeatures:
    def cat(name):
        return np.concatenate([getattr(p.paragraphs, name) for p in parts])

    doc = np.concatenate([p.paragraphs.doc + offset for p, offset in zip(parts, doc_offsets)])
    kept_shingles = all(p.shingles is not None for p in parts)
    kept_numbers = all(p.numbers is not None for p in parts)
    return ParagraphFeatures(
        sum(p.documents for p in parts),
        Paragraphs(doc=doc, index=cat("index"), start=cat("start"), end=cat("end")),
        np.concatenate([p.fingerprints for p in parts]),
        ShingleSets.concatenate([p.shingles for p in parts]) if kept_shingles else None,
        np.concatenate([p.tokens for p in parts]),
        np.concatenate([p.fuzzy for p in parts]),
        np.concatenate([p.band_keys for p in parts]),
        np.concatenate([p.numbers for p in parts]) if kept_numbers else None,
    )


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _start_method():
    # fork starts fastest and, unlike spawn and forkserver, does not re-run the
    # user's main script (which would need an ``if __name__ == "__main__"``
    # guard); but forking a process that runs other threads can deadlock, and
    # on macOS system libraries do not survive it.
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return get_context("fork")
    return get_context("forkserver" if "forkserver" in get_all_start_methods() else "spawn")


def _batches(texts: Iterable[str], batch_chars: int, lengths: np.ndarray | None) -> Iterator[list[str]]:
    """Consecutive lists of ``texts`` of about ``batch_chars`` characters. The
    texts' ``lengths``, known when ``texts`` is a sequence, cut it in one array
    operation instead of text by text."""
    if lengths is not None:
        bounds = chunk_bounds(lengths, batch_chars)
        yield from (list(texts[a:b]) for a, b in zip(bounds[:-1], bounds[1:]) if b > a)
        return
    batch, chars = [], 0
    for text in texts:
        batch.append(text)
        chars += len(text)
        if chars >= batch_chars:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


# What forked workers inherit from the parent instead of receiving through a
# pipe (pickled, copied, unpickled): ``texts``, an in-memory corpus they read
# their batches from, and ``out``, an array in memory shared with the parent
# that they write their results into. Set just before they start.
_inherited: dict[str, Any] = {}


def _inherited_batch(function: Callable, start: int, stop: int, config: DedupConfig) -> object:
    result = function(list(_inherited["texts"][start:stop]), config)
    if "out" not in _inherited:
        return result
    _inherited["out"][start:stop] = result
    return None


def _shared_empty(shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
    """An uninitialised array in memory that workers forked later share with this process.

    Anonymous shared memory, not ``/dev/shm``: it is bounded by memory alone,
    not by the size of that file system (64 MB in a default Docker container).
    """
    count = math.prod(shape)
    buffer = mmap.mmap(-1, max(1, count * np.dtype(dtype).itemsize))
    return np.frombuffer(buffer, dtype=dtype, count=count).reshape(shape)


def _ordered(submit: Callable[[int, list[str]], Future], batches: Iterator[list[str]],
             in_flight: int) -> Iterator[tuple[int, object]]:
    """``(first position, result)`` of each batch, in order, from ``submit(first position, batch)``.

    At most ``in_flight + 1`` batches are submitted and not yet taken: enough
    to keep workers busy while memory holds a few batches, not the corpus.
    Whatever is still pending when the caller stops (an error, a ``break``)
    is cancelled.
    """
    pending, position = deque(), 0
    try:
        for batch in batches:
            pending.append((position, submit(position, batch)))
            position += len(batch)
            if len(pending) > in_flight:
                first, future = pending.popleft()
                yield first, future.result()
        while pending:
            first, future = pending.popleft()
            yield first, future.result()
    finally:
        for _, future in pending:
            future.cancel()


def _warm_up(function: Callable, config: DedupConfig) -> None:
    # A tiny batch here builds the lookup tables (code-point maps, powers) and
    # loads the compiled kernels, for ASCII and for other text, that forked
    # workers then inherit instead of each loading them: that took 0.05-0.1 s
    # per worker, as long as a 2 MB batch.
    function(["warm up", "warm up, à côté"], config)


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _start_worker(parent: int | None) -> None:
    """Make a new worker process die with its parent, whatever ends the parent.

    Ctrl-C reaches every process of a terminal's process group. A worker
    interrupted while sending a result leaves half a message in the pipe and
    the pool waiting for the rest forever, so the parent alone stops the pool.
    A parent killed outright (``kill -9``, the OOM killer) cannot stop it: on
    Linux the kernel sends the worker SIGKILL then (``PR_SET_PDEATHSIG``).
    ``parent`` is the process that starts the worker (``None`` for a fork
    server, which ends when the caller does).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited through fork
    _die_with_parent()
    if parent is not None and os.getppid() != parent:  # it died before the line above took effect
        os._exit(1)


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl here: workers then outlive only a killed parent
        pass


def _in_workers(function: Callable, texts: Iterable[str], batches: Iterator[list[str]], config: DedupConfig,
                workers: int, out: np.ndarray | None) -> Iterator[tuple[int, object]]:
    _warm_up(function, config)
    context = _start_method()
    inherit = context.get_start_method() == "fork" and isinstance(texts, Sequence)
    if inherit:
        _inherited.update(texts=texts, **({} if out is None else {"out": out}))
    # Frozen objects are left alone by the collector, so forked workers do
    # not copy every page of the parent's heap just by collecting garbage.
    gc.freeze()
    try:
        parent = None if context.get_start_method() == "forkserver" else os.getpid()
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                 initargs=(parent,)) as pool:
            def submit(position: int, batch: list[str]) -> Future:
                if inherit:
                    return pool.submit(_inherited_batch, function, position, position + len(batch), config)
                return pool.submit(function, batch, config)

            try:
                yield from _ordered(submit, batches, 2 * workers)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        gc.unfreeze()
        _inherited.clear()


def _in_executor(function: Callable, batches: Iterator[list[str]], config: DedupConfig, executor: Executor,
                 workers: int) -> Iterator[tuple[int, object]]:
    # Workers the executor forks at its first task inherit the warmed-up tables.
    _warm_up(function, config)
    yield from _ordered(lambda _, batch: executor.submit(function, batch, config), batches, 2 * workers)


def _check_executor(executor: Any) -> None:
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError("executor must be None or a concurrent.futures.Executor (a ProcessPoolExecutor, "
                        f"a ThreadPoolExecutor, dask's client.get_executor(), ...); got {type(executor).__name__}")


def map_batches(function: Callable, texts: Iterable[str], config: DedupConfig,
                out: np.ndarray | None = None, executor: Executor | None = None) -> Iterator[tuple[int, object]]:
    """``(first position, function(batch, config))`` for consecutive batches of ``texts``, in order.

    Batches run in ``executor`` if one is given, else in workers started for
    this call when that pays (see ``config.n_jobs``): threads if the kernel
    releases the GIL, processes if not; else here.
    ``out``, from :func:`_shared_empty`, is where workers forked for this call
    put their results themselves (``out[first position:][:len(batch)]``); they
    return ``None`` instead. Otherwise results come back through a pipe.
    """
    _check_executor(executor)
    workers, min_chars = config.n_jobs, PARALLEL_MIN_CHARS[config.kernel]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) if isinstance(texts, Sequence) else None
    total_chars = None if lengths is None else int(lengths.sum())
    if workers is None and executor is not None:
        workers = _cores()
    if workers is None and total_chars is not None:
        workers = 1 if total_chars < min_chars else _cores()
    batch_chars = BATCH_CHARS
    if workers is not None and (workers > 1 or executor is not None) and total_chars is not None:
        # At least four batches each, so that none waits long for the last.
        batch_chars = max(1, min(BATCH_CHARS, total_chars // (4 * workers)))
    batches = _batches(texts, batch_chars, lengths)
    if executor is not None:
        yield from _in_executor(function, batches, config, executor, workers)
        return
    if workers is None:
        read_ahead, chars = [], 0
        for batch in batches:
            read_ahead.append(batch)
            chars += sum(map(len, batch))
            if chars >= min_chars:
                break
        workers = _cores() if chars >= min_chars else 1
        batches = chain(read_ahead, batches)
    if workers > 1 and stages(config).releases_gil:
        # Threads share the batches' memory: nothing is forked, pickled or piped.
        # They run in parallel only in code that releases the GIL (the compiled loops).
        with ThreadPoolExecutor(workers) as threads:
            yield from _in_executor(function, batches, config, threads, workers)
        return
    if workers > 1:
        yield from _in_workers(function, texts, batches, config, workers, out)
        return
    position = 0
    for batch in batches:
        yield position, function(batch, config)
        position += len(batch)


def paragraph_features(texts: Iterable[str], config: DedupConfig, keep_shingles: bool = True,
                       executor: Executor | None = None, keep_numbers: bool = False) -> ParagraphFeatures:
    """The per-paragraph stages over all ``texts``, batch by batch (in ``executor``, if given).

    Without ``keep_shingles`` only the fixed-size features are kept (about
    ``16 + 8 * bands`` bytes a paragraph): the text and its shingles are let go
    batch by batch; with ``keep_numbers``, each paragraph's number key is kept
    too. A text longer than ``BATCH_CHARS`` goes in pieces cut at
    blank lines, or at line breaks in mode ``"lines"``
    (:func:`dedup.stages.segment.block_pieces`), so that its paragraphs
    spread over batches and workers as those of shorter texts do.
    """
    function = partial(_batch_features, keep_shingles=keep_shingles, keep_numbers=keep_numbers)
    later_pieces: list[tuple[int, int]] = []
    pieces = texts if config.segmentation == "none" else _pieces(texts, config.segmentation, later_pieces)
    results = list(map_batches(function, pieces, config, executor=executor))
    if not results:
        return _batch_features([], config, keep_shingles, keep_numbers)
    offsets, parts = zip(*results)
    return _rejoined(_concatenate(list(parts), list(offsets)), later_pieces)


def _pieces(texts: Iterable[str], mode: str, later_pieces: list[tuple[int, int]]) -> Iterable[str]:
    """``texts``, those longer than ``BATCH_CHARS`` in :func:`block_pieces` (for segmentation ``mode``);
    ``later_pieces`` gets the position and start of each piece but the first of
    a text. A sequence with no such text is returned as it is, one with some as
    a :class:`_Pieces` view of it."""
    if isinstance(texts, Sequence):
        if max(map(len, texts), default=0) <= BATCH_CHARS:
            return texts
        spans = [(doc, start, end) for doc, text in enumerate(texts) for start, end in _piece_spans(text, mode)]
        later_pieces.extend((position, start) for position, (_, start, _) in enumerate(spans) if start)
        return _Pieces(texts, spans)

    def pieces() -> Iterator[str]:
        position = 0
        for text in texts:
            for start, end in _piece_spans(text, mode):
                if start:
                    later_pieces.append((position, start))
                yield text[start:end]
                position += 1

    return pieces()


def _piece_spans(text: str, mode: str) -> Iterable[tuple[int, int]]:
    return block_pieces(text, BATCH_CHARS, mode) if len(text) > BATCH_CHARS else ((0, len(text)),)


class _Pieces(Sequence):
    """Pieces ``texts[doc][start:end]`` of a sequence of texts, one per span,
    sliced only when read: workers forked with it slice their batches from the
    memory they inherit, as they do from a sequence of texts."""

    def __init__(self, texts: Sequence[str], spans: list[tuple[int, int, int]]):
        self._texts, self._spans = texts, spans

    def __len__(self) -> int:
        return len(self._spans)

    def __getitem__(self, position: int | slice) -> str | list[str]:
        if isinstance(position, slice):
            return [self._texts[doc][start:end] for doc, start, end in self._spans[position]]
        doc, start, end = self._spans[position]
        return self._texts[doc][start:end]


def _rejoined(features: ParagraphFeatures, later_pieces: list[tuple[int, int]]) -> ParagraphFeatures:
    """``features`` of pieces (see :func:`_pieces`) as features of the texts they were cut from."""
    if not later_pieces:
        return features
    position, start = np.array(later_pieces, dtype=np.int64).T
    piece = features.paragraphs.doc
    offset = np.zeros(len(piece), dtype=np.int64)
    cut = found_in(position, piece)
    offset[cut] = start[np.searchsorted(position, piece[cut])]
    documents = features.documents - len(position)
    paragraphs = Paragraphs.numbered(piece - np.searchsorted(position, piece, side="right"),
                                     features.paragraphs.start + offset, features.paragraphs.end + offset, documents)
    return replace(features, documents=documents, paragraphs=paragraphs)


def row_features(texts: Iterable[str], paragraphs: Paragraphs, rows: np.ndarray, config: DedupConfig,
                 shingles: bool = True) -> tuple[ShingleSets | None, np.ndarray]:
    """Shingle sets (if ``shingles``) and number keys (:func:`dedup.stages.normalize.number_keys`)
    of paragraphs ``rows`` (ascending) of ``texts``, the sets the same as
    :func:`paragraph_features` computed, with ``paragraphs`` its paragraph table."""
    kernel = stages(config)
    sets, numbers, batch, chars = [], [], [], 0

    def flush() -> None:
        nonlocal chars
        normalized = kernel.normalized(batch, config)
        numbers.append(number_keys(normalized))
        if shingles:
            sets.append(kernel.shingle_sets(normalized, config))
        batch.clear()
        chars = 0

    for text, start, end in paragraph_sources(texts, paragraphs, rows):
        if end - start > BATCH_CHARS:
            if batch:
                flush()
            if shingles:
                found = long_paragraph(text, start, end, config, kernel)
                sets.append(found.shingle_sets())
                numbers.append(np.array([found.number_key], dtype=np.uint64))
            else:  # its sets were kept by the first pass: only normalised again
                numbers.append(np.array([long_number_key(text, start, end, config, kernel)], dtype=np.uint64))
            continue
        batch.append(text[start:end])
        chars += end - start
        if chars >= BATCH_CHARS:
            flush()
    if batch:
        flush()
    return (ShingleSets.concatenate(sets) if shingles else None,
            np.concatenate(numbers) if numbers else np.empty(0, dtype=np.uint64))


def _shingle_sets(texts: Sequence[str], config: DedupConfig) -> ShingleSets:
    kernel = stages(config)
    return kernel.shingle_sets(kernel.normalized(texts, config), config)


def _batch_signatures(texts: Sequence[str], config: DedupConfig) -> np.ndarray:
    kernel = stages(config)
    if kernel.ascii_signatures is None or config.shingle != "word":
        return kernel.signatures(_shingle_sets(texts, config), config)
    flags, ascii, others = split_ascii(texts)
    is_ascii = np.array(flags, dtype=bool)
    out = np.empty((config.num_perm, len(texts)), dtype=np.uint32).T
    out[is_ascii] = kernel.ascii_signatures(ascii, config)
    out[~is_ascii] = kernel.signatures(_shingle_sets(others, config), config)
    return out


def text_signatures(texts: Sequence[str], config: DedupConfig, executor: Executor | None = None) -> np.ndarray:
    """MinHash signatures of whole texts (normalize -> shingle -> minhash), batch by batch
    (in ``executor``, if given)."""
    # Permutation-major, as each batch's signatures are laid out: contiguous copies, not strided ones.
    out = _shared_empty((config.num_perm, len(texts)), np.uint32).T
    for position, part in map_batches(_batch_signatures, texts, config, out, executor):
        if part is not None:  # else a worker forked for this call wrote it into ``out`` itself
            out[position : position + len(part)] = part
    return out
