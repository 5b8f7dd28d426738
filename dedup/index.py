"""A persistent, incremental paragraph index: add, query, remove, save, open, merge.

An :class:`Index` holds what the rule of :mod:`dedup.stages.cluster` needs to go on
deciding where one run over the whole corpus would: for every distinct
normalised paragraph text seen, its fingerprint and the paragraph kept in its
place; for every LSH bucket, its first :data:`~dedup.stages.cluster.MAX_KEPT_PER_BUCKET`
kept paragraphs (the only ones a later paragraph is compared with); and the
shingle sets and number keys of those, to verify every match exactly. So
adding a corpus shard by shard flags exactly the paragraphs one
:func:`~dedup.find_duplicates` over the whole corpus flags, under the same
kept paragraphs, whatever the split, and :meth:`Index.query` answers what
:meth:`Index.add` would without adding. The index keeps no text: a report
names an indexed paragraph by document id, paragraph number and span.

On disk an index is a directory of immutable segments and one manifest
swapped atomically (:mod:`dedup.store.segments`): opening maps the files and
reads no array, adding writes one new segment, and lookups are sorted-array
searches (``searchsorted``), batch by batch. A crash at any point leaves the
index as it was before the call; one process writes at a time.

:meth:`Index.remove` forgets documents: their paragraphs no longer match and
are no longer reported; paragraphs removed earlier in their place stay out
(the index never held them). :meth:`Index.merge` joins indexes built apart
into one holding all their documents, in the order given; a paragraph kept in
two of them stays kept in both (neither was compared with the other), and
later matches go to the earlier.

Example
-------
>>> import dedup
>>> index = dedup.Index(threshold=0.8)
>>> report = index.add([("a", "A paragraph that we will see again later on.\\n\\nAnd another one.")])
>>> report = index.query([("b", "A paragraph that we will see again, later on!")])
>>> [(m.document, m.paragraph, m.jaccard) for m in report.clusters[0].members]
[('a', 0, 1.0), ('b', 0, 1.0)]
>>> len(index), index.documents
(2, 1)
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from .config import DedupConfig, OptionError
from .engines.local import ParagraphFeatures, paragraph_features, stages
from .pipeline import Document, read_documents
from .report.report import Report
from .stages.arrays import (
    first_occurrences,
    found_in,
    key_order,
    offsets_of,
    range_positions,
    run_starts,
    sorted_unique,
)
from .stages.cluster import MAX_KEPT_PER_BUCKET, SetSimilarity, kept_in_place
from .stages.hashing import fmix64
from .stages.lsh import column_buckets, resolve_lsh
from .stages.segment import Paragraphs
from .stages.shingle import ShingleSets
from .store.segments import (
    FORMAT_VERSION,
    IndexFormatError,
    IndexLockedError,
    Manifest,
    Segment,
    WriterLock,
    read_manifest,
    remove_unlisted,
    write_manifest,
    write_segment,
)

__all__ = ["Index", "IndexFormatError", "IndexLockedError"]

# Options that a run may change without changing what the index holds.
RUNTIME_OPTIONS = frozenset({"n_jobs", "kernel"})
# Segments an index may reach before an add compacts the newest ones.
MAX_SEGMENTS = 8
_EXACT, _NUMBERS_DIFFER = 1, 2


@dataclass(frozen=True)
class _DocumentIds:
    """Document ids as arrays: ``kinds`` (1 for a str id, 0 for an int), ``ints`` (the int ids),
    the UTF-8 of the str ids (``offsets`` into ``blob``, empty for int ids), and a 64-bit ``keys``
    each (xxh3-64 of a str, a mix of an int) to look ids up by."""

    kinds: np.ndarray
    ints: np.ndarray
    offsets: np.ndarray
    blob: np.ndarray
    keys: np.ndarray

    @staticmethod
    def of(ids: Sequence[Hashable]) -> _DocumentIds:
        n = len(ids)
        if isinstance(ids, range):  # texts without ids: numbers, encoded in array operations
            ints = np.arange(ids.start, ids.stop, ids.step, dtype=np.int64)
            kinds, texts = np.zeros(n, dtype=np.uint8), []
        else:
            kinds = np.fromiter((type(doc_id) is str for doc_id in ids), dtype=np.uint8, count=n)
            try:
                ints = np.fromiter((0 if type(doc_id) is str else doc_id for doc_id in ids), dtype=np.int64, count=n)
            except OverflowError:
                raise ValueError("an int document id of the index must fit in 64 bits") from None
            texts = [doc_id.encode("utf-8", "surrogatepass") for doc_id in ids if type(doc_id) is str]
        lengths = np.zeros(n, dtype=np.int64)
        lengths[kinds == 1] = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        keys = fmix64(ints.astype(np.uint64))
        keys[kinds == 1] = np.fromiter(map(xxhash.xxh3_64_intdigest, texts), dtype=np.uint64, count=len(texts))
        return _DocumentIds(kinds, ints, offsets_of(lengths), np.frombuffer(b"".join(texts), dtype=np.uint8), keys)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"doc_id_kinds": self.kinds, "doc_int_ids": self.ints, "doc_id_offsets": self.offsets,
                "doc_id_bytes": self.blob}

    def id(self, position: int) -> Hashable:
        return _stored_id(self.kinds, self.ints, self.offsets, self.blob, position)


def _stored_id(kinds: np.ndarray, ints: np.ndarray, offsets: np.ndarray, blob: np.ndarray, position: int) -> Hashable:
    if not kinds[position]:
        return int(ints[position])
    return blob[offsets[position] : offsets[position + 1]].tobytes().decode("utf-8", "surrogatepass")


def _doc_ids(segment: Any, positions: np.ndarray) -> list[Hashable]:
    """The ids of the documents at ``positions`` of a segment's documents."""
    columns = [segment[name] for name in ("doc_id_kinds", "doc_int_ids", "doc_id_offsets", "doc_id_bytes")]
    return [_stored_id(*columns, position) for position in np.asarray(positions).tolist()]


def _live(docs: np.ndarray, removed: np.ndarray) -> np.ndarray:
    return ~found_in(removed, docs) if len(removed) else np.ones(len(docs), dtype=bool)


def _fixed_config(config: DedupConfig) -> DedupConfig:
    """``config`` with its LSH banding written out, so that a later threshold keeps the index's bands."""
    lsh = resolve_lsh(config)
    return dataclasses.replace(config, bands=lsh.bands, rows=lsh.rows)


def _config_data(config: DedupConfig) -> dict[str, Any]:
    return {name: value for name, value in dataclasses.asdict(config).items() if name not in RUNTIME_OPTIONS}


@dataclass(frozen=True)
class _Fingerprints:
    """What the index knows of some paragraphs' normalised texts: whether seen, and then the paragraph
    kept in place of their first occurrence (global row and document), the Jaccard of the two, and flags."""

    seen: np.ndarray
    representative: np.ndarray
    representative_doc: np.ndarray
    jaccard: np.ndarray
    flags: np.ndarray


@dataclass(frozen=True)
class _Decision:
    """The rule run over new paragraphs after the index: for each, the paragraph kept in its place as a
    global row (indexed, or new: ``first_row`` on), their Jaccard, and flags."""

    representative: np.ndarray
    jaccard: np.ndarray
    exact: np.ndarray
    numbers_differ: np.ndarray
    seen: np.ndarray
    nodes: np.ndarray
    holders: tuple[np.ndarray, np.ndarray, np.ndarray]


class Index:
    """Paragraphs kept so far, to find what repeats them: see the module docstring.

    ``Index(threshold, **options)`` is an empty index in memory, with the options
    of :class:`~dedup.config.DedupConfig` (``kernel`` and ``n_jobs`` may be
    changed per run: ``index.config = ...`` is not needed, pass them to
    :meth:`open`). :meth:`open` opens (or creates) one on disk. ``len(index)``
    is the number of paragraphs added, ``index.documents`` the number of
    documents in it.
    """

    def __init__(self, threshold: float | None = None, *, config: DedupConfig | None = None,
                 **options: Any) -> None:
        if threshold is not None:
            options["threshold"] = threshold
        self._config = _fixed_config(DedupConfig.from_options(config, **options))
        self._check_scope(self._config)
        self._path: Path | None = None
        self._lock: WriterLock | None = None
        self._segments: list[tuple[dict[str, Any], Any]] = []
        self._manifest = Manifest(config=_config_data(self._config))
        self._removed = np.empty(0, dtype=np.int64)
        self._compaction: threading.Thread | None = None
        self._compaction_error: BaseException | None = None

    @staticmethod
    def _check_scope(config: DedupConfig) -> None:
        if config.scope == "within":
            raise OptionError(("scope",), "'all' or 'across' for an index (scope 'within' compares paragraphs "
                              "of one document only: use find_duplicates)", config.scope)

    # -- opening, saving ----------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike, threshold: float | None = None, *, config: DedupConfig | None = None,
             **options: Any) -> Index:
        """The index at ``path`` (a directory), created with these options when missing.

        For an existing index, options other than ``kernel`` and ``n_jobs``
        must be the index's (they decide what it holds): a different one
        raises :class:`~dedup.config.OptionError` naming it. Opening reads
        the manifest only; :class:`~dedup.store.segments.IndexFormatError`
        names the file if it is not an intact index of this format version.
        """
        folder = Path(path)
        if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
            index = cls(threshold, config=config, **options)
            folder.mkdir(parents=True, exist_ok=True)
            index._bind(folder)
            index._lock.acquire()
            index._write_manifest(index._manifest)
            return index
        manifest = read_manifest(folder)
        stored = DedupConfig(**manifest.config)
        given = dict(options)
        if threshold is not None:
            given["threshold"] = threshold
        if config is not None:
            given = {**_config_data(config), **given}
        for name, value in given.items():
            if name not in RUNTIME_OPTIONS and value != getattr(stored, name) and not (
                    name in ("bands", "rows") and value is None):
                raise OptionError((name,), f"{getattr(stored, name)!r}, the value {folder} was built with "
                                  "(it decides what the index holds; query() takes a higher threshold)", value)
        index = cls(config=dataclasses.replace(
            stored, **{name: value for name, value in given.items() if name in RUNTIME_OPTIONS}))
        index._bind(folder)
        index._load(manifest)
        return index

    def _bind(self, folder: Path) -> None:
        self._path = folder
        self._lock = WriterLock(folder)

    def _load(self, manifest: Manifest) -> None:
        assert self._path is not None
        self._manifest = manifest
        self._segments = [(entry, Segment.open(self._path / entry["file"], entry)) for entry in manifest.segments]
        removed = [segment["removed_docs"] for _, segment in self._segments]
        self._removed = np.unique(np.concatenate(removed)) if removed else np.empty(0, dtype=np.int64)

    def save(self, path: str | os.PathLike) -> None:
        """Write this index to ``path`` (a missing or empty directory), as one segment, and go on there."""
        self._finish_compaction()
        folder = Path(path)
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise FileExistsError(f"{folder}: exists and is not an empty directory; save writes a new index")
        folder.mkdir(parents=True, exist_ok=True)
        segments = [segment for _, segment in self._segments]
        arrays = _compacted(segments, self._removed, drop_removed=True) if segments else None
        old_lock = self._lock
        self._bind(folder)
        self._lock.acquire()
        entries = () if arrays is None else (self._write_segment(arrays),)
        manifest = dataclasses.replace(self._manifest, segments=entries, generation=self._manifest.generation + 1)
        self._write_manifest(manifest)
        if old_lock is not None:
            old_lock.release()
        self._load(manifest)

    def flush(self) -> None:
        """Wait for a compaction started in the background by :meth:`add`; everything added is on disk
        already (each :meth:`add` and :meth:`remove` writes its segment before it returns)."""
        self._finish_compaction()

    def close(self) -> None:
        """Finish writing and let another process write this index."""
        self._finish_compaction()
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what it holds --------------------------------------------------------------------------------------

    @property
    def config(self) -> DedupConfig:
        """The options in force (the banding written out)."""
        return self._config

    @property
    def path(self) -> Path | None:
        """The directory of an index on disk, ``None`` for one in memory."""
        return self._path

    @property
    def documents(self) -> int:
        """Documents in the index (added and not removed)."""
        return self._manifest.live_documents

    def __len__(self) -> int:
        return self._manifest.live_paragraphs

    def __contains__(self, doc_id: Hashable) -> bool:
        """Whether document ``doc_id`` is in the index."""
        return bool(self._document_numbers([doc_id])[0][0] >= 0)

    def info(self) -> dict[str, Any]:
        """Counts and sizes: documents, paragraphs, kept paragraphs, bucket entries, segments, bytes on disk."""
        segments = [segment for _, segment in self._segments]
        total = sum(entry.get("bytes", 0) for entry, _ in self._segments)
        return {
            "path": None if self._path is None else str(self._path),
            "format_version": FORMAT_VERSION,
            "documents": self.documents,
            "removed_documents": self._manifest.documents - self._manifest.live_documents,
            "paragraphs": len(self),
            "distinct_paragraphs": sum(len(s["fp_hi"]) for s in segments),
            "kept_paragraphs": sum(len(s["kept_rows"]) for s in segments),
            "indexed_for_near_duplicates": sum(len(s["set_rows"]) for s in segments),
            "bucket_entries": sum(len(s["band_keys"]) for s in segments),
            "segments": len(segments),
            "bytes": total,
            "config": _config_data(self._config),
        }

    def __repr__(self) -> str:
        where = "in memory" if self._path is None else str(self._path)
        return f"<Index {where}: {self.documents} documents, {len(self)} paragraphs, {len(self._segments)} segments>"

    # -- add, query, remove ---------------------------------------------------------------------------------

    def add(self, docs: Iterable[Document], *, executor: Executor | None = None) -> Report:
        """Add ``docs`` (texts, or ``(id, text)`` pairs with ids new to the index); returns a
        :class:`~dedup.report.Report` on them: each paragraph that repeats one in the
        index or an earlier one of ``docs``, under the paragraph kept in its place.

        Texts given without ids are numbered on from the documents already
        added. On disk, the new segment and manifest are written before this
        returns; a crash before then leaves the index as it was.
        """
        report, commit = self.prepare_add(docs, executor=executor)
        commit()
        return report

    def prepare_add(self, docs: Iterable[Document], *,
                    executor: Executor | None = None) -> tuple[Report, Callable[[], None]]:
        """:meth:`add` in two steps: the report, and a function that adds ``docs`` when called
        (before any other change to the index), so that a caller can first write what the
        report says (the ``clean --index --add`` of the command line)."""
        self._finish_compaction()
        self._take_lock()
        ids, texts = self._documents_of(docs, check_new=True)
        features = paragraph_features(texts, self._config, executor=executor, keep_numbers=True)
        decision = self._decide(features, self._config)
        arrays = self._new_segment(ids, features, decision)
        report = self._report(ids, texts, features, decision, self._config)
        m, n = self._manifest, len(features.tokens)
        generation = m.generation

        def commit() -> None:
            if self._manifest.generation != generation:
                raise RuntimeError("the index changed since prepare_add; prepare the add again")
            self._append(arrays, documents=m.documents + len(texts), paragraphs=m.paragraphs + n,
                         live_documents=m.live_documents + len(texts), live_paragraphs=m.live_paragraphs + n)

        return report, commit

    def query(self, docs: Iterable[Document], *, threshold: float | None = None, each_other: bool = True,
              executor: Executor | None = None) -> Report:
        """The :class:`~dedup.report.Report` :meth:`add` would return for ``docs``, the index unchanged.

        ``threshold`` may be raised above the index's (the LSH banding stays
        the index's); a lower one would miss what the index did not keep.
        Without ``each_other``, paragraphs of ``docs`` repeat only indexed
        ones, never each other: what a training set shares with an indexed
        benchmark. (The earliest kept paragraph like a new one is an indexed
        one whenever there is one, so this only keeps those that repeat no
        indexed paragraph.)
        """
        config = self._config
        if threshold is not None and threshold != config.threshold:
            if not threshold > config.threshold:
                raise OptionError(("threshold",), f">= {config.threshold}, the index's threshold (it keeps only "
                                  "paragraphs unlike each other at that threshold)", threshold)
            config = dataclasses.replace(config, threshold=threshold)
        self._finish_compaction()
        ids, texts = self._documents_of(docs, check_new=False)
        features = paragraph_features(texts, config, executor=executor, keep_numbers=True)
        decision = self._decide(features, config)
        if not each_other:
            base = self._manifest.paragraphs
            rows = base + np.arange(len(decision.representative))
            decision.representative[:] = np.where(decision.representative >= base, rows, decision.representative)
            own = decision.representative == rows
            decision.jaccard[own], decision.exact[own], decision.numbers_differ[own] = 1.0, True, False
        return self._report(ids, texts, features, decision, config)

    def remove(self, doc_ids: Iterable[Hashable]) -> int:
        """Forget documents ``doc_ids``: their paragraphs no longer match. Returns how many were removed;
        ``KeyError`` names ids not in the index (and nothing is removed)."""
        self._finish_compaction()
        self._take_lock()
        wanted = list(doc_ids)
        docs, paragraphs = self._document_numbers(wanted)
        missing = [doc_id for doc_id, doc in zip(wanted, docs.tolist()) if doc < 0]
        if missing:
            raise KeyError(f"not in the index: {', '.join(map(repr, missing[:5]))}"
                           f"{f' and {len(missing) - 5} more' if len(missing) > 5 else ''}")
        removed, first = np.unique(docs, return_index=True)
        m = self._manifest
        self._append(_empty_segment(self._config, removed), live_documents=m.live_documents - len(removed),
                     live_paragraphs=m.live_paragraphs - int(paragraphs[first].sum()))
        return len(removed)

    def compact(self) -> None:
        """Merge every segment into one, dropping what removed documents left: lookups then search one
        segment. Old segment files are deleted once the new manifest is in place."""
        self._finish_compaction()
        self._take_lock()
        self._compact(len(self._segments))

    @staticmethod
    def merge(paths: Sequence[str | os.PathLike], out: str | os.PathLike) -> Index:
        """One index at ``out`` holding the documents of the indexes at ``paths``, in that order.

        They must have been built with the same options and hold no document
        id in common. Paragraphs of a later index are numbered after those of
        the earlier ones; each keeps what its own index decided (see the
        module docstring).
        """
        if not paths:
            raise ValueError("merge needs at least one index path")
        for path in paths:
            read_manifest(Path(path))  # an existing index, or IndexFormatError naming it
        sources = [Index.open(path) for path in paths]
        first = sources[0]
        for path, source in zip(paths, sources):
            if _config_data(source.config) != _config_data(first.config):
                differ = sorted(name for name, value in _config_data(source.config).items()
                                if _config_data(first.config)[name] != value)
                raise OptionError(tuple(differ), f"the options of {paths[0]}", tuple(
                    getattr(source.config, name) for name in differ), f"{', '.join(differ)} of {path}")
        parts, documents, paragraphs = [], 0, 0
        for source in sources:
            if source._segments:
                arrays = _compacted([segment for _, segment in source._segments], source._removed,
                                    drop_removed=True)
                parts.append(_shifted(arrays, paragraphs, documents))
            documents += source._manifest.documents
            paragraphs += source._manifest.paragraphs
        merged = _compacted(parts, np.empty(0, dtype=np.int64), drop_removed=True) if parts else _empty_segment(
            first.config, np.empty(0, dtype=np.int64))
        keys, owners = merged["doc_keys"], merged["doc_key_order"]
        for at in np.flatnonzero(keys[1:] == keys[:-1]).tolist():
            left, right = _doc_ids(merged, owners[at : at + 2])
            if left == right and type(left) is type(right):
                raise ValueError(f"document id {left!r} is in more than one of the indexes; ids must be unique")
        index = Index(config=first.config)
        folder = Path(out)
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise FileExistsError(f"{folder}: exists and is not an empty directory; merge writes a new index")
        folder.mkdir(parents=True, exist_ok=True)
        index._bind(folder)
        index._lock.acquire()
        entry = index._write_segment(merged)
        manifest = Manifest(config=_config_data(index._config), segments=(entry,), documents=documents,
                            paragraphs=paragraphs, live_documents=sum(source.documents for source in sources),
                            live_paragraphs=sum(len(source) for source in sources), generation=1)
        index._write_manifest(manifest)
        index._load(manifest)
        for source in sources:
            source.close()
        return index

    # -- the rule, continued ----------------------------------------------------------------------------------

    def _documents_of(self, docs: Iterable[Document], check_new: bool) -> tuple[Sequence, list[str]]:
        ids, texts = read_documents(docs)
        if isinstance(ids, range):
            return range(self._manifest.documents, self._manifest.documents + len(texts)), texts
        if check_new and len(ids):
            known = self._document_numbers(ids)[0]
            if (known >= 0).any():
                position = int(np.flatnonzero(known >= 0)[0])
                raise ValueError(f"docs[{position}] has id {ids[position]!r}, already in the index; ids must be "
                                 "unique (remove it first to replace it)")
        return ids, texts

    def _document_numbers(self, doc_ids: Sequence[Hashable]) -> tuple[np.ndarray, np.ndarray]:
        """The global number (-1 for ids not in the index) and paragraph count of each live document ``doc_ids``."""
        wanted = _DocumentIds.of(doc_ids)
        keys = wanted.keys
        numbers = np.full(len(keys), -1, dtype=np.int64)
        paragraphs = np.zeros(len(keys), dtype=np.int64)
        for _, segment in self._segments:
            sorted_keys = segment["doc_keys"]
            low, high = np.searchsorted(sorted_keys, keys), np.searchsorted(sorted_keys, keys, side="right")
            query = np.repeat(np.arange(len(keys)), high - low)
            local = segment["doc_key_order"][range_positions(low, high)]
            docs = segment["doc_numbers"][local]
            live = _live(docs, self._removed)
            for q, position, doc in zip(query[live].tolist(), local[live].tolist(), docs[live].tolist()):
                stored, given = _doc_ids(segment, [position])[0], wanted.id(q)
                if stored == given and type(stored) is type(given):
                    numbers[q] = doc
                    paragraphs[q] = segment["doc_paragraphs"][position]
        return numbers, paragraphs

    def _fingerprints(self, fingerprints: np.ndarray) -> _Fingerprints:
        n = len(fingerprints)
        seen = np.zeros(n, dtype=bool)
        found = [np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.ones(n), np.zeros(n, dtype=np.uint8)]
        high, low = fingerprints[:, 0], fingerprints[:, 1]
        for _, segment in self._segments:
            wanted = np.flatnonzero(~seen)
            if not len(wanted) or not len(segment["fp_hi"]):
                continue
            column = segment["fp_hi"]
            start, stop = np.searchsorted(column, high[wanted]), np.searchsorted(column, high[wanted], side="right")
            query = np.repeat(wanted, stop - start)
            position = range_positions(start, stop)
            match = segment["fp_lo"][position] == low[query]
            query, position = query[match], position[match]
            live = (_live(segment["fp_docs"][position], self._removed)
                    & _live(segment["fp_rep_docs"][position], self._removed))
            query, position = query[live], position[live]
            first = run_starts(query)  # the earliest entry of each (positions ascend per query)
            query, position = query[first], position[first]
            seen[query] = True
            for out, name in zip(found, ("fp_rep", "fp_rep_docs", "fp_jaccard", "fp_flags")):
                out[query] = segment[name][position]
        return _Fingerprints(seen, *found)

    def _holders(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The indexed paragraphs kept first in the buckets of band keys ``keys`` (``(m, bands)``):
        ``(band, key, row)`` entries, unique, at most :data:`MAX_KEPT_PER_BUCKET` per bucket, and how
        many each ``keys[i, k]`` has."""
        m, bands = keys.shape
        counts = np.zeros((m, bands), dtype=np.int64)
        out_band, out_key, out_row = [], [], []
        if not any(len(segment["band_keys"]) for _, segment in self._segments):
            bands = 0  # nothing indexed for near-duplicates yet
        for k in range(bands):
            query_parts, row_parts = [], []
            wanted_keys, wanted = np.unique(keys[:, k], return_inverse=True)
            for _, segment in self._segments:
                bounds = segment["band_bounds"]
                if not len(bounds) or bounds[k] == bounds[k + 1]:
                    continue
                column = segment["band_keys"][bounds[k] : bounds[k + 1]]
                start, stop = np.searchsorted(column, wanted_keys), np.searchsorted(column, wanted_keys, side="right")
                query = np.repeat(np.arange(len(wanted_keys)), stop - start)
                rows = segment["band_rows"][bounds[k] + range_positions(start, stop)]
                if len(self._removed) and len(rows):
                    docs = segment["set_docs"][np.searchsorted(segment["set_rows"], rows)]
                    live = _live(docs, self._removed)
                    query, rows = query[live], rows[live]
                query_parts.append(query)
                row_parts.append(rows)
            if not query_parts:
                continue
            query, rows = np.concatenate(query_parts), np.concatenate(row_parts)
            order = np.lexsort((rows, query))
            query, rows = query[order], rows[order]
            rank = np.arange(len(query)) - np.flatnonzero(run_starts(query))[np.cumsum(run_starts(query)) - 1]
            keep = rank < MAX_KEPT_PER_BUCKET
            query, rows = query[keep], rows[keep]
            counts[:, k] = np.bincount(query, minlength=len(wanted_keys))[wanted]
            out_band.append(np.full(len(query), k, dtype=np.int64))
            out_key.append(wanted_keys[query])
            out_row.append(rows)
        if not out_band:
            empty = np.empty(0, dtype=np.int64)
            return empty, np.empty(0, dtype=np.uint64), empty, counts
        return np.concatenate(out_band), np.concatenate(out_key), np.concatenate(out_row), counts

    def _sets(self, rows: np.ndarray) -> tuple[ShingleSets, np.ndarray, np.ndarray]:
        """Shingle sets, number keys and documents of indexed kept paragraphs ``rows`` (ascending)."""
        numbers, docs = np.zeros(len(rows), dtype=np.uint64), np.zeros(len(rows), dtype=np.int64)
        sizes = np.zeros(len(rows), dtype=np.int64)
        found = []
        for _, segment in self._segments:
            held = segment["set_rows"]
            if not len(held) or not len(rows):
                continue
            at = np.minimum(np.searchsorted(held, rows), len(held) - 1)
            here = np.flatnonzero(held[at] == rows)
            at = at[here]
            offsets = segment["set_offsets"]
            sizes[here] = offsets[at + 1] - offsets[at]
            numbers[here] = segment["set_numbers"][at]
            docs[here] = segment["set_docs"][at]
            found.append((segment, here, at))
        out_offsets = offsets_of(sizes)
        values = np.empty(out_offsets[-1], dtype=np.uint64)
        for segment, here, at in found:
            offsets = segment["set_offsets"]
            values[range_positions(out_offsets[here], out_offsets[here + 1])] = \
                segment["set_values"][range_positions(offsets[at], offsets[at + 1])]
        return ShingleSets(values, out_offsets, np.zeros(len(rows), dtype=np.int64)), numbers, docs

    def _decide(self, features: ParagraphFeatures, config: DedupConfig) -> _Decision:
        """The rule of :mod:`dedup.stages.cluster` over the new paragraphs, after the index's.

        The paragraphs kept first in the buckets the new ones fall in join the
        search ahead of them, protected (they are kept: they were), so the rule
        decides each new paragraph as one run over the whole corpus would.
        A new paragraph whose text the index has seen shares the fate of its
        first occurrence there.
        """
        n, base = len(features.tokens), self._manifest.paragraphs
        fingerprints = self._fingerprints(features.fingerprints)
        first = first_occurrences(features.fingerprints)
        fuzzy_rows = np.flatnonzero(features.fuzzy)
        unique = (first[fuzzy_rows] == fuzzy_rows) & ~fingerprints.seen[fuzzy_rows]
        nodes, node_keys = fuzzy_rows[unique], features.band_keys[unique]
        band, key, prior_row, counts = self._holders(node_keys)
        prior = sorted_unique(prior_row)
        prior_sets, prior_numbers, prior_docs = self._sets(prior)
        p = len(prior)
        # The search runs over combined rows: the indexed holders, then the new paragraphs.
        prior_member = np.searchsorted(prior, prior_row)
        order = np.lexsort((prior_member, band))
        band, key, prior_member = band[order], key[order], prior_member[order]
        cuts = np.searchsorted(band, np.arange(node_keys.shape[1] + 1))
        bucket, member = column_buckets(
            (np.concatenate([key[cuts[k] : cuts[k + 1]], node_keys[:, k]]),
             np.concatenate([prior_member[cuts[k] : cuts[k + 1]], p + nodes])) for k in range(node_keys.shape[1]))
        combined_first = np.concatenate([np.arange(p), p + first])
        combined_doc = np.concatenate([prior_docs, self._manifest.documents + features.paragraphs.doc])
        protected = np.concatenate([np.ones(p, dtype=bool), features.tokens < config.keep_shorter_than])
        candidates = sorted_unique(member)
        new_candidates = candidates[candidates >= p] - p
        from_index = np.flatnonzero(candidates < p)
        sets = ShingleSets.concatenate([prior_sets.take(candidates[from_index]),
                                        features.shingles.take(new_candidates)])
        numbers = np.concatenate([prior_numbers[candidates[from_index]], features.numbers[new_candidates]])
        kernel = stages(config)
        similarity = SetSimilarity(candidates, sets, kernel.jaccard, numbers if config.numbers_must_match else None,
                                   kernel.greedy_representatives)
        representative, jaccard, exact = kept_in_place(combined_first, combined_doc, bucket, member, similarity,
                                                       config.threshold, config.scope,
                                                       protected if p or config.keep_shorter_than else None)
        near = np.flatnonzero(~exact)
        numbers_differ = np.zeros(p + n, dtype=bool)
        numbers_differ[near] = (numbers[np.searchsorted(candidates, combined_first[near])]
                                != numbers[np.searchsorted(candidates, combined_first[representative[near]])])
        rep = representative[p:]
        rep = np.where(rep >= p, base + rep - p, prior[np.minimum(rep, p - 1)] if p else rep)
        jaccard, exact, numbers_differ = jaccard[p:], exact[p:], numbers_differ[p:]
        seen = np.flatnonzero(fingerprints.seen)
        if len(seen):
            # A text the index has seen: where its first occurrence went, the copy goes (unless protected).
            seen = seen[~protected[p + seen]]
            where = fingerprints.flags[seen]
            rep[seen], jaccard[seen] = fingerprints.representative[seen], fingerprints.jaccard[seen]
            exact[seen] = where & _EXACT != 0
            numbers_differ[seen] = where & _NUMBERS_DIFFER != 0
        return _Decision(rep, jaccard, exact, numbers_differ, fingerprints.seen, nodes,
                         (node_keys, counts, prior_docs))

    def _report(self, ids: Sequence, texts: list[str], features: ParagraphFeatures, decision: _Decision,
                config: DedupConfig) -> Report:
        base = self._manifest.paragraphs
        rep = decision.representative
        indexed = sorted_unique(rep[rep < base])
        doc, index, start, end = self._kept_paragraphs(indexed)
        indexed_docs = sorted_unique(doc)
        k = len(indexed_docs)
        new = features.paragraphs
        paragraphs = Paragraphs(np.concatenate([np.searchsorted(indexed_docs, doc), k + new.doc]),
                                np.concatenate([index, new.index]), np.concatenate([start, new.start]),
                                np.concatenate([end, new.end]))
        m = len(indexed)
        representative = np.concatenate([np.arange(m), np.where(rep >= base, m + rep - base,
                                                                np.searchsorted(indexed, rep))])
        flags = [np.concatenate([np.full(m, value), column]) for value, column in
                 ((1.0, decision.jaccard), (True, decision.exact), (False, decision.numbers_differ))]
        all_ids = [*self._ids_of(indexed_docs), *ids]
        return Report(config=config, lsh=resolve_lsh(config), ids=all_ids, texts=texts, paragraphs=paragraphs,
                      representative=representative, jaccard=flags[0], exact=flags[1], numbers_differ=flags[2],
                      tokens=np.concatenate([np.zeros(m, dtype=np.int32), features.tokens]), indexed_documents=k)

    def _kept_paragraphs(self, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """Document, paragraph number, start and end of indexed kept paragraphs ``rows`` (ascending)."""
        out = [np.zeros(len(rows), dtype=np.int64) for _ in range(4)]
        for _, segment in self._segments:
            held = segment["kept_rows"]
            if not len(held) or not len(rows):
                continue
            at = np.minimum(np.searchsorted(held, rows), len(held) - 1)
            here = np.flatnonzero(held[at] == rows)
            for column, name in zip(out, ("kept_docs", "kept_index", "kept_start", "kept_end")):
                column[here] = segment[name][at[here]]
        return tuple(out)

    def _ids_of(self, docs: np.ndarray) -> list[Hashable]:
        """The ids of indexed documents ``docs`` (global numbers, ascending)."""
        ids: list[Hashable] = [None] * len(docs)
        for _, segment in self._segments:
            numbers = segment["doc_numbers"]
            if not len(numbers) or not len(docs):
                continue
            at = np.minimum(np.searchsorted(numbers, docs), len(numbers) - 1)
            here = np.flatnonzero(numbers[at] == docs)
            for position, doc_id in zip(here.tolist(), _doc_ids(segment, at[here])):
                ids[position] = doc_id
        return ids

    def _new_segment(self, ids: Sequence, features: ParagraphFeatures, decision: _Decision) -> dict[str, np.ndarray]:
        """What an add writes: its documents, the fingerprints of its new texts, its kept paragraphs,
        and the bucket entries, sets and number keys of those kept first in a bucket."""
        base, doc_base = self._manifest.paragraphs, self._manifest.documents
        n = len(features.tokens)
        rows = np.arange(n)
        p = features.paragraphs
        first = first_occurrences(features.fingerprints)
        new_texts = np.flatnonzero((first == rows) & ~decision.seen)
        rep = decision.representative
        kept = new_texts[rep[new_texts] == base + new_texts]
        arrays = _documents_arrays(ids, doc_base, np.bincount(p.doc, minlength=len(ids)))
        order = np.lexsort((features.fingerprints[new_texts, 1], features.fingerprints[new_texts, 0]))
        texts = new_texts[order]
        rep_docs = doc_base + p.doc[np.clip(rep[texts] - base, 0, max(n - 1, 0))]
        from_index = np.flatnonzero(rep[texts] < base)
        if len(from_index):
            indexed, inverse = np.unique(rep[texts][from_index], return_inverse=True)
            rep_docs[from_index] = self._kept_paragraphs(indexed)[0][inverse]
        arrays.update(
            fp_hi=features.fingerprints[texts, 0].copy(), fp_lo=features.fingerprints[texts, 1].copy(),
            fp_docs=doc_base + p.doc[texts], fp_rep=rep[texts], fp_rep_docs=rep_docs,
            fp_jaccard=decision.jaccard[texts],
            fp_flags=(decision.exact[texts] * _EXACT
                      | decision.numbers_differ[texts] * _NUMBERS_DIFFER).astype(np.uint8),
            kept_rows=base + kept, kept_docs=doc_base + p.doc[kept], kept_index=p.index[kept].astype(np.int32),
            kept_start=p.start[kept].astype(np.int64), kept_end=p.end[kept].astype(np.int64))
        # Bucket entries: each new kept paragraph, in each band, while fewer than the cap hold its key.
        node_keys, counts, _ = decision.holders
        is_kept = rep[decision.nodes] == base + decision.nodes
        keys, counts, nodes = node_keys[is_kept], counts[is_kept], decision.nodes[is_kept]
        band_keys, band_rows, bounds = [], [], [0]
        for k in range(keys.shape[1]):
            order, repeats = key_order(keys[:, k])  # by key, then node
            column = keys[order, k]
            starts = np.concatenate([[True], ~repeats]) if len(order) else np.ones(0, dtype=bool)
            rank = np.arange(len(column)) - np.flatnonzero(starts)[np.cumsum(starts) - 1]
            holds = rank < MAX_KEPT_PER_BUCKET - counts[order, k]
            band_keys.append(column[holds])
            band_rows.append(base + nodes[order][holds])
            bounds.append(bounds[-1] + int(holds.sum()))
        held = sorted_unique(np.concatenate(band_rows)) - base if band_rows else np.empty(0, dtype=np.int64)
        sets = features.shingles.take(held)
        arrays.update(
            band_bounds=np.array(bounds, dtype=np.int64),
            band_keys=np.concatenate(band_keys) if band_keys else np.empty(0, dtype=np.uint64),
            band_rows=np.concatenate(band_rows) if band_rows else np.empty(0, dtype=np.int64),
            set_rows=base + held, set_docs=doc_base + p.doc[held], set_offsets=sets.offsets,
            set_values=sets.values, set_numbers=features.numbers[held],
            removed_docs=np.empty(0, dtype=np.int64))
        return arrays

    # -- writing ----------------------------------------------------------------------------------------------

    def _take_lock(self) -> None:
        if self._lock is None or self._lock.held:
            return
        self._lock.acquire()
        assert self._path is not None
        on_disk = read_manifest(self._path)
        if on_disk.generation != self._manifest.generation:
            self._lock.release()
            raise IndexLockedError(f"{self._path}: another process changed this index since it was opened here; "
                                   "open it again")
        remove_unlisted(self._path, on_disk)

    def _write_segment(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        assert self._path is not None
        # Named after the manifest that will list it: generations only grow, one segment each.
        return write_segment(self._path / f"seg-{self._manifest.generation + 1:06d}.dseg", arrays)

    def _write_manifest(self, manifest: Manifest) -> None:
        assert self._path is not None
        write_manifest(self._path, manifest)
        self._manifest = manifest

    def _append(self, arrays: dict[str, np.ndarray], **counts: int) -> None:
        """Add a segment of ``arrays`` and set the manifest's ``counts``: on disk, one new file then the
        manifest swapped; past :data:`MAX_SEGMENTS`, the newest are compacted (in a thread, on disk)."""
        if self._path is None:
            entry = {"bytes": sum(array.nbytes for array in arrays.values())}
            self._segments.append((entry, arrays))
            self._manifest = dataclasses.replace(self._manifest, generation=self._manifest.generation + 1,
                                                 **counts)
            self._removed = np.union1d(self._removed, arrays["removed_docs"])
            if len(self._segments) > MAX_SEGMENTS:
                self._compact(_tail_to_compact(self._segments))
            return
        entry = self._write_segment(arrays)
        manifest = dataclasses.replace(self._manifest, segments=(*self._manifest.segments, entry),
                                       generation=self._manifest.generation + 1, **counts)
        self._write_manifest(manifest)
        self._segments.append((entry, Segment.open(self._path / entry["file"], entry)))
        self._removed = np.union1d(self._removed, arrays["removed_docs"])
        if len(self._segments) > MAX_SEGMENTS:
            self._compaction = threading.Thread(target=self._compact_in_background,
                                                args=(_tail_to_compact(self._segments),), daemon=False)
            self._compaction.start()

    def _compact_in_background(self, count: int) -> None:
        try:
            self._compact(count)
        except BaseException as error:  # raised again by the next call that waits for it
            self._compaction_error = error

    def _finish_compaction(self) -> None:
        if self._compaction is not None:
            self._compaction.join()
            self._compaction = None
        if self._compaction_error is not None:
            error, self._compaction_error = self._compaction_error, None
            raise RuntimeError(f"{self._path}: compacting the index failed; it is as it was before") from error

    def _compact(self, count: int) -> None:
        """Merge the newest ``count`` segments into one (all of them: also drop the removed documents)."""
        if count < 2 and not (count == 1 and len(self._removed)):
            return
        keep, merge = self._segments[: len(self._segments) - count], self._segments[len(self._segments) - count :]
        whole = not keep
        arrays = _compacted([segment for _, segment in merge], self._removed, drop_removed=whole)
        if self._path is None:
            self._segments = [*keep, ({"bytes": sum(array.nbytes for array in arrays.values())}, arrays)]
            if whole:
                self._removed = np.empty(0, dtype=np.int64)
            return
        entry = self._write_segment(arrays)
        manifest = dataclasses.replace(self._manifest, segments=(*(e for e, _ in keep), entry),
                                       generation=self._manifest.generation + 1)
        self._write_manifest(manifest)
        self._segments = [*keep, (entry, Segment.open(self._path / entry["file"], entry))]
        if whole:
            self._removed = np.empty(0, dtype=np.int64)
        remove_unlisted(self._path, manifest)


def _tail_to_compact(segments: list) -> int:
    """How many of the newest segments to merge: while the merged ones are no larger than the
    segment before them (size-tiered, as LSM stores do), at least two."""
    sizes = [entry["bytes"] for entry, _ in segments]
    count, total = 2, sizes[-1] + sizes[-2]
    while count < len(sizes) and sizes[-count - 1] <= 2 * total:
        total += sizes[-count - 1]
        count += 1
    return count


def _documents_arrays(ids: Sequence[Hashable], doc_base: int, paragraphs: np.ndarray) -> dict[str, np.ndarray]:
    encoded = _DocumentIds.of(ids)
    order = np.argsort(encoded.keys, kind="stable")
    return {"doc_numbers": np.arange(doc_base, doc_base + len(ids), dtype=np.int64), "doc_keys": encoded.keys[order],
            "doc_key_order": order.astype(np.int64), **encoded.arrays(),
            "doc_paragraphs": np.asarray(paragraphs, dtype=np.int64)}


def _empty_segment(config: DedupConfig, removed: np.ndarray) -> dict[str, np.ndarray]:
    """A segment holding nothing but ``removed`` documents (tombstones)."""
    arrays = _documents_arrays([], 0, np.empty(0, dtype=np.int64))
    none, nothing = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint64)
    arrays.update(fp_hi=nothing, fp_lo=nothing, fp_docs=none, fp_rep=none, fp_rep_docs=none,
                  fp_jaccard=np.empty(0), fp_flags=np.empty(0, dtype=np.uint8), kept_rows=none, kept_docs=none,
                  kept_index=np.empty(0, dtype=np.int32), kept_start=none, kept_end=none,
                  band_bounds=np.zeros(resolve_lsh(config).bands + 1, dtype=np.int64), band_keys=nothing,
                  band_rows=none, set_rows=none, set_docs=none, set_offsets=np.zeros(1, dtype=np.int64),
                  set_values=nothing, set_numbers=nothing, removed_docs=np.asarray(removed, dtype=np.int64))
    return arrays


def _shifted(arrays: dict[str, np.ndarray], rows: int, docs: int) -> dict[str, np.ndarray]:
    """``arrays`` of a segment with paragraphs numbered from ``rows`` on and documents from ``docs`` on."""
    out = dict(arrays)
    for name in ("fp_rep", "kept_rows", "band_rows", "set_rows"):
        out[name] = arrays[name] + rows
    for name in ("doc_numbers", "fp_docs", "fp_rep_docs", "kept_docs", "set_docs", "removed_docs"):
        out[name] = arrays[name] + docs
    return out


def _compacted(segments: Sequence[Any], removed: np.ndarray, drop_removed: bool) -> dict[str, np.ndarray]:
    """The arrays of one segment holding what ``segments`` (consecutive, oldest first) hold, without
    what documents ``removed`` left when ``drop_removed`` (else their tombstones are kept)."""
    if not segments:
        raise ValueError("nothing to compact")

    def cat(name: str) -> np.ndarray:
        return np.concatenate([np.asarray(segment[name]) for segment in segments])

    def live(docs: np.ndarray) -> np.ndarray:
        return _live(docs, removed) if drop_removed else np.ones(len(docs), dtype=bool)

    out: dict[str, np.ndarray] = {}
    numbers = cat("doc_numbers")
    offsets = [np.asarray(segment["doc_id_offsets"]) for segment in segments]
    lengths = np.concatenate([np.diff(o) for o in offsets])
    blob = cat("doc_id_bytes")
    keep = live(numbers)
    starts = offsets_of(lengths)[:-1][keep]
    id_bytes = blob[range_positions(starts, starts + lengths[keep])]
    keys = cat("doc_keys")
    key_owner = np.concatenate([np.asarray(segment["doc_key_order"]) + shift for segment, shift in
                                zip(segments, offsets_of(np.array([len(o) - 1 for o in offsets]))[:-1])])
    renumber = np.cumsum(keep) - 1
    key_keep = keep[key_owner]
    keys, key_owner = keys[key_keep], renumber[key_owner[key_keep]]
    order = np.lexsort((key_owner, keys))
    out.update(doc_numbers=numbers[keep], doc_keys=keys[order], doc_key_order=key_owner[order],
               doc_id_offsets=offsets_of(lengths[keep]), doc_id_bytes=id_bytes,
               doc_id_kinds=cat("doc_id_kinds")[keep], doc_int_ids=cat("doc_int_ids")[keep],
               doc_paragraphs=cat("doc_paragraphs")[keep])

    fp = {name: cat(name) for name in ("fp_hi", "fp_lo", "fp_docs", "fp_rep", "fp_rep_docs", "fp_jaccard",
                                       "fp_flags")}
    keep = live(fp["fp_docs"]) & live(fp["fp_rep_docs"])
    order = np.lexsort((np.flatnonzero(keep), fp["fp_lo"][keep], fp["fp_hi"][keep]))
    out.update({name: column[keep][order] for name, column in fp.items()})

    kept = {name: cat(name) for name in ("kept_rows", "kept_docs", "kept_index", "kept_start", "kept_end")}
    keep = live(kept["kept_docs"])
    order = np.argsort(kept["kept_rows"][keep], kind="stable")
    out.update({name: column[keep][order] for name, column in kept.items()})

    held = {name: cat(name) for name in ("set_rows", "set_docs", "set_numbers")}
    set_sizes = np.concatenate([np.diff(np.asarray(segment["set_offsets"])) for segment in segments])
    values = cat("set_values")
    keep = live(held["set_docs"])
    starts = offsets_of(set_sizes)[:-1]
    order = np.flatnonzero(keep)[np.argsort(held["set_rows"][keep], kind="stable")]
    out.update({name: column[order] for name, column in held.items()})
    out.update(set_offsets=offsets_of(set_sizes[order]),
               set_values=values[range_positions(starts[order], starts[order] + set_sizes[order])])

    bands = len(np.asarray(segments[0]["band_bounds"])) - 1
    band_keys, band_rows, bounds = [], [], [0]
    dead_rows = np.sort(cat("set_rows")[~keep])
    for k in range(bands):
        column_keys = np.concatenate([np.asarray(s["band_keys"])[s["band_bounds"][k] : s["band_bounds"][k + 1]]
                                      for s in segments])
        column_rows = np.concatenate([np.asarray(s["band_rows"])[s["band_bounds"][k] : s["band_bounds"][k + 1]]
                                      for s in segments])
        alive = ~found_in(dead_rows, column_rows) if len(dead_rows) else np.ones(len(column_rows), dtype=bool)
        column_keys, column_rows = column_keys[alive], column_rows[alive]
        order = np.lexsort((column_rows, column_keys))
        band_keys.append(column_keys[order])
        band_rows.append(column_rows[order])
        bounds.append(bounds[-1] + len(order))
    out.update(band_bounds=np.array(bounds, dtype=np.int64), band_keys=np.concatenate(band_keys),
               band_rows=np.concatenate(band_rows))
    out["removed_docs"] = np.empty(0, dtype=np.int64) if drop_removed else np.asarray(removed, dtype=np.int64)
    return out
