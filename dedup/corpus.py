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

Bad input (unreadable file, invalid UTF-8, malformed JSON, a record without
the text field or whose text is not a string) raises :class:`InputError`
naming the file and line; with ``on_error="skip"`` the record is left out and
the error handed to the caller to count instead.

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
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

__all__ = ["FORMATS", "DELIMITERS", "InputError", "Source", "Record", "Corpus", "open_corpus", "compression",
           "delimited_header", "format_of", "open_binary", "unknown_format"]

FORMATS = ("text", "jsonl", "json", "csv", "tsv", "parquet")
_SUFFIX_FORMATS = {".txt": "text", ".text": "text", ".md": "text", ".rst": "text", ".jsonl": "jsonl",
                   ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
                   ".parquet": "parquet"}
DELIMITERS = {"csv": ",", "tsv": "\t"}
_COMPRESSIONS = (".gz", ".zst")
_PARQUET_ROWS = 4096


class InputError(ValueError):
    """A file or record that cannot be read; the message names the file and line.

    ``kind`` says what went wrong, for counting: ``"unreadable file"``,
    ``"unknown format"``, ``"invalid UTF-8"``, ``"malformed JSON"``, ``"not an
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
    relative to that directory. ``format`` is ``None`` when its name tells none.
    """

    path: Path
    name: str
    format: str | None
    shown: str = ""

    @property
    def where(self) -> str:
        return self.shown or str(self.path)


@dataclass(frozen=True)
class Record:
    """One document: ``text`` and ``id``, from line (item, row) ``line`` of ``sources[source]``.

    ``fields`` holds the whole record (``None`` for text files), ``raw`` the
    JSONL line or CSV row as read, so that an unchanged record is written back
    byte for byte.
    """

    source: int
    line: int
    id: Hashable
    text: str
    fields: dict[str, Any] | None = None
    raw: bytes | None = None


def compression(path: Path | str) -> str | None:
    """``".gz"``, ``".zst"`` or ``None``, from the file name."""
    suffix = Path(path).suffix.lower()
    return suffix if suffix in _COMPRESSIONS else None


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


def open_binary(path: Path, mode: Literal["rb", "wb"] = "rb") -> IO[bytes]:
    """``path`` opened in binary, (de)compressed by its suffix."""
    kind = compression(path)
    if kind == ".gz":
        return gzip.open(path, mode)
    if kind == ".zst":
        import zstandard

        # Buffered, so that it can be read line by line.
        return io.BufferedReader(zstandard.open(path, "rb")) if mode == "rb" else zstandard.open(path, mode)
    return open(path, mode)


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
        except (OSError, EOFError, ImportError) as error:
            raise InputError(source.where, "unreadable file", f"cannot read: {_reason(error)}") from error

    def _record(self, index: int, line: int, where: str, fields: Any, raw: bytes | None) -> Record | InputError:
        if not isinstance(fields, dict):
            return InputError(where, "not an object", f"expected a JSON object, got {_json_type(fields)}")
        if self.text_field not in fields:
            return InputError(where, "missing text field",
                              f"no field {self.text_field!r}; its fields are {', '.join(map(repr, fields))}")
        text = fields[self.text_field]
        if not isinstance(text, str):
            return InputError(where, "text not a string",
                              f"field {self.text_field!r} is {_json_type(text)}; expected a string")
        doc_id = fields.get(self.id_field, line)
        return Record(index, line, doc_id, text, fields, raw)

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
            except (OSError, EOFError) as error:
                raise InputError(f"{source.where}:{number + 1}", "unreadable file",
                                 f"cannot read further: {_reason(error)}") from error

    def _jsonl_record(self, index: int, source: Source, number: int, line: bytes) -> Record | InputError:
        where = f"{source.where}:{number}"
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError as error:
            return InputError(where, "invalid UTF-8", f"invalid UTF-8 (byte {error.start} of the line)")
        try:
            fields = json.loads(decoded)
        except json.JSONDecodeError as error:
            return InputError(where, "malformed JSON", f"malformed JSON: {error.msg} (column {error.colno})")
        return self._record(index, number, where, fields, line)

    def _json(self, index: int, source: Source) -> Iterator[Record | InputError]:
        data = self._read(source)
        try:
            items = json.loads(data.decode("utf-8"))
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
            yield self._record(index, number, f"{source.where}: item {number}", fields, None)

    def _unknown(self, index: int, source: Source) -> Iterator[Record | InputError]:
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
                header = next(rows, None)
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
            except (OSError, EOFError) as error:
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
        return self._record(index, line, where, dict(zip(header, row)), raw)

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
        number = 0
        for batch in parquet.iter_batches(batch_size=_PARQUET_ROWS):
            for fields in batch.to_pylist():
                number += 1
                yield self._record(index, number, f"{source.where}: row {number}", fields, None)


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


def _files(path: Path) -> Iterator[tuple[Path, str]]:
    """The files a path names: itself, or those under it (sorted, hidden ones left out), with their names."""
    if not path.is_dir():
        yield path, path.name
        return
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(f for f in files if not f.startswith(".")):
            file = Path(folder) / name
            yield file, file.relative_to(path).as_posix()


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
        if not given.exists() and on_error == "stop":
            raise InputError(str(given), "unreadable file", "cannot read: No such file or directory")
        for path, name in _files(given):
            kind = format_of(path) if format == "auto" else format
            if kind is None and on_error == "stop":
                raise ValueError(unknown_format(path))
            sources.append(Source(path, name, kind))
    return Corpus(tuple(sources), text_field, id_field, on_error)
