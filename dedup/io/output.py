"""Writing results: every output file appears whole, or not at all.

:class:`AtomicOutputs` hands out temporary files beside their final paths and
renames them into place only when the whole job succeeded, all of them or
none; on any error or interrupt they are deleted. :func:`check_output` says
before any work whether a path can become an output. :func:`record_writer`
writes records back in their input's format (compressed by the output's
suffix): an unchanged record byte for byte where the format allows, a changed
JSONL record with only its text rewritten, a Parquet row with its other
columns as they were.

Example
-------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with AtomicOutputs() as outputs:
...     _ = outputs.temporary(folder / "out.txt").write_text("done")
...     (folder / "out.txt").exists()  # not until the block has succeeded
False
>>> (folder / "out.txt").read_text()
'done'
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .corpus import DELIMITERS, Record, compression, is_stream

__all__ = ["STANDARD", "AtomicOutputs", "check_output", "written_in_place", "rewritten_line", "RecordWriter",
           "record_writer", "open_output", "json_line"]

# An output (or input) path of "-": standard output (input).
STANDARD = Path("-")

_PARQUET_ROWS = 4096


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output(final: Path) -> None:
    """Raise ``ValueError`` (saying why) unless ``final`` can become an output:
    not a directory, in a folder that exists or can be made, and writable.

    Checked before any work starts, so that a run never ends in an output it
    cannot write. A symbolic link is written through; an existing device or
    pipe (``/dev/stdout``) is written to in place, never replaced.
    """
    if written_in_place(final):
        if final != STANDARD and not os.access(final, os.W_OK):
            raise ValueError(f"cannot write output {final}: permission denied")
        return
    real = Path(os.path.realpath(final))
    if real.is_dir():
        raise ValueError(f"output {final} is a directory; give a file name")
    folder = next(parent for parent in real.parents if parent.exists())
    if not folder.is_dir():
        raise ValueError(f"cannot write output {final}: {folder} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write output {final}: permission denied in {folder}")


def written_in_place(final: Path) -> bool:
    """Whether the output ``final`` is written to rather than replaced: standard
    output, a device, a pipe, or a path naming a file descriptor
    (``/dev/stderr``, ``/dev/fd/N``), which may stand for a regular file."""
    descriptor = str(final) in ("/dev/stdout", "/dev/stderr") or final.parts[:3] == ("/", "dev", "fd") or (
        final.parts[:4] == ("/", "proc", "self", "fd"))
    return final == STANDARD or descriptor or is_stream(final)


class AtomicOutputs:
    """Temporary files that become their final paths together, on success only.

    Every final file is replaced, or none is: old contents are kept (hard
    links) until all the renames have succeeded, and put back if one fails.
    Standard output, devices and pipes are written last, as they cannot be
    taken back. A final path that is a symbolic link is written through.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []
        self._made_dirs: list[Path] = []

    def temporary(self, final: Path) -> Path:
        """A new empty file in ``final``'s directory (created if needed), to become
        ``final``; for ``-``, a device or a pipe, in the temporary directory, to be copied there."""
        in_place = written_in_place(final)
        if not in_place:
            final = Path(os.path.realpath(final))
        missing = [] if in_place else [parent for parent in [final.parent, *final.parent.parents]
                                       if not parent.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            self._made_dirs.append(folder)
        handle, name = tempfile.mkstemp(dir=None if in_place else final.parent, prefix=f".{final.name}.",
                                        suffix=".part")
        os.close(handle)
        os.chmod(name, 0o666 & ~_umask())  # mkstemp makes it private; outputs get the usual mode
        self._pending.append((Path(name), final))
        return Path(name)

    def discard(self, temporary: Path) -> None:
        """Give up ``temporary``: its final path is not written."""
        self._pending = [(t, f) for t, f in self._pending if t != temporary]
        temporary.unlink(missing_ok=True)

    def __enter__(self) -> AtomicOutputs:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            if kind is None:
                self._commit()
        finally:
            for temporary, _ in self._pending:
                temporary.unlink(missing_ok=True)
            for folder in reversed(self._made_dirs if kind is not None or self._pending else []):
                if folder.exists() and not any(folder.iterdir()):
                    folder.rmdir()

    def _commit(self) -> None:
        files = [(t, f) for t, f in self._pending if not written_in_place(f)]
        replaced: list[tuple[Path, Path | None]] = []  # final, and a link to its old contents
        try:
            for temporary, final in files:
                old = None
                if final.exists():
                    old = final.with_name(f"{temporary.name}.old")
                    try:
                        os.link(final, old)
                    except OSError:  # no hard links here: moved aside instead
                        os.replace(final, old)
                os.replace(temporary, final)
                replaced.append((final, old))
        except BaseException:
            for final, old in reversed(replaced):
                if old is None:
                    final.unlink(missing_ok=True)
                else:
                    os.replace(old, final)
            for temporary, final in files:
                final.with_name(f"{temporary.name}.old").unlink(missing_ok=True)
            raise
        for _, old in replaced:
            if old is not None:
                old.unlink()
        self._pending = [(t, f) for t, f in self._pending if written_in_place(f)]
        for temporary, final in self._pending:
            with open(temporary, "rb") as result:
                if final == STANDARD:
                    shutil.copyfileobj(result, sys.stdout.buffer)
                    sys.stdout.flush()
                else:
                    with open(final, "wb") as device:
                        shutil.copyfileobj(result, device)
        for temporary, _ in self._pending:
            temporary.unlink()
        self._pending = []


class RecordWriter:
    """Writes records to one file in a format; ``write(record, text, removed)`` then ``close()``.

    ``text`` replaces the record's text (``None`` keeps it); ``removed``, when
    an annotation field is set, is stored in that field as ``[[start, end], ...]``.
    """

    format = ""

    def __init__(self, path: Path, final: Path, annotate_field: str | None) -> None:
        self.path, self.final, self.annotate_field = path, final, annotate_field
        self.written = 0

    def write(self, record: Record, text: str | None, removed: list[list[int]], text_field: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _fields(self, record: Record, text: str | None, removed: list[list[int]], text_field: str) -> dict:
        fields = dict(record.fields)
        if text is not None:
            fields[text_field] = text
        if self.annotate_field:
            fields[self.annotate_field] = removed
        return fields


def json_line(value: Any) -> bytes:
    """``value`` as one line of JSON, UTF-8."""
    return (_json_value(value) + "\n").encode("utf-8")


def _json_value(value: Any) -> str:
    """``value`` as JSON that encodes to UTF-8: characters as they are, a lone surrogate as its escape."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # only the \\u escape of a lone surrogate is valid UTF-8
        return json.dumps(value)
    return text


def _value_spans(line: str) -> tuple[dict[str, tuple[int, int]], int]:
    """Where the value of each key of the JSON object ``line`` lies (of a key
    given twice, the last, which ``json.loads`` keeps), and where its closing brace is."""
    space = json.decoder.WHITESPACE  # type: ignore[attr-defined]
    spans = {}
    at = space.match(line, line.index("{") + 1).end()
    while line[at] != "}":
        key, at = json.decoder.scanstring(line, at + 1)  # type: ignore[attr-defined]
        at = space.match(line, space.match(line, at).end() + 1).end()  # past the colon
        # A string (the text, long) is found by a regular expression, in C, not decoded.
        end = _STRING.match(line, at).end() if line[at] == '"' else _DECODER.raw_decode(line, at)[1]
        spans[key] = (at, end)
        at = space.match(line, end).end()
        if line[at] == ",":
            at = space.match(line, at + 1).end()
    return spans, at


_DECODER = json.JSONDecoder()
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def rewritten_line(raw: bytes, changes: dict[str, Any], fields: dict[str, Any] | None = None) -> bytes:
    """The JSON object line ``raw`` with the fields of ``changes`` set (added last
    when absent), every other byte as it was: numbers such as ``1e400`` or
    ``0.10000000000000000555``, key order and repeated keys are kept, where
    parsing and writing the record again would change them.

    ``fields``, the record ``raw`` holds, makes it faster where ``json.dumps``
    wrote the line: it then writes the changed record.
    """
    line = raw.decode("utf-8")
    body = line.rstrip("\r\n")
    edited = _edited_in_place(body, changes, fields) if fields is not None else None
    if edited is not None:
        return (edited + (line[len(body):] or "\n")).encode()
    for ascii in (False, True) if fields is not None else ():
        if json.dumps(fields, ensure_ascii=ascii) == body:
            try:
                return (json.dumps({**fields, **changes}, ensure_ascii=ascii) + (line[len(body):] or "\n")).encode()
            except UnicodeEncodeError:  # a lone surrogate in the new text: its escape is written below
                break
    spans, close = _value_spans(line)
    edits = [(*spans[key], _json_value(value)) if key in spans else
             (close, close, f", {_json_value(key)}: {_json_value(value)}") for key, value in changes.items()]
    for start, end, text in sorted(edits, reverse=True):
        line = line[:start] + text + line[end:]
    return (line if line.endswith("\n") else line + "\n").encode("utf-8")


def _edited_in_place(body: str, changes: dict[str, Any], fields: dict[str, Any]) -> str | None:
    """The JSON object ``body`` with ``changes`` made where that is cheap and
    sure: a string field of ``fields`` that json.dumps wrote first or last
    (and once) in it is set in place, a field it lacks is added last; else
    ``None``.

    The member found ends the object or starts it, so it is a member of the
    object itself, and its quote follows a space or the opening brace, so it
    opens a key: not text inside another string. :func:`rewritten_line` so took
    3.3-6.0 us a record of 20 Newsgroups, against 15.8 us writing the record
    again to check the line first.
    """
    try:
        for key, value in changes.items():
            if key not in fields:
                if not body.endswith("}") or body == "{}":
                    return None
                body = f"{body[:-1]}, {_json_value(key)}: {_json_value(value)}}}"
                continue
            old = fields[key]
            if not (isinstance(old, str) and isinstance(value, str)):
                return None
            body = _member_set(body, key, old, value)
            if body is None:
                return None
        body.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: the slow path writes its escape
        return None
    return body


def _member_set(body: str, key: str, old: str, new: str) -> str | None:
    """``body`` with the string member ``key``: ``old``, first or last in it, set to ``new``
    (see :func:`_edited_in_place`)."""
    for quoted in (_QUOTED, _QUOTED_ASCII):
        name = quoted(key)
        member = f"{name}: {quoted(old)}"
        if body.endswith(member + "}") and (body[: -len(member) - 1].endswith(", ") or len(body) == len(member) + 2):
            start = len(body) - len(member) - 1
        elif body.startswith("{" + member) and body[len(member) + 1] in ",}" and body.find(name + ":", 2) < 0:
            start = 1
        else:
            continue
        return f"{body[:start]}{name}: {quoted(new)}{body[start + len(member):]}"
    return None


# A string as json.dumps writes it (ensure_ascii False and True): the same C functions, without its set-up per call.
_QUOTED, _QUOTED_ASCII = json.encoder.encode_basestring, json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


class _JsonlWriter(RecordWriter):
    """JSONL: each record's line as it was read, with only the text (and the
    annotation) rewritten; see :func:`rewritten_line`."""

    format = "jsonl"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._stream = open_output(self.path, self.final)

    def write(self, record: Record, text: str | None, removed: list[list[int]], text_field: str) -> None:
        changes: dict[str, Any] = {} if text is None else {text_field: text}
        if self.annotate_field:
            changes[self.annotate_field] = removed
        if record.raw is None:
            line = json_line(self._fields(record, text, removed, text_field))
        else:
            line = rewritten_line(record.raw, changes, record.fields) if changes else record.raw
        self._stream.write(line if line.endswith(b"\n") else line + b"\n")
        self.written += 1

    def close(self) -> None:
        self._stream.close()


class _JsonWriter(RecordWriter):
    format = "json"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._stream = open_output(self.path, self.final)
        self._stream.write(b"[")

    def write(self, record: Record, text: str | None, removed: list[list[int]], text_field: str) -> None:
        self._stream.write(b"\n" if not self.written else b",\n")
        self._stream.write(json_line(self._fields(record, text, removed, text_field))[:-1])
        self.written += 1

    def close(self) -> None:
        self._stream.write(b"\n]\n")
        self._stream.close()


class _TextWriter(RecordWriter):
    format = "text"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._text: str | None = None

    def write(self, record: Record, text: str | None, removed: list[list[int]], text_field: str) -> None:
        self._text = record.text if text is None else text
        self.written += 1

    def close(self) -> None:
        if self._text is not None:
            with open_output(self.path, self.final) as stream:
                stream.write(self._text.encode("utf-8"))


class _DelimitedWriter(RecordWriter):
    """CSV or TSV: the source's header row, then each record, an unchanged one
    as it was read; ``--annotate`` adds a last column of JSON spans."""

    def __init__(self, path: Path, final: Path, annotate_field: str | None, header: tuple[bytes, list[str]],
                 delimiter: str) -> None:
        super().__init__(path, final, annotate_field)
        raw, columns = header
        self._columns = [*columns, annotate_field] if annotate_field else columns
        newline = "\r\n" if raw.endswith(b"\r\n") else "\n"
        self._buffer = io.StringIO()
        self._rows = csv.writer(self._buffer, delimiter=delimiter, lineterminator=newline)
        self._stream = open_output(self.path, self.final)
        if annotate_field:
            self._row(self._columns)
        else:
            self._stream.write(raw if raw.endswith(b"\n") else raw + newline.encode())

    def _row(self, values: list[str]) -> None:
        self._rows.writerow(values)
        self._stream.write(self._buffer.getvalue().encode("utf-8"))
        self._buffer.seek(0)
        self._buffer.truncate()

    def write(self, record: Record, text: str | None, removed: list[list[int]], text_field: str) -> None:
        if text is None and not self.annotate_field and record.raw is not None:
            self._stream.write(record.raw if record.raw.endswith(b"\n") else record.raw + b"\n")
        else:
            fields = self._fields(record, text, removed, text_field)
            if self.annotate_field:
                fields[self.annotate_field] = json.dumps(removed)
            self._row([fields[column] for column in self._columns])
        self.written += 1

    def close(self) -> None:
        self._stream.close()


class _ParquetWriter(RecordWriter):
    """Parquet in the source's schema: each row taken from the batch it was read
    in (every other column as it was, of whatever type), with its text replaced."""

    format = "parquet"

    def __init__(self, path: Path, final: Path, annotate_field: str | None, schema: Any) -> None:
        super().__init__(path, final, annotate_field)
        import pyarrow as pa
        import pyarrow.parquet as pq

        if annotate_field:
            schema = schema.append(pa.field(annotate_field, pa.list_(pa.list_(pa.int64()))))
        self._schema, self._pa = schema, pa
        self._writer = pq.ParquetWriter(path, schema)
        self._batch: Any = None
        self._rows: list[int] = []
        self._texts: list[str | None] = []
        self._removed: list[list[list[int]]] = []
        self._text_field = ""

    def write(self, record: Record, text: str | None, removed: list[list[int]], text_field: str) -> None:
        batch, row = record.arrow
        if batch is not self._batch or len(self._rows) >= _PARQUET_ROWS:
            self._flush()
            self._batch = batch
        self._rows.append(row)
        self._texts.append(text)
        self._removed.append(removed)
        self._text_field = text_field
        self.written += 1

    def _flush(self) -> None:
        if not self._rows:
            return
        pa = self._pa
        rows = self._batch.take(pa.array(self._rows, type=pa.int64()))
        column = rows.schema.get_field_index(self._text_field)
        if any(text is not None for text in self._texts):
            kept = rows.column(column).to_pylist()
            texts = [old if new is None else new for old, new in zip(kept, self._texts)]
            rows = rows.set_column(column, rows.schema.field(column),
                                   pa.array(texts, type=rows.schema.field(column).type))
        if self.annotate_field:
            rows = rows.append_column(self._schema.field(self.annotate_field),
                                      pa.array(self._removed, type=self._schema.field(self.annotate_field).type))
        self._writer.write_table(pa.Table.from_batches([rows]).cast(self._schema))
        self._rows, self._texts, self._removed = [], [], []

    def close(self) -> None:
        self._flush()
        self._writer.close()


class _Gzip(gzip.GzipFile):
    """gzip output whose header names the final file, not the temporary one, and no time:
    the same input gives the same bytes in every run.

    Level 1: five times as fast as level 6 on Gutenberg's text for 19% more
    bytes, which is the difference between writing a cleaned corpus at the
    speed of reading it and taking longer to compress it than to clean it.
    zstd (``.zst``) is smaller and faster still.
    """

    def __init__(self, path: Path, final: Path) -> None:
        self._raw = open(path, "wb")
        super().__init__(filename=final.with_suffix("").name, mode="wb", compresslevel=1, fileobj=self._raw,
                         mtime=0)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def open_output(path: Path, final: Path) -> IO[bytes]:
    """``path`` opened for writing, compressed as ``final``'s suffix says."""
    kind = compression(final)
    if kind == ".gz":
        return _Gzip(path, final)
    if kind == ".zst":
        import zstandard

        return zstandard.open(path, "wb")
    return open(path, "wb")


def record_writer(format: str, path: Path, final: Path, annotate_field: str | None = None,
                  schema: Any = None) -> RecordWriter:
    """A writer of ``format`` records into ``path`` (a temporary file that becomes
    ``final``); ``schema`` is the source's Parquet schema, or the header of a CSV
    or TSV file (see :func:`dedup.io.corpus.delimited_header`)."""
    if format == "parquet":
        return _ParquetWriter(path, final, annotate_field, schema)
    if format in DELIMITERS:
        return _DelimitedWriter(path, final, annotate_field, schema, DELIMITERS[format])
    writers = {"jsonl": _JsonlWriter, "json": _JsonWriter, "text": _TextWriter}
    return writers[format](path, final, annotate_field)
