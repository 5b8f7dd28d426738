"""Results: clusters, duplicate spans, repeated blocks, summary and exports."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..config import SCOPES, DedupConfig
from ..stages.lsh import LSHParams
from ..stages.segment import Paragraphs
from .clean import clean_texts

__all__ = ["Member", "Cluster", "RepeatedBlock", "Boilerplate", "Summary", "Report"]


@dataclass(frozen=True)
class Member:
    """One paragraph of a cluster: ``text[start:end]`` of document ``document``.

    ``jaccard`` is the exact Jaccard similarity of its shingle set to the
    representative's (1.0 for the representative and for exact copies);
    ``numbers_differ``, that its numbers are not the representative's (a
    near-duplicate that may state other facts).
    """

    document: Hashable
    paragraph: int
    start: int
    end: int
    jaccard: float
    numbers_differ: bool = False


@dataclass(frozen=True)
class Cluster:
    """A kept paragraph (first) and the paragraphs removed in its place, each at
    or above the threshold to it."""

    id: int
    members: tuple[Member, ...]

    @property
    def representative(self) -> Member:
        return self.members[0]

    @property
    def duplicates(self) -> tuple[Member, ...]:
        return self.members[1:]

    def __len__(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class RepeatedBlock:
    """A maximal run of >= 2 consecutive duplicate paragraphs repeating a run elsewhere.

    Paragraphs ``first_paragraph .. first_paragraph + paragraphs - 1`` of
    ``document`` (characters ``start:end``) repeat, one for one, the paragraphs
    starting at ``source_first_paragraph`` of ``source_document``
    (characters ``source_start:source_end``).
    """

    document: Hashable
    first_paragraph: int
    paragraphs: int
    start: int
    end: int
    source_document: Hashable
    source_first_paragraph: int
    source_start: int
    source_end: int


@dataclass(frozen=True)
class Boilerplate:
    """A paragraph that recurs, exactly or nearly, in ``documents`` documents, ``occurrences`` times in all."""

    representative: Member
    documents: int
    occurrences: int


@dataclass(frozen=True)
class Summary:
    """Counts over the whole corpus."""

    documents: int
    paragraphs: int
    duplicate_paragraphs: int
    exact_duplicates: int
    near_duplicates: int
    clusters: int
    repeated_blocks: int
    repeated_blocks_within_documents: int
    documents_with_duplicates: int
    characters: int
    duplicate_characters: int


class Report:
    """What :func:`dedup.find_duplicates` found.

    Paragraph-level arrays (one entry per paragraph, in document then paragraph
    order) are public for vectorised use: ``paragraphs`` (document position,
    index, span), ``representative`` (row of the paragraph kept in its place,
    the earliest kept paragraph it repeats, see :mod:`dedup.stages.cluster`; a
    paragraph is a duplicate when this is not itself), ``jaccard`` (to the
    representative, always at or above the threshold), ``exact`` (same
    normalised text as the representative), ``numbers_differ`` (a near
    duplicate whose numbers are not the representative's, see
    :class:`~dedup.config.DedupConfig` ``numbers_must_match``) and ``tokens``
    (its number of tokens).

    A report of :func:`dedup.find_duplicates_streaming` holds no text:
    :meth:`text` and :meth:`cleaned_texts` then raise ``ValueError``, and
    :meth:`cleaned_text` cleans one text at a time as it is read again.

    A report of :meth:`dedup.Index.add` or :meth:`~dedup.Index.query` names
    indexed paragraphs too: its first ``indexed_documents`` documents (of
    ``ids``) are the indexed documents holding a paragraph kept in the place
    of one of the new, with those paragraphs only. They have no text and
    are never duplicates; positions (of :meth:`cleaned_text`,
    :meth:`removed_spans`, ...) and the :attr:`summary` count the new
    documents only.
    """

    def __init__(self, *, config: DedupConfig, lsh: LSHParams, ids: Sequence, texts: Sequence[str] | None,
                 paragraphs: Paragraphs, representative: np.ndarray, jaccard: np.ndarray,
                 exact: np.ndarray, numbers_differ: np.ndarray, tokens: np.ndarray,
                 decide: Callable[[str, int], np.ndarray] | None = None, indexed_documents: int = 0) -> None:
        self.config = config
        self.lsh = lsh
        self.ids = ids
        self._texts = texts
        self.paragraphs = paragraphs
        self.representative = representative
        self.jaccard = jaccard
        self.exact = exact
        self.numbers_differ = numbers_differ
        self.tokens = tokens
        self._decide = decide
        self.indexed_documents = indexed_documents

    def removed_by_choice(self) -> dict[str, int]:
        """How many paragraphs each choice of :class:`~dedup.config.DedupConfig`
        ``scope`` would remove (with this report's ``keep_shorter_than``), and
        how many of those removed here are shorter than 5, 10 and 20 tokens
        (what ``keep_shorter_than`` would keep): ``{"all": n, "across": n,
        "within": n, "shorter than 5": n, ...}``."""
        if self._decide is None:
            raise ValueError("this report cannot compare choices: it was not made by a search")
        rows = np.arange(len(self.paragraphs))
        counts = {scope: int((self._decide(scope, self.config.keep_shorter_than) != rows).sum())
                  for scope in SCOPES}
        for tokens in (5, 10, 20):
            counts[f"shorter than {tokens}"] = int((self.is_duplicate & (self.tokens < tokens)).sum())
        return counts

    @cached_property
    def is_duplicate(self) -> np.ndarray:
        """Boolean per paragraph: it repeats an earlier paragraph."""
        return self.representative != np.arange(len(self.paragraphs))

    def member(self, row: int) -> Member:
        """The paragraph at ``row`` of the paragraph-level arrays, as a cluster member."""
        p = self.paragraphs
        return Member(self.ids[p.doc[row]], int(p.index[row]), int(p.start[row]), int(p.end[row]),
                      float(self.jaccard[row]), bool(self.numbers_differ[row]))

    @cached_property
    def cluster_rows(self) -> list[np.ndarray]:
        """The rows of each cluster of two or more paragraphs, earliest first, ordered by representative."""
        sizes = np.bincount(self.representative, minlength=len(self.paragraphs))
        rows = np.flatnonzero(sizes[self.representative] >= 2)
        order = rows[np.argsort(self.representative[rows], kind="stable")]
        labels = self.representative[order]
        cuts = np.flatnonzero(labels[1:] != labels[:-1]) + 1
        return [group for group in np.split(order, cuts) if len(group)]

    @cached_property
    def clusters(self) -> list[Cluster]:
        """Clusters of two or more paragraphs, ordered by their representative."""
        return [Cluster(i, tuple(self.member(int(r)) for r in group)) for i, group in enumerate(self.cluster_rows)]

    def _require_texts(self) -> Sequence[str]:
        if self._texts is None:
            raise ValueError("this report was made from a stream and holds no text; "
                             "read the spans from the texts again (dedup.stages.segment.paragraph_texts)")
        return self._texts

    def text(self, member: Member | RepeatedBlock) -> str:
        """The characters a member or block covers."""
        position = self._position(member.document) - self.indexed_documents
        if position < 0:
            raise ValueError(f"document {member.document!r} is in the index, which keeps no text: "
                             "read it from your corpus (paragraph, start and end say where)")
        return self._require_texts()[position][member.start : member.end]

    def row(self, member: Member) -> int:
        """The row of a member in the paragraph-level arrays."""
        return int(self._document_bounds[self._position(member.document)]) + member.paragraph

    def position(self, document: Hashable) -> int:
        """The position of ``document`` among the documents searched; negative for an indexed one."""
        return self._position(document) - self.indexed_documents

    def _position(self, document: Hashable) -> int:
        return document if isinstance(self.ids, range) else self._positions[document]

    @cached_property
    def _positions(self) -> dict:
        # Of an indexed and a new document with one id, the new one: only it has text.
        return {doc_id: i for i, doc_id in enumerate(self.ids)}

    def boilerplate(self, min_documents: int = 2) -> list[Boilerplate]:
        """Clusters spread over ``min_documents`` documents or more, those in most documents first."""
        n = len(self.paragraphs)
        sizes = np.bincount(self.representative, minlength=n)
        rows = np.flatnonzero(sizes[self.representative] >= 2)
        pairs = np.unique(self.representative[rows] * np.int64(len(self.ids)) + self.paragraphs.doc[rows])
        labels, documents = np.unique(pairs // max(len(self.ids), 1), return_counts=True)
        keep = documents >= min_documents
        labels, documents = labels[keep], documents[keep]
        order = np.lexsort((labels, -documents))
        return [Boilerplate(self.member(int(labels[k])), int(documents[k]), int(sizes[labels[k]]))
                for k in order.tolist()]

    @cached_property
    def duplicate_spans(self) -> dict[Hashable, list[tuple[int, int]]]:
        """For each document with duplicates, the ``(start, end)`` spans to remove."""
        p, spans = self.paragraphs, {}
        for row in np.flatnonzero(self.is_duplicate).tolist():
            spans.setdefault(self.ids[p.doc[row]], []).append((int(p.start[row]), int(p.end[row])))
        return spans

    @cached_property
    def repeated_blocks(self) -> list[RepeatedBlock]:
        """Maximal runs of consecutive duplicates whose representatives are consecutive too."""
        p, rep, dup = self.paragraphs, self.representative, self.is_duplicate
        continues = np.zeros(len(p), dtype=bool)
        continues[1:] = (dup[1:] & dup[:-1] & (p.doc[1:] == p.doc[:-1])
                         & (rep[1:] == rep[:-1] + 1) & (p.doc[rep[1:]] == p.doc[rep[:-1]]))
        blocks = []
        for first in np.flatnonzero(dup & ~continues).tolist():
            last = first
            while last + 1 < len(p) and continues[last + 1]:
                last += 1
            if last > first:
                source, source_last = int(rep[first]), int(rep[last])
                blocks.append(RepeatedBlock(
                    self.ids[p.doc[first]], int(p.index[first]), last - first + 1,
                    int(p.start[first]), int(p.end[last]), self.ids[p.doc[source]],
                    int(p.index[source]), int(p.start[source]), int(p.end[source_last])))
        return blocks

    @cached_property
    def summary(self) -> Summary:
        """Counts over the documents searched (not the indexed ones of a report of an index)."""
        new = slice(int(self._document_bounds[self.indexed_documents]), None)
        p, dup = self.paragraphs, self.is_duplicate
        lengths = (p.end - p.start)[new]
        dup, exact = dup[new], self.exact[new]
        rep, doc = self.representative[new], p.doc[new]
        return Summary(
            documents=len(self.ids) - self.indexed_documents,
            paragraphs=len(lengths),
            duplicate_paragraphs=int(dup.sum()),
            exact_duplicates=int((dup & exact).sum()),
            near_duplicates=int((dup & ~exact).sum()),
            clusters=len(np.unique(rep[dup])),
            repeated_blocks=len(self.repeated_blocks),
            repeated_blocks_within_documents=sum(b.document == b.source_document for b in self.repeated_blocks),
            documents_with_duplicates=len(np.unique(doc[dup])),
            characters=int(lengths.sum()),
            duplicate_characters=int(lengths[dup].sum()),
        )

    @cached_property
    def _document_bounds(self) -> np.ndarray:
        return np.searchsorted(self.paragraphs.doc, np.arange(len(self.ids) + 1))

    def paragraph_counts(self, first: int, count: int = 1) -> list[int]:
        """How many paragraphs each of the texts at positions ``first .. first + count - 1`` has."""
        first += self.indexed_documents
        return np.diff(self._document_bounds[first : first + count + 1]).tolist()

    def removed_spans(self, first: int, count: int = 1) -> list[list[list[int]]]:
        """The ``[start, end]`` spans of the duplicate paragraphs of each of the
        texts at positions ``first .. first + count - 1``: one call for a batch."""
        first += self.indexed_documents
        bounds = self._document_bounds[first : first + count + 1]
        rows = bounds[0] + np.flatnonzero(self.is_duplicate[bounds[0] : bounds[-1]])
        spans = np.stack([self.paragraphs.start[rows], self.paragraphs.end[rows]], axis=1).tolist()
        cuts = [0, *np.searchsorted(rows, bounds[1:-1]).tolist(), len(spans)]
        return [spans[a:b] for a, b in zip(cuts[:-1], cuts[1:])]

    def cleaned_text(self, position: int, text: str) -> str:
        """``text``, the text at ``position``, with its duplicate paragraphs removed (see :mod:`dedup.report.clean`)."""
        return self.cleaned_batch(position, [text])[0]

    def cleaned_batch(self, first: int, texts: Sequence[str]) -> list[str]:
        """``texts``, the texts at positions ``first, first + 1, ...``, with their
        duplicate paragraphs removed (see :mod:`dedup.report.clean`): the texts of a
        batch are cut again, to check them, all at once."""
        first += self.indexed_documents
        a, b = self._document_bounds[[first, first + len(texts)]]
        p = self.paragraphs
        rows = Paragraphs(p.doc[a:b] - first, p.index[a:b], p.start[a:b], p.end[a:b])
        return clean_texts(texts, rows, self.is_duplicate[a:b], self.config.segmentation)

    def cleaned_texts(self) -> list[str]:
        """Every text with its duplicate paragraphs removed (see :mod:`dedup.report.clean`)."""
        return self.cleaned_batch(0, self._require_texts())

    def to_records(self) -> list[dict[str, Any]]:
        """One flat record per cluster member, ready for ``pandas.DataFrame``."""
        return [{"cluster": c.id, "representative": i == 0, **asdict(m)}
                for c in self.clusters for i, m in enumerate(c.members)]

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready data."""
        return {
            "summary": asdict(self.summary),
            "lsh": {"bands": self.lsh.bands, "rows": self.lsh.rows,
                    "recall_at_threshold": self.lsh.recall_at_threshold},
            "config": asdict(self.config),
            "clusters": [{"id": c.id, "members": [asdict(m) for m in c.members]} for c in self.clusters],
            "repeated_blocks": [asdict(b) for b in self.repeated_blocks],
        }

    def to_json(self, **json_options: Any) -> str:
        """:meth:`to_dict` as a JSON string; options go to ``json.dumps``."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **json_options)

    def __repr__(self) -> str:
        s = self.summary
        return (f"<Report: {s.documents} documents, {s.paragraphs} paragraphs, "
                f"{s.duplicate_paragraphs} duplicates in {s.clusters} clusters, "
                f"{s.repeated_blocks} repeated blocks>")
