"""Last stage: remove duplicate paragraphs from texts, deleting and never adding.

A removed paragraph goes with one separator, so no gap is left behind:
between two kept paragraphs stands the line breaks of the strongest
separator (most line breaks) that stood anywhere between them, the earliest
on ties, and then the indentation of the later paragraph's own first line.
Keeping the strongest keeps the blank line that divided two blocks. Text
before the first paragraph (but for that paragraph's indentation) and after
the last is kept. Every character of the result is a character of the
input, in the input's order: cleaning only deletes.

The result is cut into exactly the kept paragraphs again, so cleaning is
idempotent and a second search finds nothing new. In modes ``"auto"`` and
``"wrapped"`` a block of lines that lost a paragraph can look different (its
widest line gone, say), and its kept paragraphs could be cut otherwise; each
such text is cut again (by :func:`dedup.segment.segment`, all of a batch at
once) and checked. Where a block's kept paragraphs would not come out as
they were, and only there, they are set apart by a blank line at the
boundaries between them, where the input had a paragraph boundary already;
a paragraph standing alone is cut into exactly itself (see
:mod:`dedup.segment`). ``benchmarks/clean_speed.py`` counts how often that
happens on real corpora.

Example
-------
>>> import numpy as np
>>> from dedup.clean import remove_paragraphs
>>> text = "A.\\nB.\\nB.\\n\\nC.\\n"
>>> spans = np.array([[0, 2], [3, 5], [6, 8], [10, 12]])
>>> remove_paragraphs(text, spans, np.array([False, False, True, False]))
'A.\\nB.\\n\\nC.\\n'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .segment import LINE_BREAK, Paragraphs, segment, separator_breaks

__all__ = ["clean_texts", "remove_paragraphs"]

# Modes whose cut of a block depends on all its lines; in the others a block,
# or a line, is a paragraph whatever its neighbours.
_RECUTTING_MODES = ("auto", "wrapped")


def _indent(separator: str) -> str:
    """What follows the last line break of ``separator`` (all of it if none): the indentation of the next line."""
    breaks = [match.end() for match in LINE_BREAK.finditer(separator)]
    return separator[breaks[-1] if breaks else 0 :]


def _head(separator: str) -> str:
    return separator[: len(separator) - len(_indent(separator))]


def _blank_line(separator: str) -> str:
    """``separator`` with its first line break doubled."""
    first = LINE_BREAK.search(separator)
    return separator[: first.end()] + first.group() + separator[first.end() :]


@dataclass
class _Cleaned:
    """A text with some paragraphs removed: its pieces (separator, paragraph, ...,
    the rest), where its kept paragraphs are, and the block of each."""

    pieces: list[str]
    kept: list[tuple[int, int]]
    blocks: list[int]
    recut: bool  # a block of several paragraphs lost one: the cut may change

    @property
    def text(self) -> str:
        return "".join(self.pieces)


def _cleaned(text: str, spans: list[list[int]], drop: list[bool], apart: set[int] = frozenset()) -> _Cleaned:
    """``text`` without the paragraphs ``spans[k]`` where ``drop[k]``; the kept
    paragraphs of blocks ``apart`` set apart by blank lines."""
    separators = [text[: spans[0][0]]] + [text[a[1] : b[0]] for a, b in zip(spans[:-1], spans[1:])]
    breaks = [separator_breaks(s) for s in separators]
    block_of = np.cumsum([k == 0 or b >= 2 for k, b in enumerate(breaks)]).tolist()
    lost = {block for block, dropped in zip(block_of, drop) if dropped}
    pieces: list[str] = []
    kept: list[tuple[int, int]] = []
    blocks: list[int] = []
    length, pending, recut = 0, None, False
    for k, ((start, end), separator, block) in enumerate(zip(spans, separators, block_of)):
        if drop[k]:
            if kept and (pending is None or breaks[k] > breaks[pending]):
                pending = k
            continue
        if not kept and k:  # the first kept paragraph: the text's start, its own indentation
            separator = _head(separators[0]) + _indent(separator)
        elif pending is not None and breaks[pending] > breaks[k]:
            separator = _head(separators[pending]) + _indent(separator)
        if kept and blocks[-1] == block:
            recut |= block in lost
            if block in apart and separator_breaks(separator) < 2:
                separator = _blank_line(separator)
        length += len(separator)
        pieces += [separator, text[start:end]]
        kept.append((length, length + end - start))
        blocks.append(block)
        length += end - start
        pending = None
    pieces.append(text[spans[-1][1] :] if kept else text[: spans[0][0]] + text[spans[-1][1] :])
    return _Cleaned(pieces, kept, blocks, recut)


def _blocks_cut_otherwise(cleaned: _Cleaned, cut: np.ndarray) -> set[int]:
    """Blocks some of whose kept paragraphs are not among the spans ``cut`` of the cleaned text."""
    found = set(map(tuple, cut.tolist()))
    return {block for span, block in zip(cleaned.kept, cleaned.blocks) if span not in found}


def clean_texts(texts: Sequence[str], paragraphs: Paragraphs, drop: np.ndarray, mode: str = "auto") -> list[str]:
    """Each of ``texts`` without its paragraphs (rows of ``paragraphs``, whose
    ``doc`` is the position in ``texts``) marked in ``drop``, cut by ``mode``."""
    bounds = np.searchsorted(paragraphs.doc, np.arange(len(texts) + 1))
    spans = np.stack([paragraphs.start, paragraphs.end], axis=1)
    out = list(texts)
    checked: list[tuple[int, _Cleaned]] = []
    for position in np.flatnonzero(np.bincount(paragraphs.doc[drop], minlength=len(texts))).tolist():
        a, b = bounds[position], bounds[position + 1]
        cleaned = _cleaned(texts[position], spans[a:b].tolist(), drop[a:b].tolist())
        out[position] = cleaned.text
        if cleaned.recut and mode in _RECUTTING_MODES:
            checked.append((position, cleaned))
    if checked:
        cut = segment([out[position] for position, _ in checked], mode)
        cut_bounds = np.searchsorted(cut.doc, np.arange(len(checked) + 1))
        for k, (position, cleaned) in enumerate(checked):
            a, b = cut_bounds[k], cut_bounds[k + 1]
            otherwise = _blocks_cut_otherwise(cleaned, np.stack([cut.start[a:b], cut.end[a:b]], axis=1))
            if otherwise:
                first, last = bounds[position], bounds[position + 1]
                out[position] = _cleaned(texts[position], spans[first:last].tolist(), drop[first:last].tolist(),
                                         otherwise).text
    return out


def remove_paragraphs(text: str, spans: np.ndarray, drop: np.ndarray, mode: str = "auto") -> str:
    """``text`` without the paragraphs ``spans[k]`` where ``drop[k]``, cut by ``mode``."""
    spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    paragraphs = Paragraphs(np.zeros(len(spans), dtype=np.int64), np.arange(len(spans)), spans[:, 0], spans[:, 1])
    return clean_texts([text], paragraphs, np.asarray(drop, dtype=bool), mode)[0]
