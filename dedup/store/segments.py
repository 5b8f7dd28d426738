"""Immutable segments of named arrays, and the manifest that lists an index's segments.

An index is a directory, laid out as LSM stores (LevelDB, Lucene) are::

    MANIFEST              the index's state: format, version, config, segments in order, checksum
    LOCK                  held (``flock``) by the one process writing the index
    seg-000001.dseg       one segment per add, removal or compaction, never rewritten
    ...

A change writes new segment files, then swaps the manifest in one atomic
rename: a crash at any point leaves the previous manifest, which names only
complete files. Files no manifest names (left by a crash, or dropped by a
compaction) are deleted by the next writer.

A segment file is ``b"DEDUPSEG"``, a little-endian uint32 format version, a
uint32 header length and the header (JSON: for each array its name, dtype,
shape, byte offset and xxh3-64 checksum), then each array's bytes at an
offset aligned to 64 bytes. Opening maps the file (``mmap``) and reads the
header only: opening costs the same whatever the index's size. An array's
checksum is verified the first time this process reads it, so a corrupted
byte gives :class:`IndexFormatError`, never a wrong answer. Nothing is ever
unpickled.

Example
-------
>>> import tempfile, numpy as np
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> entry = write_segment(folder / "seg-000001.dseg", {"keys": np.arange(3, dtype=np.uint64)})
>>> segment = Segment.open(folder / entry["file"], entry)
>>> segment["keys"].tolist()
[0, 1, 2]
"""

from __future__ import annotations

import errno
import json
import mmap
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

__all__ = ["FORMAT_VERSION", "IndexFormatError", "IndexLockedError", "Manifest", "Segment", "WriterLock",
           "read_manifest", "write_manifest", "write_segment", "remove_unlisted"]

FORMAT_VERSION = 1
MANIFEST_NAME = "MANIFEST"
LOCK_NAME = "LOCK"
_INDEX_FORMAT = "dedup-index"
_SEGMENT_MAGIC = b"DEDUPSEG"
_PREAMBLE = struct.Struct("<8sII")
_ALIGN = 64


class IndexFormatError(ValueError):
    """A file that is not an index, or not a complete and intact one, or of another format version."""


class IndexLockedError(RuntimeError):
    """Another process is writing the index."""


def _checksum(data: bytes | memoryview | np.ndarray) -> str:
    return xxhash.xxh3_64_hexdigest(data)


def _fsync_directory(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_atomically(path: Path, chunks: list[bytes | memoryview]) -> None:
    """``path`` holding ``chunks``, written to a temporary file, synced, then renamed into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def write_segment(path: Path, arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Write ``arrays`` as one segment file at ``path`` (atomically); returns its manifest entry."""
    header, chunks, offset = {}, [], 0
    for name, array in arrays.items():
        data = np.ascontiguousarray(array)
        if data.dtype.hasobject:
            raise TypeError(f"segment array {name!r} holds Python objects; only plain numbers are stored")
        raw = memoryview(data).cast("B") if data.nbytes else b""
        header[name] = {"dtype": data.dtype.str, "shape": list(data.shape), "offset": offset,
                        "checksum": _checksum(raw)}
        chunks.append(raw)
        padding = -data.nbytes % _ALIGN
        chunks.append(b"\0" * padding)
        offset += data.nbytes + padding
    encoded = json.dumps({"arrays": header}, sort_keys=True).encode("utf-8")
    start = _PREAMBLE.size + len(encoded)
    start += -start % _ALIGN
    preamble = _PREAMBLE.pack(_SEGMENT_MAGIC, FORMAT_VERSION, len(encoded))
    body = [preamble, encoded, b"\0" * (start - _PREAMBLE.size - len(encoded))]
    _write_atomically(path, body + chunks)
    return {"file": path.name, "bytes": start + offset, "header_checksum": _checksum(encoded)}


@dataclass
class Segment:
    """One segment file, memory-mapped; ``segment[name]`` is a read-only array, checked on first use."""

    path: Path
    _arrays: dict[str, dict[str, Any]]
    _map: mmap.mmap | None
    _start: int
    _checked: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path, entry: Mapping[str, Any]) -> Segment:
        """The segment at ``path`` as the manifest ``entry`` describes it; :class:`IndexFormatError` if it is not."""
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise IndexFormatError(f"{path}: segment file missing; the index is incomplete") from None
        if size != entry["bytes"]:
            raise IndexFormatError(f"{path}: {size} bytes where the manifest says {entry['bytes']}; "
                                   "the file is truncated or was replaced")
        with open(path, "rb") as file:
            preamble = file.read(_PREAMBLE.size)
            if len(preamble) < _PREAMBLE.size:
                raise IndexFormatError(f"{path}: not a dedup index segment (too short)")
            magic, version, length = _PREAMBLE.unpack(preamble)
            if magic != _SEGMENT_MAGIC:
                raise IndexFormatError(f"{path}: not a dedup index segment")
            if version != FORMAT_VERSION:
                raise IndexFormatError(f"{path}: segment format version {version}; this dedup reads version "
                                       f"{FORMAT_VERSION}")
            encoded = file.read(length)
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if size else None
        if _checksum(encoded) != entry["header_checksum"]:
            raise IndexFormatError(f"{path}: header checksum mismatch; the file is corrupted")
        start = _PREAMBLE.size + length
        return cls(path, json.loads(encoded)["arrays"], mapped, start + (-start % _ALIGN))

    def __contains__(self, name: str) -> bool:
        return name in self._arrays

    def __getitem__(self, name: str) -> np.ndarray:
        array = self._checked.get(name)
        if array is not None:
            return array
        spec = self._arrays[name]
        dtype, shape = np.dtype(spec["dtype"]), tuple(spec["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        array = np.frombuffer(self._map, dtype=dtype, count=count, offset=self._start + spec["offset"]) \
            if count else np.empty(0, dtype=dtype)
        if _checksum(memoryview(array).cast("B") if count else b"") != spec["checksum"]:
            raise IndexFormatError(f"{self.path}: checksum mismatch in array {name!r}; the file is corrupted")
        array = array.reshape(shape)
        self._checked[name] = array
        return array

    @property
    def bytes(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class Manifest:
    """An index's state: its ``config`` (plain data), ``segments`` (manifest entries, oldest first) and
    counts: documents and paragraphs ever numbered, and those not removed (``live_*``)."""

    config: dict[str, Any]
    segments: tuple[dict[str, Any], ...] = ()
    documents: int = 0
    paragraphs: int = 0
    live_documents: int = 0
    live_paragraphs: int = 0
    generation: int = 0

    def to_json(self) -> bytes:
        body = {"format": _INDEX_FORMAT, "version": FORMAT_VERSION, "generation": self.generation,
                "config": self.config, "documents": self.documents, "paragraphs": self.paragraphs,
                "live_documents": self.live_documents, "live_paragraphs": self.live_paragraphs,
                "segments": list(self.segments)}
        encoded = json.dumps(body, sort_keys=True, indent=1)
        return json.dumps({"checksum": _checksum(encoded.encode("utf-8")), "manifest": encoded}, indent=1).encode()


def read_manifest(folder: Path) -> Manifest:
    """The manifest of the index at ``folder``; :class:`IndexFormatError` naming the path if it is not one."""
    path = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise IndexFormatError(f"{folder}: not a dedup index (an index is a directory holding {MANIFEST_NAME})")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IndexFormatError(f"{folder}: not a dedup index (no {MANIFEST_NAME} file)") from None
    try:
        outer = json.loads(raw)
        encoded = outer["manifest"]
        valid = _checksum(encoded.encode("utf-8")) == outer["checksum"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise IndexFormatError(f"{path}: not a dedup index manifest, or it is truncated") from None
    if not valid:
        raise IndexFormatError(f"{path}: checksum mismatch; the manifest is corrupted")
    body = json.loads(encoded)
    if body.get("format") != _INDEX_FORMAT:
        raise IndexFormatError(f"{path}: not a dedup index manifest (format {body.get('format')!r})")
    if body.get("version") != FORMAT_VERSION:
        raise IndexFormatError(f"{path}: index format version {body.get('version')}; this dedup reads version "
                               f"{FORMAT_VERSION}")
    try:
        return Manifest(config=body["config"], segments=tuple(body["segments"]), documents=body["documents"],
                        paragraphs=body["paragraphs"], live_documents=body["live_documents"],
                        live_paragraphs=body["live_paragraphs"], generation=body["generation"])
    except KeyError as error:
        raise IndexFormatError(f"{path}: manifest lacks {error}; it was not written by this dedup") from None


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Replace the manifest at ``folder`` in one atomic rename: readers see the old state or the new."""
    _write_atomically(folder / MANIFEST_NAME, [manifest.to_json()])


def remove_unlisted(folder: Path, manifest: Manifest) -> None:
    """Delete segment files and temporary files no longer named by ``manifest``.

    Readers that mapped a deleted file keep reading it (POSIX keeps its data
    until the last map closes)."""
    listed = {entry["file"] for entry in manifest.segments}
    for path in folder.iterdir():
        if (path.suffix == ".dseg" and path.name not in listed) or path.name.endswith(".tmp"):
            path.unlink(missing_ok=True)


class WriterLock:
    """The exclusive right to write the index at ``folder``: an ``flock`` on its LOCK file, held until released.

    A process that dies, even by ``kill -9``, drops it with its file descriptors."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._descriptor: int | None = None

    def acquire(self) -> None:
        import fcntl

        if self._descriptor is not None:
            return
        descriptor = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
            os.close(descriptor)
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise IndexLockedError(f"{self.folder}: another process{f' (pid {holder})' if holder else ''} "
                                       "is writing this index; one writer at a time") from None
            raise
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, str(os.getpid()).encode("ascii"), 0)
        self._descriptor = descriptor

    @property
    def held(self) -> bool:
        return self._descriptor is not None

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
