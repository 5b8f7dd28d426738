"""The ``dedup`` command (also ``python -m dedup``): find, clean, stats, report and index.

Every subcommand reads its inputs as one corpus (see :mod:`dedup.io.corpus`),
streaming: the text is read twice (once more to write or to quote passages)
and never held whole, so memory is bounded by the per-paragraph index. With
``--index PATH`` (find, clean, stats) the corpus is matched against a
:class:`dedup.Index` instead, its texts held in memory for the search. A pipe
(``-``, ``/dev/stdin``, ``<(...)``, a FIFO) is copied once to a temporary file
and read from there. Outputs are checked before the search starts and appear
whole or not at all (:mod:`dedup.io.output`).

Exit codes: 0 success, 1 bad input, 2 usage error (130 when interrupted).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .config import KERNELS, SCOPES, SEGMENTATION_MODES, SHINGLE_UNITS, DedupConfig, OptionError
from .engines.local import BATCH_CHARS
from .index import Index
from .io.corpus import (
    DELIMITERS,
    FORMATS,
    Corpus,
    InputError,
    Record,
    Source,
    compression_of,
    delimited_header,
    format_of,
    is_stream,
    open_corpus,
)
from .io.output import (
    STANDARD,
    AtomicOutputs,
    RecordWriter,
    check_output,
    json_line,
    open_output,
    record_writer,
    written_in_place,
)
from .pipeline import find_duplicates_streaming
from .report.report import Member, RepeatedBlock, Report
from .stages.segment import Paragraphs, paragraph_texts
from .store.segments import IndexFormatError, IndexLockedError

__all__ = ["main"]

# Options that become DedupConfig fields (argparse dest -> field).
_CONFIG_FIELDS = {"threshold": "threshold", "segmentation": "segmentation", "shingle": "shingle", "ngram": "ngram",
                  "min_tokens": "min_tokens", "scope": "scope", "keep_shorter_than": "keep_shorter_than",
                  "numbers_must_match": "numbers_must_match",
                  "num_perm": "num_perm", "bands": "bands", "rows": "rows", "seed": "seed", "jobs": "n_jobs",
                  "kernel": "kernel"}
# What each segmentation mode is for, one line each in --help.
_SEGMENTATION_HELP = {
    "auto": "hard-wrapped lines joined; scraped lines, lists and tables kept apart (default)",
    "blank-lines": "only blank lines end a paragraph (books, Markdown)",
    "lines": "every line is a paragraph (scraped pages, one paragraph per line)",
    "wrapped": "as auto, every block taken as hard-wrapped (news wires, e-mail, plain-text books)",
    "none": "each text is one paragraph already",
}


# A file name that tells each format (a spooled pipe is named by its format).
_FORMAT_SUFFIXES = {"text": ".txt", "jsonl": ".jsonl", "json": ".json", "csv": ".csv", "tsv": ".tsv",
                    "parquet": ".parquet"}

# Records cleaned and checked together at most (a batch is also bounded in characters).
_BATCH_RECORDS = 4096


class UsageError(Exception):
    """A command line or config file that asks for something impossible (exit code 2)."""


# ----------------------------------------------------------------------------- arguments


class _HelpFormatter(argparse.HelpFormatter):
    """Help that keeps the line breaks written into an option's help (one line per choice)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        import textwrap

        lines = []
        for line in text.splitlines():
            indent = len(line) - len(line.lstrip())
            lines += textwrap.wrap(line, width, subsequent_indent=" " * (indent + 2 * (indent > 0))) or [""]
        return lines


def _corpus_options(parser: argparse.ArgumentParser, index: str | None = "match") -> None:
    """The inputs and the options of the search; ``index="match"`` adds --index and --add."""
    parser.add_argument("inputs", nargs="+", metavar="INPUT", type=Path,
                        help="files or directories: text, JSONL, JSON, CSV, TSV, Parquet, by extension; .gz/.zst "
                             "decompressed; - reads standard input (with --format)")
    parser.add_argument("--config", type=Path, metavar="TOML", help="read option defaults from this TOML file")
    if index == "match":
        parser.add_argument("--index", type=Path, metavar="PATH",
                            help="match the input against this index (dedup index create) instead of itself; "
                                 "the input's own repeats are found too")
        parser.add_argument("--add", action="store_true",
                            help="with --index: add the input to the index (after the output is written)")
        parser.add_argument("--index-only", action="store_true",
                            help="with --index: match the input against the index only, not against itself "
                                 "(decontamination: what a training set shares with an indexed benchmark)")
    corpus = parser.add_argument_group("input")
    corpus.add_argument("--format", choices=("auto", *FORMATS), default="auto",
                        help="input format (default: from each file name; a name that tells none is an error)")
    corpus.add_argument("--text-field", default="text", help="field holding the text (default: text)")
    corpus.add_argument("--id-field", default="id", help="field holding the id (default: id; else the line number)")
    corpus.add_argument("--on-error", choices=("stop", "skip"), default="stop",
                        help="bad record: stop with an error (default) or skip it and count it")
    _search_options(parser)


def _search_options(parser: argparse.ArgumentParser) -> None:
    search = parser.add_argument_group("matching")
    search.add_argument("--threshold", type=float, help="Jaccard similarity at or above which paragraphs match "
                                                        "(default 0.8)")
    search.add_argument("--segmentation", "--granularity", choices=SEGMENTATION_MODES,
                        help="how texts are cut into paragraphs:\n" + "\n".join(
                            f"  {mode}: {_SEGMENTATION_HELP[mode]}" for mode in SEGMENTATION_MODES))
    search.add_argument("--shingle", choices=SHINGLE_UNITS, help="shingle unit: word n-grams (default) or characters")
    search.add_argument("--ngram", type=int, help="tokens per shingle (default 2 words, 5 characters)")
    search.add_argument("--min-tokens", type=int, help="shorter paragraphs only match exactly (default 5)")
    removal = parser.add_argument_group("what to remove")
    removal.add_argument("--scope", choices=SCOPES,
                         help="remove every repeat (all, default), only repeats of another document's paragraph "
                              "(across: boilerplate), or only repeats inside one document (within)")
    removal.add_argument("--keep-shorter-than", type=int, metavar="N",
                         help="never remove paragraphs of fewer than N tokens (default 0: none protected)")
    removal.add_argument("--numbers-must-match", action="store_true", default=None,
                         help="paragraphs whose numbers differ (1.25 against 1.14) are never near-duplicates")
    search.add_argument("--num-perm", type=int, help="MinHash permutations (default 128)")
    search.add_argument("--bands", type=int, help="LSH bands (with --rows; default chosen from the threshold)")
    search.add_argument("--rows", type=int, help="LSH rows per band (with --bands)")
    search.add_argument("--seed", type=int, help="MinHash permutation seed (default 1)")
    search.add_argument("--jobs", type=int, help="worker processes (default: all cores for large inputs)")
    search.add_argument("--kernel", choices=KERNELS, help="numpy (default) or numba, compiled (the numba extra); "
                                                         "same results")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars, no summary")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dedup", description="Find and remove near-duplicate paragraphs in text corpora.",
        epilog="Exit codes: 0 success, 1 bad input, 2 usage error. Run 'dedup COMMAND --help' for its options.")
    parser.add_argument("--version", action="version", version=f"dedup {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    find = commands.add_parser("find", formatter_class=_HelpFormatter,
                               help="write one JSON record per cluster of duplicate paragraphs",
                               description="Write one JSON line per cluster of duplicate paragraphs (members with "
                                           "file, line, id, paragraph, character span and Jaccard to the first).")
    _corpus_options(find)
    find.add_argument("-o", "--output", type=Path, required=True, help="clusters file (JSONL; .gz/.zst compressed)")
    find.set_defaults(run=_find)

    clean = commands.add_parser("clean", formatter_class=_HelpFormatter,
                                help="write the corpus with duplicate paragraphs removed",
                                description="Write the corpus with every repeated paragraph removed (the first "
                                            "occurrence is kept), in the input's format and record order.")
    _corpus_options(clean)
    clean.add_argument("-o", "--output", type=Path, required=True,
                       help="output file (one input file) or directory (several, or a directory)")
    clean.add_argument("--drop-empty", action="store_true", help="leave out documents left with no paragraph")
    clean.add_argument("--annotate", action="store_true",
                       help="keep texts whole; add a field listing the spans that would be removed")
    clean.add_argument("--annotate-field", default="dedup_removed", help="field for --annotate (default "
                                                                         "dedup_removed)")
    clean.set_defaults(run=_clean)

    stats = commands.add_parser("stats", formatter_class=_HelpFormatter,
                                help="print duplicate rates, boilerplate and repeated blocks",
                                description="Print duplicate rates, the paragraphs found in most documents "
                                            "(boilerplate) and blocks repeated inside documents.")
    _corpus_options(stats)
    stats.add_argument("--min-documents", type=int, default=3, help="boilerplate: found in at least this many "
                                                                    "documents (default 3)")
    stats.add_argument("--top", type=int, default=20, help="rows per table (default 20)")
    stats.add_argument("--json", action="store_true", help="print JSON instead of text")
    stats.set_defaults(run=_stats)

    report = commands.add_parser("report", formatter_class=_HelpFormatter,
                                 help="write a self-contained HTML report",
                                 description="Write one HTML page: summary, largest clusters side by side with "
                                             "differences marked, boilerplate, and the LSH S-curve.")
    _corpus_options(report, index=None)
    report.add_argument("-o", "--output", type=Path, required=True, help="HTML file to write")
    report.add_argument("--clusters", type=int, default=20, help="largest clusters to show (default 20)")
    report.add_argument("--min-documents", type=int, default=3, help="boilerplate: found in at least this many "
                                                                     "documents (default 3)")
    report.add_argument("--top", type=int, default=20, help="boilerplate rows (default 20)")
    report.set_defaults(run=_report)
    _index_parser(commands)
    return parser


def _index_parser(commands: Any) -> None:
    index = commands.add_parser("index", formatter_class=_HelpFormatter,
                                help="create, grow and inspect a persistent paragraph index",
                                description="A persistent index of the paragraphs kept so far (dedup.Index): "
                                            "find, clean and stats match new input against it with --index PATH.")
    actions = index.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", formatter_class=_HelpFormatter, help="create an empty index",
                                description="Create an empty index with these matching options (fixed for its "
                                            "life: they decide what it holds).")
    create.add_argument("path", type=Path, metavar="PATH", help="the index directory to create")
    create.add_argument("--config", type=Path, metavar="TOML", help="read option defaults from this TOML file")
    _search_options(create)
    create.set_defaults(run=_index_create)
    add = actions.add_parser("add", formatter_class=_HelpFormatter, help="add a corpus to an index",
                             description="Add a corpus to an index; print what of it repeats the index or "
                                         "itself. Ids (--id-field) must be new to the index.")
    add.add_argument("path", type=Path, metavar="PATH", help="the index")
    _corpus_options(add, index=None)
    add.set_defaults(run=_index_add)
    info = actions.add_parser("info", help="print an index's counts, sizes and options")
    info.add_argument("path", type=Path, metavar="PATH", help="the index")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    info.set_defaults(run=_index_info)
    remove = actions.add_parser("remove", help="forget documents by id")
    remove.add_argument("path", type=Path, metavar="PATH", help="the index")
    remove.add_argument("ids", nargs="+", metavar="ID", help="document ids (an id of digits matches the number "
                                                             "too, as a line number id is one)")
    remove.set_defaults(run=_index_remove)
    compact = actions.add_parser("compact", help="merge an index's segments into one")
    compact.add_argument("path", type=Path, metavar="PATH", help="the index")
    compact.set_defaults(run=_index_compact)
    merge = actions.add_parser("merge", help="join indexes built apart into a new one")
    merge.add_argument("output", type=Path, metavar="OUTPUT", help="the new index directory")
    merge.add_argument("sources", nargs="+", type=Path, metavar="INDEX", help="indexes, in order")
    merge.set_defaults(run=_index_merge)
    for parser in (info, remove, compact, merge):
        parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def _config_file_defaults(argv: list[str], parser: argparse.ArgumentParser) -> set[str]:
    """Set the command's option defaults from ``--config FILE``, checked against
    its options; the options it set."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("command", nargs="?")
    pre.add_argument("--config", type=Path)
    known, _ = pre.parse_known_args(argv)
    if known.config is None:
        return set()
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        values = tomllib.loads(known.config.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read config file {known.config}: {error.strerror}") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"config file {known.config}: {error}") from error
    command = parser._subparsers._group_actions[0].choices.get(known.command)  # noqa: SLF001
    if known.command == "index":  # dedup index ACTION: the action's options
        action = next((word for word in argv[argv.index("index") + 1 :] if not word.startswith("-")), None)
        command = command._subparsers._group_actions[0].choices.get(action)  # noqa: SLF001
        if command is None or "config" not in {a.dest for a in command._actions}:  # noqa: SLF001
            raise UsageError("--config is read by dedup index create and dedup index add only")
    valid = {a.dest for a in command._actions} - {"help", "inputs", "config", "output", "run", "path"}  # noqa: SLF001
    defaults = {key.replace("-", "_"): value for key, value in values.items()}
    unknown = sorted(set(defaults) - valid)
    if unknown:
        raise UsageError(f"config file {known.config}: unknown option(s) {unknown}; "
                         f"valid for '{known.command}': {sorted(valid)}")
    command.set_defaults(**defaults)
    return set(defaults)


def _dedup_config(args: argparse.Namespace) -> DedupConfig:
    options = {name: getattr(args, dest) for dest, name in _CONFIG_FIELDS.items() if getattr(args, dest) is not None}
    try:
        return DedupConfig.from_options(None, **options)
    except OptionError as error:
        raise UsageError(_option_message(args, error)) from error


def _option_message(args: argparse.Namespace, error: OptionError) -> str:
    """``error`` in the terms the user set: the flags, or the keys of the --config file."""
    dest = {name: dest for dest, name in _CONFIG_FIELDS.items()}

    def named(name: str) -> str:
        key = dest[name]
        flag = "--" + key.replace("_", "-")
        return f"{key} in {args.config}" if key in args.from_config and flag not in args.argv else flag

    def given(name: str) -> str:
        return f"{named(name)} {getattr(args, dest[name])}"

    if error.expected == "both None or both set":
        alone = next(name for name in error.names if getattr(args, dest[name]) is not None)
        return f"{' and '.join(map(named, error.names))} must be given together; got {given(alone)} alone"
    expected = error.expected.replace("None or ", "")
    for name in dest:
        expected = expected.replace(name, named(name))
    if len(error.names) > 1:
        return f"{' times '.join(map(named, error.names))} must be {expected}; got {', '.join(map(given, error.names))}"
    return f"{named(error.names[0])} must be {expected}; got {getattr(args, dest[error.names[0]])}"


# ----------------------------------------------------------------------------- the search


def _progress(args: argparse.Namespace, items: Iterable, description: str, total: int | None = None) -> Iterator:
    """``items``, counted on a progress bar on stderr (off with --quiet or when stderr is no terminal)."""
    if args.quiet:
        yield from items
        return
    from tqdm import tqdm

    # No monitor thread: worker processes are forked, which threads make unsafe.
    tqdm.monitor_interval = 0
    bar = tqdm(items, desc=description, total=total, unit=" docs", file=sys.stderr, disable=None,
               mininterval=0.5, leave=False)
    try:
        yield from bar
    finally:
        bar.close()


@dataclass
class Documents:
    """Where each document of the corpus came from, by position: file, line and id."""

    sources: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    ids: list = field(default_factory=list)

    def collect(self, records: Iterable[Record]) -> Iterator[Record]:
        for record in records:
            self.sources.append(record.source)
            self.lines.append(record.line)
            self.ids.append(record.id)
            yield record

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Search:
    """A corpus, what was found in it, and the records skipped on the way."""

    args: argparse.Namespace
    corpus: Corpus
    report: Report
    documents: Documents
    skipped: list[InputError]
    targets: list[Path]
    commit: Callable[[], None] | None = None  # adds the input to the index (--index with --add)

    def located(self, position: int) -> dict[str, Any]:
        """Where the document at ``position`` of the report's documents is: file, line and id, or the
        index and id of an indexed one."""
        searched = position - self.report.indexed_documents
        if searched < 0:
            return {"file": None, "line": None, "index": str(self.args.index), "id": self.report.ids[position]}
        return {"file": self.corpus.sources[self.documents.sources[searched]].where,
                "line": self.documents.lines[searched], "id": self.documents.ids[searched]}

    def member(self, member: Member, exact: bool) -> dict[str, Any]:
        return {**self.located(self.report.position(member.document) + self.report.indexed_documents),
                "paragraph": member.paragraph, "start": member.start, "end": member.end,
                "jaccard": member.jaccard, "exact": exact, "numbers_differ": member.numbers_differ}

    def texts(self, description: str) -> Iterator[str]:
        """The texts again, in order (bad records skipped silently: they were counted)."""
        return _progress(self.args, (r.text for r in self.corpus.records()), description, len(self.documents))

    def passages(self, rows: Iterable[int], limit: int | None = None) -> dict[int, str]:
        """The text of paragraphs ``rows``, read again (at most ``limit`` characters each); an indexed
        paragraph's is not kept, and says so."""
        rows = np.unique(np.fromiter(rows, dtype=np.int64))
        p, offset = self.report.paragraphs, self.report.indexed_documents
        indexed = p.doc[rows] < offset
        searched = Paragraphs(p.doc - offset, p.index, p.start, p.end)
        texts = paragraph_texts(self.texts("quoting"), searched, rows[~indexed])
        quoted = {int(row): text[:limit] for row, text in zip(rows[~indexed].tolist(), texts)}
        quoted.update((int(row), "(in the index, which keeps no text)") for row in rows[indexed].tolist())
        return quoted


def _search(args: argparse.Namespace, outputs: Callable[[Corpus], list[Path]] = lambda corpus: []) -> Search:
    """The corpus ``args`` name, searched; its ``outputs`` (paths, given the
    corpus) are checked before the search starts."""
    config = _dedup_config(args)
    if args.inputs.count(STANDARD) > 1:
        raise UsageError("standard input (-) can be given once")
    spooled, inputs = {}, []  # spool file -> the pipe the user named
    for given in args.inputs:
        if given == STANDARD or is_stream(given):
            spool = _spooled(args, given, len(spooled))
            spooled[spool], given = given, spool
        inputs.append(given)
    try:
        corpus = open_corpus(inputs, format=args.format, text_field=args.text_field, id_field=args.id_field,
                             on_error=args.on_error)
    except ValueError as error:
        if isinstance(error, InputError):
            raise
        raise UsageError(str(error)) from error
    corpus = replace(corpus, sources=tuple(_as_given(source, spooled.get(source.path)) for source in corpus.sources))
    if any(source.format == "parquet" for source in corpus.sources):
        try:
            import pyarrow  # noqa: F401
        except ImportError as error:
            raise UsageError("reading Parquet needs pyarrow: pip install 'paradedup[parquet]'") from error
    targets = outputs(corpus)
    _check_outputs(corpus, targets)
    documents, skipped, passes = Documents(), [], []

    def open_texts() -> Iterator[str]:
        passes.append(1)
        if len(passes) == 1:
            records = documents.collect(corpus.records(skipped))
            return _progress(args, (r.text for r in records), "reading")
        return _progress(args, (r.text for r in corpus.records()), "verifying", len(documents))

    if getattr(args, "index", None) is None:
        for flag in ("add", "index_only"):
            if getattr(args, flag, False):
                raise UsageError(f"--{flag.replace('_', '-')} needs an index: give it with --index PATH")
        report = find_duplicates_streaming(open_texts, config=config)
        return Search(args, corpus, report, documents, skipped, targets)
    records = _progress(args, documents.collect(corpus.records(skipped)), "reading")
    texts = [record.text for record in records]
    report, commit = _match_index(args, texts, documents.ids)
    return Search(args, corpus, report, documents, skipped, targets, commit)


def _open_index(args: argparse.Namespace, create: bool = False) -> Index:
    """The index at ``args.index`` (``args.path`` for dedup index), opened with the options given;
    ``UsageError`` for a missing one unless ``create``, another's lock, or options it was not built with."""
    path = getattr(args, "index", None) or args.path
    if not create and not path.exists():
        raise UsageError(f"no index at {path}; create one with: dedup index create {path}")
    if create and path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UsageError(f"{path} exists; dedup index create makes a new index")
    options = {name: getattr(args, dest) for dest, name in _CONFIG_FIELDS.items()
               if getattr(args, dest, None) is not None}
    if not create and not getattr(args, "add", True):
        options.pop("threshold", None)  # a query may raise the threshold
    try:
        return Index.open(path, **options)
    except OptionError as error:
        raise UsageError(f"{path}: {_option_message(args, error)}") from error
    except (IndexFormatError, IndexLockedError) as error:
        raise UsageError(str(error)) from error


def _match_index(args: argparse.Namespace, texts: list[str],
                 ids: list) -> tuple[Report, Callable[[], None] | None]:
    """The report of ``texts`` against the index, and with --add (or dedup index add) the function that adds
    them (``ids``) to it."""
    index = _open_index(args)
    try:
        if getattr(args, "add", True):
            if getattr(args, "index_only", False):
                raise UsageError("--index-only and --add do not go together: what is added is matched "
                                 "against itself too")
            return index.prepare_add(list(zip(ids, texts)))
        return index.query(texts, threshold=args.threshold, each_other=not args.index_only), None
    except OptionError as error:
        raise UsageError(f"{index.path}: {_option_message(args, error)}") from error
    except (TypeError, ValueError) as error:
        raise UsageError(f"adding to {index.path}: {error} (ids come from --id-field)") from error
    except IndexLockedError as error:
        raise UsageError(str(error)) from error


def _as_given(source: Source, given: Path | None) -> Source:
    """``source``, named as the pipe ``given`` it was spooled from (``None``: not spooled)."""
    if given is None:
        return source
    return replace(source, name="stdin", shown="<stdin>") if given == STANDARD else replace(
        source, name=given.name, shown=str(given))


def _spooled(args: argparse.Namespace, given: Path, number: int) -> Path:
    """A pipe (or standard input, ``-``) copied to a file of the run's own, read
    once: the corpus is read more than once. gzip and zstd are recognised by
    their first bytes; the format comes from the pipe's name or --format."""
    shown = "standard input (-)" if given == STANDARD else f"{given} (a pipe, read once)"
    kind = args.format if args.format != "auto" else format_of(given) if given != STANDARD else None
    if kind is None:
        raise UsageError(f"reading {shown} needs --format, one of {', '.join(FORMATS)}")
    try:
        stream = sys.stdin.buffer if given == STANDARD else open(given, "rb")
    except OSError as error:
        raise InputError(str(given), "unreadable file", f"cannot read: {error.strerror}") from error
    with stream:
        head = stream.read(4)
        path = args.spool / f"{number}{_FORMAT_SUFFIXES[kind]}{compression_of(head)}"
        with open(path, "wb") as spool:
            spool.write(head)
            shutil.copyfileobj(stream, spool)
    return path


def _accounting(search: Search) -> str:
    """Every input record accounted for: read, and skipped with reasons."""
    files = len(search.corpus.sources)
    line = f"{_count(len(search.documents), 'record')} from {_count(files, 'file')}"
    skipped = sum(error.records for error in search.skipped)
    if not skipped:
        return line + ", none skipped"
    kinds = Counter()
    for error in search.skipped:
        kinds[error.kind] += error.records
    reasons = ", ".join(f"{count:,} {kind}" for kind, count in kinds.most_common())
    return f"{line}; skipped {skipped:,} ({reasons}; first: {search.skipped[0]})"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'s' * (number != 1)}"


def _summary_lines(search: Search) -> list[str]:
    s, lsh = search.report.summary, search.report.lsh
    share = s.duplicate_paragraphs / s.paragraphs if s.paragraphs else 0.0
    return [
        _accounting(search),
        f"{_count(s.paragraphs, 'paragraph')}: {_count(s.duplicate_paragraphs, 'duplicate')} ({share:.1%}), "
        f"{s.exact_duplicates:,} exact and {s.near_duplicates:,} near, in {_count(s.clusters, 'cluster')}; "
        f"{_count(s.repeated_blocks, 'repeated block')} ({s.repeated_blocks_within_documents:,} inside one document)",
        f"{_count(s.documents_with_duplicates, 'document')} with duplicates; "
        f"{s.duplicate_characters:,} of {s.characters:,} characters in duplicates; "
        f"LSH {lsh.bands} bands x {lsh.rows} rows",
    ]


def _say(args: argparse.Namespace, *lines: str) -> None:
    """The summary, on standard output unless the result is written there."""
    if not args.quiet:
        print("\n".join(lines), file=sys.stderr if getattr(args, "output", None) == STANDARD else sys.stdout)


def _check_outputs(corpus: Corpus, outputs: Iterable[Path]) -> None:
    """Refuse, before any work, outputs that could not be written or would overwrite an input."""
    inputs = {os.path.realpath(source.path) for source in corpus.sources}
    for output in outputs:
        if output != STANDARD and os.path.realpath(output) in inputs:
            raise UsageError(f"refusing to overwrite input file {output}")
        try:
            check_output(output)
        except ValueError as error:
            raise UsageError(str(error)) from error


# ----------------------------------------------------------------------------- find


def _find(args: argparse.Namespace) -> int:
    search = _search(args, lambda corpus: [args.output])
    report, documents, p = search.report, search.documents, search.report.paragraphs
    files = [source.where for source in search.corpus.sources]
    # Columns as Python lists once, rather than an object per member: clusters can hold millions.
    columns = zip(p.doc.tolist(), p.index.tolist(), p.start.tolist(), p.end.tolist(), report.jaccard.tolist(),
                  report.exact.tolist(), report.numbers_differ.tolist())
    k = report.indexed_documents
    rows = [({"file": files[documents.sources[d - k]], "line": documents.lines[d - k], "id": documents.ids[d - k]}
             if d >= k else search.located(d)) | {"paragraph": i, "start": s, "end": e, "jaccard": j, "exact": x,
                                                  "numbers_differ": n}
            if in_cluster else None
            for (d, i, s, e, j, x, n), in_cluster in zip(columns, _in_clusters(report).tolist())]
    with AtomicOutputs() as outputs, open_output(outputs.temporary(args.output), args.output) as stream:
        for number, group in enumerate(report.cluster_rows):
            members = [rows[r] for r in group.tolist()]
            stream.write(json_line({"cluster": number, "size": len(group), "members": members}))
    _say(args, *_summary_lines(search), f"wrote {_count(len(report.cluster_rows), 'cluster')} to {args.output}",
         *_committed(search))
    return 0


def _committed(search: Search) -> list[str]:
    """Add the input to the index if asked (after the outputs are in place); the line that says so."""
    if search.commit is None:
        return []
    search.commit()
    return [f"added {_count(len(search.documents), 'document')} to the index {search.args.index}"]


def _in_clusters(report: Report) -> np.ndarray:
    member = np.zeros(len(report.paragraphs), dtype=bool)
    if report.cluster_rows:
        member[np.concatenate(report.cluster_rows)] = True
    return member


# ----------------------------------------------------------------------------- clean


def _clean_targets(args: argparse.Namespace, corpus: Corpus) -> list[Path]:
    """Output path of each source: the output itself for one input file, else mirrored under it."""
    single = len(args.inputs) == 1 and not args.inputs[0].is_dir()
    if single:
        targets = [args.output] * len(corpus.sources)
        source = corpus.sources[0] if corpus.sources else None
        if (source and source.format not in ("text", None) and not written_in_place(args.output)
                and format_of(args.output) != source.format):
            raise UsageError(f"output {args.output} must be {source.format}, like its input {source.where}")
    else:
        if args.output == STANDARD:
            raise UsageError("several inputs, or a directory, are written to a directory, not to standard output")
        if args.output.exists() and not args.output.is_dir():
            raise UsageError(f"several inputs need a directory for --output; {args.output} is a file")
        targets = [args.output / source.name for source in corpus.sources]
        clashes = [t for t, n in Counter(targets).items() if n > 1]
        if clashes:
            raise UsageError(f"two inputs would be written to {clashes[0]}; give inputs with distinct names")
    if args.annotate and any(s.format == "text" for s in corpus.sources):
        raise UsageError("--annotate adds a field: it needs JSONL, JSON, CSV, TSV or Parquet input, not text files")
    return targets


def _schema(source: Source) -> Any:
    """What a writer of ``source``'s format needs of it: a Parquet schema, a CSV or TSV header."""
    if source.format == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(source.path).schema_arrow
    return delimited_header(source) if source.format in DELIMITERS else None


def _clean(args: argparse.Namespace) -> int:
    search = _search(args, partial(_clean_targets, args))
    corpus, report, targets = search.corpus, search.report, search.targets
    status: Counter = Counter()
    with AtomicOutputs() as outputs:
        def open_writer(index: int) -> RecordWriter:
            source, target = corpus.sources[index], targets[index]
            return record_writer(source.format, outputs.temporary(target), target,
                                 args.annotate_field if args.annotate else None, _schema(source))

        def finish(writer: RecordWriter) -> None:
            writer.close()
            if writer.format == "text" and not writer.written:  # a dropped or unreadable text file
                outputs.discard(writer.path)

        writer, opened = None, set()
        records = _progress(args, corpus.records(), "writing", len(search.documents))
        for first, batch in _record_batches(records):
            texts = [record.text for record in batch]
            cleaned = texts if args.annotate else report.cleaned_batch(first, texts)
            removed, counts = report.removed_spans(first, len(batch)), report.paragraph_counts(first, len(batch))
            for record, text, spans, count in zip(batch, cleaned, removed, counts):
                if record.source not in opened:
                    if writer is not None:
                        finish(writer)
                    writer = open_writer(record.source)
                    opened.add(record.source)
                status[_write_cleaned(args, writer, record, text, spans, count)] += 1
        if writer is not None:
            finish(writer)
        for index in sorted(set(range(len(targets))) - opened):  # files with no record still get their output
            if corpus.sources[index].format is not None:  # else skipped: nothing could be read
                finish(open_writer(index))
    skipped = sum(error.records for error in search.skipped)
    changed = status["cleaned"] + status["empty"]
    empty = f" ({status['empty']:,} of them left empty, {'dropped' if args.drop_empty else 'written'})" * (
        status["empty"] > 0)
    written = len(search.documents) - status["empty"] * args.drop_empty
    _say(args, *_summary_lines(search),
         f"records: {status['kept']:,} kept as they were, {changed:,} "
         f"{'annotated' if args.annotate else 'cleaned'}{empty}, {skipped:,} skipped; "
         f"wrote {written:,} to {args.output}", *_committed(search))
    return 0


def _record_batches(records: Iterable[Record]) -> Iterator[tuple[int, list[Record]]]:
    """``(position of the first, records)`` of consecutive batches of about
    ``BATCH_CHARS`` characters: their texts are cleaned and checked together."""
    batch, chars, first = [], 0, 0
    for record in records:
        batch.append(record)
        chars += len(record.text)
        if chars >= BATCH_CHARS or len(batch) >= _BATCH_RECORDS:
            yield first, batch
            first += len(batch)
            batch, chars = [], 0
    if batch:
        yield first, batch


def _write_cleaned(args: argparse.Namespace, writer: RecordWriter, record: Record, cleaned: str,
                   removed: list[list[int]], paragraphs: int) -> str:
    """Write one record, cleaned (or annotated; ``removed``: the spans of its
    duplicate paragraphs, of its ``paragraphs``); what became of it: ``"kept"``
    as it was, ``"cleaned"``, or ``"empty"`` (every paragraph removed)."""
    if not removed:
        writer.write(record, None, [], args.text_field)
        return "kept"
    outcome = "empty" if len(removed) == paragraphs else "cleaned"
    if outcome == "empty" and args.drop_empty:
        return outcome
    writer.write(record, None if args.annotate else cleaned, removed, args.text_field)
    return outcome


# ----------------------------------------------------------------------------- stats and report


def _statistics(search: Search, min_documents: int, top: int,
                quoted: Iterable[int] = ()) -> tuple[dict[str, Any], dict[int, str]]:
    """Figures, boilerplate and repeated blocks with the passages they quote, and
    the passages of rows ``quoted`` too: one more read of the corpus for all."""
    report = search.report
    every_boilerplate = report.boilerplate(min_documents)
    boilerplate = every_boilerplate[:top]
    inside = [b for b in report.repeated_blocks if b.document == b.source_document]
    blocks = sorted(inside, key=lambda b: (-b.paragraphs, b.document, b.first_paragraph))[:top]
    first_rows = [report.row(b.representative) for b in boilerplate]
    block_rows = [report.row(_block_member(b)) for b in blocks]
    passages = search.passages([*first_rows, *block_rows, *quoted], limit=3000)
    stats = {
        "records": len(search.documents),
        "skipped": {kind: sum(e.records for e in search.skipped if e.kind == kind)
                    for kind in sorted({e.kind for e in search.skipped})},
        "summary": asdict(report.summary),
        "lsh": {"bands": report.lsh.bands, "rows": report.lsh.rows,
                "recall_at_threshold": report.lsh.recall_at_threshold},
        "removed_by_choice": None if search.commit is not None or getattr(search.args, "index", None)
        else report.removed_by_choice(),
        "min_documents": min_documents,
        "boilerplate_paragraphs": len(every_boilerplate),
        "repeated_blocks_inside_documents": len(inside),
        "boilerplate": [{"documents": b.documents, "occurrences": b.occurrences,
                         **search.member(b.representative, True), "text": passages[row][:400]}
                        for b, row in zip(boilerplate, first_rows)],
        "blocks": [{"paragraphs": b.paragraphs, **search.member(_block_member(b), True),
                    "source_paragraph": b.source_first_paragraph, "first_text": passages[row][:400]}
                   for b, row in zip(blocks, block_rows)],
    }
    return stats, passages


def _shown(count: int, listed: int, which: str) -> str:
    """``count``, and which of them are listed when not all are."""
    return f"{count:,}" + f" (the {listed:,} {which} below)" * (listed < count)


def _block_member(block: RepeatedBlock) -> Member:
    return Member(block.document, block.first_paragraph, block.start, block.end, 1.0)


def _one_line(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _stats(args: argparse.Namespace) -> int:
    search = _search(args)
    stats, _ = _statistics(search, args.min_documents, args.top)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
        return 0
    s = search.report.summary
    choice = stats["removed_by_choice"]
    lines = [*_summary_lines(search), *_committed(search), "",
             f"documents with duplicates: {s.documents_with_duplicates / max(s.documents, 1):.1%}; "
             f"characters in duplicates: {s.duplicate_characters / max(s.characters, 1):.1%}", ""]
    if choice is not None:  # not for a search of an index, whose choices are fixed
        lines += ["Paragraphs each choice would remove:",
                  f"  --scope all {choice['all']:,}, across (repeats of another document) {choice['across']:,}, "
                  f"within (repeats inside one document) {choice['within']:,}",
                  f"  of the {s.duplicate_paragraphs:,} removed now: {choice['shorter than 5']:,} shorter than 5 "
                  f"tokens, {choice['shorter than 10']:,} shorter than 10, {choice['shorter than 20']:,} shorter "
                  f"than 20 (--keep-shorter-than N keeps them)", ""]
    lines += [f"Paragraphs found in >= {args.min_documents} documents (boilerplate): "
             f"{_shown(stats['boilerplate_paragraphs'], len(stats['boilerplate']), 'in most documents')}",
             f"  {'documents':>9}  {'times':>7}  paragraph"]
    lines += [f"  {b['documents']:>9,}  {b['occurrences']:>7,}  {_one_line(b['text'])}" for b in stats["boilerplate"]]
    lines += ["  (none)"] * (not stats["boilerplate"])
    lines += ["", f"Blocks repeated inside one document: "
                  f"{_shown(stats['repeated_blocks_inside_documents'], len(stats['blocks']), 'longest')}",
              f"  {'paragraphs':>10}  where"]
    lines += [f"  {b['paragraphs']:>10}  {b['file']}:{b['line']} paragraphs {b['paragraph']}-"
              f"{b['paragraph'] + b['paragraphs'] - 1} repeat {b['source_paragraph']}-"
              f"{b['source_paragraph'] + b['paragraphs'] - 1}: {_one_line(b['first_text'], 40)}"
              for b in stats["blocks"]]
    lines += ["  (none)"] * (not stats["blocks"])
    print("\n".join(lines))
    return 0


def _shown_clusters(report: Report, count: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """The ``count`` largest clusters holding near duplicates (the largest of all when none does):
    ``(cluster number, rows shown, all rows)``, the shown ones the first, five near and three exact copies."""
    groups = list(enumerate(report.cluster_rows))
    near = [(number, rows) for number, rows in groups if not report.exact[rows].all()]
    chosen = sorted(near or groups, key=lambda item: (-len(item[1]), item[0]))[:count]
    shown = []
    for number, rows in chosen:
        exact = report.exact[rows[1:]]
        shown.append((number, np.concatenate([rows[:1], rows[1:][~exact][:5], rows[1:][exact][:3]]), rows))
    return shown


def _report(args: argparse.Namespace) -> int:
    from .report.html import render

    search = _search(args, lambda corpus: [args.output])
    report = search.report
    shown = _shown_clusters(report, args.clusters)
    stats, passages = _statistics(search, args.min_documents, args.top,
                                  (r for _, rows, _ in shown for r in rows.tolist()))
    clusters = [{"id": number, "size": len(everyone), "exact": int(report.exact[everyone[1:]].sum()),
                 "members": [{**search.member(report.member(r), bool(report.exact[r])),
                              "text": passages[r]} for r in rows.tolist()]}
                for number, rows, everyone in shown]
    page = render(stats, clusters, report.config, report.lsh, [str(p) for p in args.inputs],
                  _summary_lines(search)[0])
    with AtomicOutputs() as outputs:
        # A lone surrogate becomes a character reference, which browsers show as U+FFFD.
        outputs.temporary(args.output).write_text(page, encoding="utf-8", errors="xmlcharrefreplace")
    _say(args, *_summary_lines(search), f"wrote the report to {args.output}")
    return 0


# ----------------------------------------------------------------------------- index


def _index_lines(index: Index) -> list[str]:
    info = index.info()
    return [f"{index.path}: {_count(info['documents'], 'document')}, {_count(info['paragraphs'], 'paragraph')} "
            f"({info['distinct_paragraphs']:,} distinct texts, {info['kept_paragraphs']:,} kept), "
            f"{_count(info['segments'], 'segment')}, {info['bytes'] / 1e6:,.1f} MB"]


def _index_create(args: argparse.Namespace) -> int:
    with _open_index(args, create=True) as index:
        _say(args, f"created {index.path}: threshold {index.config.threshold}, LSH {index.config.bands} bands x "
                   f"{index.config.rows} rows")
    return 0


def _index_add(args: argparse.Namespace) -> int:
    args.index, args.add = args.path, True
    search = _search(args)
    search.commit()
    with _open_index(args) as index:
        _say(args, *_summary_lines(search), f"added {_count(len(search.documents), 'document')}",
             *_index_lines(index))
    return 0


def _index_info(args: argparse.Namespace) -> int:
    index = _open_index(args)
    if args.json:
        print(json.dumps(index.info(), indent=2))
        return 0
    config = ", ".join(f"{name}={value}" for name, value in index.info()["config"].items())
    print("\n".join([*_index_lines(index), f"options: {config}"]))
    return 0


def _index_remove(args: argparse.Namespace) -> int:
    with _open_index(args) as index:
        wanted = [int(doc_id) if doc_id.isdigit() and doc_id not in index else doc_id for doc_id in args.ids]
        try:
            removed = index.remove(wanted)
        except KeyError as error:
            raise UsageError(f"{index.path}: {error.args[0]}; nothing removed") from error
        _say(args, f"removed {_count(removed, 'document')}", *_index_lines(index))
    return 0


def _index_compact(args: argparse.Namespace) -> int:
    with _open_index(args) as index:
        index.compact()
        _say(args, *_index_lines(index))
    return 0


def _index_merge(args: argparse.Namespace) -> int:
    if args.output.exists() and (not args.output.is_dir() or any(args.output.iterdir())):
        raise UsageError(f"{args.output} exists; dedup index merge writes a new index")
    try:
        with Index.merge(args.sources, args.output) as index:
            _say(args, *_index_lines(index))
    except OptionError as error:
        raise UsageError(f"indexes built with other options cannot be merged: {error}") from error
    except (IndexFormatError, IndexLockedError, ValueError) as error:
        raise UsageError(str(error)) from error
    return 0


# ----------------------------------------------------------------------------- entry point


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser()
    # SIGTERM unwinds like Ctrl-C, so that temporary outputs are removed.
    signal.signal(signal.SIGTERM, _interrupt)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            # A lone surrogate (JSON "\ud800") is printed as its escape, which is also valid JSON.
            stream.reconfigure(errors="backslashreplace")
    try:
        from_config = _config_file_defaults(argv, parser)
        args = parser.parse_args(argv)
        args.argv, args.from_config = argv, from_config
        if getattr(args, "output", None) == Path("/dev/stdout"):
            args.output = STANDARD  # so that the summary goes to standard error
        with tempfile.TemporaryDirectory(prefix="dedup-") as spool:
            args.spool = Path(spool)
            return args.run(args)
    except (UsageError, IndexFormatError, IndexLockedError) as error:
        print(f"dedup: error: {error}", file=sys.stderr)
        return 2
    except InputError as error:
        hint = "use --on-error skip to skip and count bad records"
        if error.kind == "missing text field":
            hint = f"--text-field names the field to read, or {hint}"
        print(f"dedup: bad input: {error} ({hint})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("dedup: interrupted; no output written", file=sys.stderr)
        return 130
    except OSError as error:  # reading inputs is InputError: this is an output that cannot be written
        if isinstance(error, BrokenPipeError):  # stdout closed early, as by `dedup stats ... | head`
            sys.stderr.close()
            return 0
        print(f"dedup: error: cannot write {error.filename or 'the output'}: {error.strerror or error}",
              file=sys.stderr)
        return 2


def entry_point() -> None:
    """The console script."""
    sys.exit(main())

