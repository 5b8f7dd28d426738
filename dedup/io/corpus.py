"""Corpora on disk: plain text, JSONL, JSON arrays and Parquet, gzip- or zstd-compressed.

A corpus is a list of files read in order, each holding records (documents):

- ``text`` (``.txt``, ``.text``, ``.md``, ``.rst``): the whole file is one
  document, its id the file's path (relative to the directory it was found in);
- ``jsonl`` (``.jsonl``, ``.ndjson``): one JSON object per line;
- ``json``: a JSON array of objects (read whole: use JSONL for large files);
- ``csv`` and ``tsv`` (``.csv``; ``.tsv``, ``.tab``): a header row naming the
  columns, then one record per row (a quoted field may hold line breaks);
- ``parquet``: one row per record (needs ``pyarrow``: ``pip install paradedup[parquet]``).

The text is the ``text_field`` of a record, its id the ``id_field`` (the line,
item or row number, from 1, when absent). The format comes from the file name
(``.gz`` and ``.zst`` are decompressed first) unless given; a name that tells
none is an error (:func:`open_corpus`), never taken for plain text. A
directory stands for the files under it, in sorted order, hidden ones left out.

Bad input (unreadable file or directory, a damaged archive, invalid UTF-8,
malformed JSON, a record without the text field or whose text is not a
string) raises :class:`InputError` naming the file and line; with
``on_error="skip"`` the record (or the rest of the file) is left out and the
error handed to the caller to count instead. A compressed file read to its end
was whole: one cut short is an error, never taken for the end.

Example
-------
>>> import json, pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "posts.jsonl").write_text(json.dumps({"id": "a", "text": "Hello."}) + "\\n{oops\\n")
>>> corpus = open_corpus([folder / "posts.jsonl"], on_error="skip")
>>> skipped = []
>>> [(r.id, r.text) for r in corpus.records(skipped)]
[('a', 'Hello.')]
>>> skipped[0].kind, str(skipped[0]).endswith("posts.jsonl:2: malformed JSON: Expecting property name "
...                                           "enclosed in double quotes (column 2)")
('malformed JSON', True)
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import stat
import zlib
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Literal

__all__ = ["FORMATS", "DELIMITERS", "InputError", "Source", "Record", "Corpus", "open_corpus", "compression",
           "compression_of", "delimited_header", "format_of", "is_stream", "open_binary", "unknown_format"]

FORMATS = ("text", "jsonl", "json", "csv", "tsv", "parquet")
_SUFFIX_FORMATS = {".txt": "text", ".text": "text", ".md": "text", ".rst": "text", ".jsonl": "jsonl",
                   ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
                   ".parquet": "parquet"}
DELIMITERS = {"csv": ",", "tsv": "\t"}
_COMPRESSIONS = (".gz", ".zst")
_MAGIC = {".gz": b"\x1f\x8b", ".zst": b"\x28\xb5\x2f\xfd"}
_ARCHIVES = {".gz": "gzip", ".zst": "zstd"}
_CHUNK = 1 << 16
# What reading a file can raise: zlib's error is gzip's corrupt data.
_READ_ERRORS = (OSError, EOFError, zlib.error)
_PARQUET_ROWS = 4096


class InputError(ValueError):
    """A file or record that cannot be read; the message names the file and line.

    ``kind`` says what went wrong, for counting: ``"unreadable file"``,
    ``"unreadable directory"``, ``"unknown format"``, ``"invalid UTF-8"``, ``"malformed JSON"``, ``"not an
    object"``, ``"wrong number of columns"``, ``"missing text field"`` or
    ``"text not a string"``. ``records`` is how many
    records it stands for (a whole file, when a file cannot be read past its header).
    """

    def __init__(self, where: str, kind: str, detail: str, records: int = 1) -> None:
        super().__init__(f"{where}: {detail}")
        self.kind = kind
        self.records = records


@dataclass(frozen=True)
class Source:
    """One input file: ``path`` to read, ``name`` to mirror in outputs, and
    ``shown``, what errors call it (the path, unless given: ``<stdin>``).

    ``name`` is the file name, or for a file found in a directory its path
    relative to that directory. ``format`` is ``None`` when its name tells
    none, or when it is a directory that could not be listed (``unreadable``
    says why): reading either raises :class:`InputError`.
    """

    path: Path
    name: str
    format: str | None
    shown: str = ""
    unreadable: str = ""

    @property
    def where(self) -> str:
        return self.shown or str(self.path)


@dataclass(slots=True)
class Record:
    """One document: ``text`` and ``id``, from line (item, row) ``line`` of ``sources[source]``.

    ``fields`` holds the whole record (``None`` for text files; for Parquet,
    the text and id only), ``raw`` the JSONL line or CSV row as read, so that
    an unchanged record is written back byte for byte, and ``arrow`` a Parquet
    row's batch and place in it, so that its other columns are written back
    as they were, of whatever type.
    """

    source: int
    line: int
    id: Hashable
    text: str
    fields: dict[str, Any] | None = None
    raw: bytes | None = None
    arrow: tuple[Any, int] | None = None


def compression(path: Path | str) -> str | None:
    """``".gz"``, ``".zst"`` or ``None``, from the file name."""
    suffix = Path(path).suffix.lower()
    return suffix if suffix in _COMPRESSIONS else None


def compression_of(head: bytes) -> str:
    """``".gz"``, ``".zst"`` or ``""``: the compression that the first bytes ``head`` of a file show."""
    return next((kind for kind, magic in _MAGIC.items() if head.startswith(magic)), "")


def is_stream(path: Path) -> bool:
    """Whether ``path`` can be read only once: a pipe (``/dev/stdin``, ``<(...)``,
    a FIFO), a socket or a device; not a missing or unreadable path."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def format_of(path: Path | str) -> str | None:
    """The format a file name implies: its suffix, after any compression suffix (``None`` if unknown)."""
    path = Path(path)
    if compression(path):
        path = path.with_suffix("")
    return _SUFFIX_FORMATS.get(path.suffix.lower())


def unknown_format(path: Path | str) -> str:
    """Why ``path`` cannot be read without a format given, and what would do."""
    suffixes = ", ".join(sorted(_SUFFIX_FORMATS))
    suffix = Path(path).suffix or "no extension"
    return (f"cannot tell the format of {path} from its name ({suffix}); known: {suffixes}, each maybe .gz or "
            f".zst; or give the format (--format {'|'.join(FORMATS)})")


def open_binary(path: Path) -> IO[bytes]:
    """``path`` opened for reading in binary, decompressed by its suffix.

    A compressed file must be a whole archive: one that is empty, that does not
    start as its suffix says, is corrupt or ends early raises ``OSError`` or
    ``EOFError`` when read (never a short read taken for the end).
    """
    kind = compression(path)
    stream = open(path, "rb")
    if kind is None:
        return stream
    try:
        head = stream.peek(len(_MAGIC[kind]))[: len(_MAGIC[kind])]
        if head != _MAGIC[kind]:
            what = "it is empty" if not head else f"it starts with {head!r}, not {_MAGIC[kind]!r}"
            raise OSError(f"not a {_ARCHIVES[kind]} archive: {what}")
    except BaseException:
        stream.close()
        raise
    if kind == ".gz":
        return gzip.GzipFile(fileobj=stream, mode="rb")
    return io.BufferedReader(_ZstdReader(stream), _CHUNK)


class _ZstdReader(io.RawIOBase):
    """The zstd frames of ``stream``, one after another, decompressed.

    ``zstandard``'s own readers take a stream that ends inside a frame for its
    end; this one raises ``EOFError`` then, as ``gzip`` does, and ``OSError``
    for corrupt data.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        import zstandard

        self._stream, self._zstd = stream, zstandard
        self._frame: Any = None
        self._unused = b""
        self._output, self._offset = b"", 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._offset == len(self._output):
            chunk = self._unused or self._stream.read(_CHUNK)
            self._unused = b""
            if not chunk:
                if self._frame is not None and not self._frame.eof:
                    raise EOFError("compressed file ended before the end of its last zstd frame")
                return 0
            if self._frame is None or self._frame.eof:
                self._frame = self._zstd.ZstdDecompressor().decompressobj()
            try:
                self._output, self._offset = self._frame.decompress(chunk), 0
            except self._zstd.ZstdError as error:
                raise OSError(f"corrupt zstd data: {error}") from error
            if self._frame.eof:
                self._unused = self._frame.unused_data
        size = min(len(buffer), len(self._output) - self._offset)
        buffer[:size] = self._output[self._offset: self._offset + size]
        self._offset += size
        return size

    def close(self) -> None:
        self._stream.close()
        super().close()


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


@dataclass(frozen=True)
class Corpus:
    """Files read in order as one corpus; see the module docstring. Make one with :func:`open_corpus`."""

    sources: tuple[Source, ...]
    text_field: str = "text"
    id_field: str = "id"
    on_error: Literal["stop", "skip"] = "stop"

    def records(self, skipped: list[InputError] | None = None) -> Iterator[Record]:
        """Every record of every file, in order; a fresh pass each call.

        Bad records raise :class:`InputError`, or, with ``on_error="skip"``, are
        appended to ``skipped`` (when given) and left out.
        """
        for index in range(len(self.sources)):
            yield from self.source_records(index, skipped)

    def source_records(self, index: int, skipped: list[InputError] | None = None) -> Iterator[Record]:
        """The records of ``sources[index]``, as :meth:`records` reads them."""
        source = self.sources[index]
        reader = {"text": self._text, "jsonl": self._jsonl, "json": self._json, "csv": self._delimited,
                  "tsv": self._delimited, "parquet": self._parquet, None: self._unknown}
        try:
            for item in reader[source.format](index, source):
                if isinstance(item, InputError):
                    self._handle(item, skipped)
                else:
                    yield item
        except InputError as error:  # the rest of the file cannot be read
            self._handle(error, skipped)

    def _handle(self, error: InputError, skipped: list[InputError] | None) -> None:
        if self.on_error != "skip":
            raise error
        if skipped is not None:
            skipped.append(error)

    def _read(self, source: Source) -> bytes:
        try:
            with open_binary(source.path) as stream:
                return stream.read()
        except (*_READ_ERRORS, ImportError) as error:
            raise InputError(source.where, "unreadable file", f"cannot read: {_reason(error)}") from error

    def _record(self, index: int, line: int, fields: Any, raw: bytes | None, place: str = ":") -> Record | InputError:
        """The record ``fields`` from line (item, row) ``line`` of ``sources[index]``,
        or the error that it is not one; an error names its ``place`` there."""
        if type(fields) is dict and type(fields.get(self.text_field)) is str:  # the usual case, first and fast
            return Record(index, line, fields.get(self.id_field, line), fields[self.text_field], fields, raw)
        where = f"{self.sources[index].where}{place}{line}"
        if not isinstance(fields, dict):
            return InputError(where, "not an object", f"expected a JSON object, got {_json_type(fields)}")
        if self.text_field not in fields:
            return InputError(where, "missing text field",
                              f"no field {self.text_field!r}; its fields are {', '.join(map(repr, fields))}")
        return InputError(where, "text not a string",
                          f"field {self.text_field!r} is {_json_type(fields[self.text_field])}; expected a string")

    def _text(self, index: int, source: Source) -> Iterator[Record | InputError]:
        data = self._read(source)
        try:
            yield Record(index, 1, source.name, data.decode("utf-8"))
        except UnicodeDecodeError as error:
            yield InputError(f"{source.where}:{_line_of(data, error.start)}", "invalid UTF-8",
                             f"invalid UTF-8 (byte {error.start})")

    def _jsonl(self, index: int, source: Source) -> Iterator[Record | InputError]:
        try:
            stream = open_binary(source.path)
        except (OSError, ImportError) as error:
            raise InputError(source.where, "unreadable file", f"cannot read: {_reason(error)}") from error
        number = 0
        with stream:
            try:
                for number, line in enumerate(stream, 1):  # noqa: B007 (read after the loop)
                    if line.strip():
                        yield self._jsonl_record(index, source, number, line)
            except _READ_ERRORS as error:
                raise InputError(f"{source.where}:{number + 1}", "unreadable file",
                                 f"cannot read further: {_reason(error)}") from error

    def _jsonl_record(self, index: int, source: Source, number: int, line: bytes) -> Record | InputError:
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError as error:
            return InputError(f"{source.where}:{number}", "invalid UTF-8",
                              f"invalid UTF-8 (byte {error.start} of the line)")
        if number == 1:
            decoded = decoded.removeprefix("\ufeff")  # a byte order mark, as some editors write
        try:
            fields = json.loads(decoded)
        except json.JSONDecodeError as error:
            return InputError(f"{source.where}:{number}", "malformed JSON",
                              f"malformed JSON: {error.msg} (column {error.colno})")
        except RecursionError:
            return InputError(f"{source.where}:{number}", "malformed JSON", "malformed JSON: nested too deeply to read")
        return self._record(index, number, fields, line)

    def _json(self, index: int, source: Source) -> Iterator[Record | InputError]:
        data = self._read(source)
        try:
            items = json.loads(data.decode("utf-8").removeprefix("\ufeff"))
        except RecursionError as error:
            raise InputError(source.where, "malformed JSON", "malformed JSON: nested too deeply to read") from error
        except UnicodeDecodeError as error:
            raise InputError(f"{source.where}:{_line_of(data, error.start)}", "invalid UTF-8",
                             f"invalid UTF-8 (byte {error.start})") from error
        except json.JSONDecodeError as error:
            raise InputError(f"{source.where}:{error.lineno}", "malformed JSON",
                             f"malformed JSON: {error.msg} (column {error.colno})") from error
        if not isinstance(items, list):
            raise InputError(source.where, "not an object",
                         f"expected a JSON array of objects, got {_json_type(items)}")
        for number, fields in enumerate(items, 1):
            yield self._record(index, number, fields, None, ": item ")

    def _unknown(self, index: int, source: Source) -> Iterator[Record | InputError]:
        if source.unreadable:
            raise InputError(source.where, "unreadable directory", f"cannot list: {source.unreadable}")
        raise InputError(source.where, "unknown format", unknown_format(source.where))
        yield  # a generator, as the other readers

    def _delimited(self, index: int, source: Source) -> Iterator[Record | InputError]:
        """CSV or TSV rows after a header row; each record keeps its raw bytes, so
        that an unchanged row is written back as it was read."""
        try:
            stream = open_binary(source.path)
        except (OSError, ImportError) as error:
            raise InputError(source.where, "unreadable file", f"cannot read: {_reason(error)}") from error
        raw: list[bytes] = []
        numbers = [0]

        def lines() -> Iterator[str]:
            # Invalid UTF-8 is kept as surrogates, to fail its own record only.
            for numbers[0], line in enumerate(stream, 1):  # noqa: B007
                raw.append(line)
                yield line.decode("utf-8", "surrogateescape")

        # A text field is as long as a text: lift csv's limit of 128 KB a field.
        csv.field_size_limit(2**31 - 1)
        with stream:
            try:
                rows = csv.reader(lines(), delimiter=DELIMITERS[source.format], strict=True)
                try:
                    header = next(rows, None)
                except csv.Error as error:  # with no header, no row can be read
                    raise InputError(f"{source.where}:1", "malformed CSV", f"malformed header row: {error}") from error
                if header is None:
                    return
                if header:
                    header[0] = header[0].removeprefix("\ufeff")
                raw.clear()
                while True:
                    line = numbers[0] + 1
                    try:
                        row = next(rows)
                    except StopIteration:
                        return
                    except csv.Error as error:
                        yield InputError(f"{source.where}:{line}", "malformed CSV", f"malformed row: {error}")
                        raw.clear()
                        continue
                    yield self._row(index, source, line, header, row, b"".join(raw))
                    raw.clear()
            except _READ_ERRORS as error:
                raise InputError(f"{source.where}:{numbers[0] + 1}", "unreadable file",
                                 f"cannot read further: {_reason(error)}") from error

    def _row(self, index: int, source: Source, line: int, header: list[str], row: list[str],
             raw: bytes) -> Record | InputError:
        where = f"{source.where}:{line}"
        if len(row) != len(header):
            return InputError(where, "wrong number of columns", f"{len(row)} columns; the header has {len(header)}")
        try:
            "".join(row).encode("utf-8")
        except UnicodeEncodeError as error:
            return InputError(where, "invalid UTF-8", f"invalid UTF-8 (byte {error.start} of a field)")
        return self._record(index, line, dict(zip(header, row)), raw)

    def _parquet(self, index: int, source: Source) -> Iterator[Record | InputError]:
        try:
            import pyarrow.parquet as pq
        except ImportError as error:
            raise InputError(source.where, "unreadable file",
                             "reading Parquet needs pyarrow: pip install 'paradedup[parquet]'") from error
        try:
            parquet = pq.ParquetFile(source.path)
        except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
            raise InputError(source.where, "unreadable file", f"cannot read: {_reason(error)}") from error
        if self.text_field not in parquet.schema_arrow.names:
            raise InputError(source.where, "missing text field",
                             f"no column {self.text_field!r}; its columns are "
                             f"{', '.join(map(repr, parquet.schema_arrow.names))}",
                             records=parquet.metadata.num_rows)
        text_type = parquet.schema_arrow.field(self.text_field).type
        if not _holds_strings(text_type):
            raise InputError(source.where, "text not a string",
                             f"column {self.text_field!r} holds {text_type}; expected strings",
                             records=parquet.metadata.num_rows)
        number = 0
        for batch in parquet.iter_batches(batch_size=_PARQUET_ROWS):
            texts = batch.column(self.text_field).to_pylist()
            ids = (_plain_values(batch.column(self.id_field)) if self.id_field in batch.schema.names
                   else [None] * len(texts))
            for row, (text, doc_id) in enumerate(zip(texts, ids)):
                number += 1
                fields = {self.text_field: text} if doc_id is None else {self.text_field: text, self.id_field: doc_id}
                record = self._record(index, number, fields, None, ": row ")
                yield record if isinstance(record, InputError) else replace(record, arrow=(batch, row))


def _holds_strings(kind: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or kind == pa.string_view()


def _plain_values(column: Any) -> list:
    """A Parquet column's values as JSON can hold them: numbers and strings as
    they are, any other type (decimal, bytes, times, lists) as its text."""
    import pyarrow as pa

    kind = column.type
    if (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
            or pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return column.to_pylist()
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return [None if v is None else v.decode("utf-8", "backslashreplace") for v in column.to_pylist()]
    try:
        return column.cast(pa.large_string()).to_pylist()
    except pa.ArrowException:  # lists and structs have no cast to text
        return [None if v is None else str(v) for v in column.to_pylist()]


def delimited_header(source: Source) -> tuple[bytes, list[str]]:
    """The header row of a CSV or TSV file: its bytes as read, and its column names."""
    with open_binary(source.path) as stream:
        raw: list[bytes] = []

        def lines() -> Iterator[str]:
            for line in stream:
                raw.append(line)
                yield line.decode("utf-8", "surrogateescape")

        header = next(csv.reader(lines(), delimiter=DELIMITERS[source.format]), [])
    if header:
        header[0] = header[0].removeprefix("\ufeff")
    return b"".join(raw), header


def _reason(error: BaseException) -> str:
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error) or type(error).__name__


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _files(path: Path) -> Iterator[tuple[Path, str, OSError | None]]:
    """The files a path names: itself, or those under it (sorted, hidden ones
    left out), with their names; a directory that cannot be listed comes with
    its error instead."""
    if not path.is_dir():
        yield path, path.name, None
        return
    unlisted: list[OSError] = []

    def listing_errors() -> Iterator[tuple[Path, str, OSError]]:
        while unlisted:
            error = unlisted.pop(0)
            folder = Path(error.filename)
            yield folder, folder.relative_to(path).as_posix() if folder != path else folder.name, error

    for folder, dirs, files in os.walk(path, onerror=unlisted.append):
        yield from listing_errors()  # of the folders os.walk tried to list before this one
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(f for f in files if not f.startswith(".")):
            file = Path(folder) / name
            yield file, file.relative_to(path).as_posix(), None
    yield from listing_errors()


def open_corpus(inputs: Sequence[Path | str], *, format: str = "auto", text_field: str = "text",
                id_field: str = "id", on_error: Literal["stop", "skip"] = "stop") -> Corpus:
    """The corpus made of ``inputs`` (files and directories), in order.

    Raises ``ValueError`` for an unknown ``format`` or ``on_error``, or a file
    whose name tells no format (``format="auto"``), and :class:`InputError`
    for an input that does not exist. With ``on_error="skip"`` both are read
    as bad files instead, skipped and counted.
    """
    if format != "auto" and format not in FORMATS:
        raise ValueError(f"format must be 'auto' or one of {FORMATS}; got {format!r}")
    if on_error not in ("stop", "skip"):
        raise ValueError(f"on_error must be 'stop' or 'skip'; got {on_error!r}")
    sources = []
    for given in map(Path, inputs):
        try:
            given.stat()
        except OSError as error:  # missing, a symbolic link loop, a folder we may not enter
            if on_error == "stop":
                raise InputError(str(given), "unreadable file", f"cannot read: {_reason(error)}") from error
        for path, name, error in _files(given):
            if error is not None:
                if on_error == "stop":
                    raise InputError(str(path), "unreadable directory", f"cannot list: {_reason(error)}")
                sources.append(Source(path, name, None, unreadable=_reason(error)))
                continue
            kind = format_of(path) if format == "auto" else format
            if kind is None and on_error == "stop":
                raise ValueError(unknown_format(path))
            sources.append(Source(path, name, kind))
    return Corpus(tuple(sources), text_field, id_field, on_error)
