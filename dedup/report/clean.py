"""Last stage: remove duplicate paragraphs from texts, deleting and never adding.

A removed paragraph goes with one separator, so no gap is left behind:
between two kept paragraphs stands the line breaks of the strongest
separator (most line breaks) that stood anywhere between them, the earliest
on ties, and then the indentation of the later paragraph's own first line.
Keeping the strongest keeps the blank line that divided two blocks. Text
before the first paragraph (but for that paragraph's indentation) and after
the last is kept. Every character of the result is a character of the
input, in the input's order (but for the blank lines below, set only
between two kept paragraphs): cleaning deletes.

The result is cut into exactly the kept paragraphs again, so cleaning is
idempotent and a second search finds nothing new. In modes ``"auto"`` and
``"wrapped"`` a block of lines that lost a paragraph can look different (its
widest line gone, say), and its kept paragraphs could be cut otherwise; each
such block is cut again (by :func:`dedup.stages.segment.segment`, all of a batch at
once) and checked. Where kept paragraphs would not come out as they were,
and only there, a blank line sets them apart at the boundary between them,
where the input had a paragraph boundary already; one boundary at a time,
until the text is cut right (a paragraph standing alone is cut into exactly
itself, see :mod:`dedup.stages.segment`, so that always ends).
``benchmarks/clean_speed.py`` counts how often that happens on real corpora.

Example
-------
>>> import numpy as np
>>> from dedup.report.clean import remove_paragraphs
>>> text = "A.\\nB.\\nB.\\n\\nC.\\n"
>>> spans = np.array([[0, 2], [3, 5], [6, 8], [10, 12]])
>>> remove_paragraphs(text, spans, np.array([False, False, True, False]))
'A.\\nB.\\n\\nC.\\n'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from ..engines.local import BATCH_CHARS
from ..stages.arrays import chunk_bounds
from ..stages.segment import LINE_BREAK, Paragraphs, segment, separator_breaks, separator_breaks_of

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
    lost: set[int]  # blocks that lost a paragraph

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def recut(self) -> list[list[int]]:
        """The kept paragraphs (their numbers) of each block that lost a paragraph
        and keeps several: the blocks whose cut may have changed."""
        members: dict[int, list[int]] = {}
        for k, block in enumerate(self.blocks):
            if block in self.lost:
                members.setdefault(block, []).append(k)
        return [kept for kept in members.values() if len(kept) > 1]


def _separators(text: str, spans: list[list[int]]) -> list[str]:
    """What stands before each paragraph ``spans[k]`` of ``text``."""
    return [text[: spans[0][0]]] + [text[a[1] : b[0]] for a, b in zip(spans[:-1], spans[1:])]


def _cleaned(text: str, spans: list[list[int]], drop: list[bool], apart: set[int] = frozenset(),
             separators: list[str] | None = None, breaks: list[int] | None = None) -> _Cleaned:
    """``text`` without the paragraphs ``spans[k]`` where ``drop[k]``; the kept
    paragraphs numbered in ``apart`` (0 is the first kept) set apart from the
    kept paragraph before them by a blank line. ``separators`` (see
    :func:`_separators`) and their ``breaks``
    (:func:`~dedup.stages.segment.separator_breaks`), when known."""
    if separators is None:
        separators = _separators(text, spans)
        breaks = [separator_breaks(s) for s in separators]
    block_of = list(accumulate(k == 0 or b >= 2 for k, b in enumerate(breaks)))
    lost = {block for block, dropped in zip(block_of, drop) if dropped}
    pieces: list[str] = []
    kept: list[tuple[int, int]] = []
    blocks: list[int] = []
    length, pending = 0, None
    for k, ((start, end), separator, block) in enumerate(zip(spans, separators, block_of)):
        if drop[k]:
            if kept and (pending is None or breaks[k] > breaks[pending]):
                pending = k
            continue
        if not kept and k:  # the first kept paragraph: the text's start, its own indentation
            separator = _head(separators[0]) + _indent(separator)
        elif pending is not None and breaks[pending] > breaks[k]:
            separator = _head(separators[pending]) + _indent(separator)
        if kept and blocks[-1] == block and len(kept) in apart and separator_breaks(separator) < 2:
            separator = _blank_line(separator)
        length += len(separator)
        pieces += [separator, text[start:end]]
        kept.append((length, length + end - start))
        blocks.append(block)
        length += end - start
        pending = None
    pieces.append(text[spans[-1][1] :] if kept else text[: spans[0][0]] + text[spans[-1][1] :])
    return _Cleaned(pieces, kept, blocks, lost)


def _block_text(pieces: list[str], members: list[int], apart: set[int]) -> tuple[str, list[tuple[int, int]]]:
    """Kept paragraphs ``members`` (their numbers) of one block of a cleaned text
    (its ``pieces``), those in ``apart`` set apart from the one before: the
    block's text, and where each paragraph is in it."""
    text, spans = _indent(pieces[2 * members[0]]), []
    for k in members:
        if k != members[0]:
            text += _blank_line(pieces[2 * k]) if k in apart else pieces[2 * k]
        spans.append((len(text), len(text) + len(pieces[2 * k + 1])))
        text += pieces[2 * k + 1]
    return text, spans


def _set_apart(blocks: list[tuple[list[str], list[int]]], mode: str) -> list[set[int]]:
    """For each block (the pieces of its cleaned text, its kept paragraphs'
    numbers), those to set apart from the one before so that it is cut into
    its kept paragraphs (none, mostly): in rounds, one boundary per block cut
    otherwise and round, where the first paragraph cut otherwise was joined to
    a neighbour (or, split itself, on both sides of it). The blocks of a round
    are cut all at once, each alone: blank lines bound a block."""
    apart: list[set[int]] = [set() for _ in blocks]
    waiting = list(range(len(blocks)))
    while waiting:
        texts, spans = zip(*(_block_text(*blocks[i], apart[i]) for i in waiting))
        cut = segment(texts, mode)
        bounds = np.searchsorted(cut.doc, np.arange(len(waiting) + 1)).tolist()
        still = []
        for j, i in enumerate(waiting):
            starts, ends = cut.start[bounds[j] : bounds[j + 1]].tolist(), cut.end[bounds[j] : bounds[j + 1]].tolist()
            found = set(zip(starts, ends))
            wrong = next((k for k, span in enumerate(spans[j]) if span not in found), None)
            if wrong is None:
                continue
            start, end = spans[j][wrong]
            members = blocks[i][1]
            joined = {k for k, joins in ((wrong, start not in starts), (wrong + 1, end not in ends)) if joins}
            sides = {members[k] for k in (joined or {wrong, wrong + 1}) if 0 < k < len(members)} - apart[i]
            # With no boundary left to set apart there, all of them: paragraphs standing alone are cut right.
            apart[i] |= sides or set(members[1:])
            still.append(i)
        waiting = still
    return apart


def clean_texts(texts: Sequence[str], paragraphs: Paragraphs, drop: np.ndarray, mode: str = "auto") -> list[str]:
    """Each of ``texts`` without its paragraphs (rows of ``paragraphs``, whose
    ``doc`` is the position in ``texts``) marked in ``drop``, cut by ``mode``.

    The texts that lose a paragraph go about ``BATCH_CHARS`` characters at a
    time: their separators are measured, and those to check cut again, all at once.
    """
    bounds = np.searchsorted(paragraphs.doc, np.arange(len(texts) + 1))
    spans = np.stack([paragraphs.start, paragraphs.end], axis=1)
    out = list(texts)
    dropped = np.bincount(paragraphs.doc[drop], minlength=len(texts))
    # A text that loses every paragraph keeps what stood before the first and after the last: nothing to cut again.
    emptied = np.flatnonzero((dropped > 0) & (dropped == np.diff(bounds)))
    heads, tails = paragraphs.start[bounds[emptied]].tolist(), paragraphs.end[bounds[emptied + 1] - 1].tolist()
    for position, head, tail in zip(emptied.tolist(), heads, tails):
        out[position] = texts[position][:head] + texts[position][tail:]
    losing = np.flatnonzero((dropped > 0) & (dropped < np.diff(bounds)))
    lengths = np.fromiter((len(texts[p]) for p in losing.tolist()), dtype=np.int64, count=len(losing))
    chunks = chunk_bounds(lengths, BATCH_CHARS)
    for a, b in zip(chunks[:-1], chunks[1:]):
        _clean_chunk(texts, losing[a:b], spans, bounds, drop, mode, out)
    return out


def _clean_chunk(texts: Sequence[str], positions: np.ndarray, spans: np.ndarray, bounds: np.ndarray,
                 drop: np.ndarray, mode: str, out: list[str]) -> None:
    """:func:`clean_texts` of the texts at ``positions`` (paragraph ``spans``,
    rows ``bounds`` of each), into ``out``."""
    separators = {p: _separators(texts[p], spans[bounds[p] : bounds[p + 1]].tolist()) for p in positions.tolist()}
    every = [separator for p in positions.tolist() for separator in separators[p]]
    lengths = np.fromiter(map(len, every), dtype=np.int64, count=len(every))
    ends = np.cumsum(lengths)
    counts = np.split(separator_breaks_of("".join(every), ends - lengths, ends),
                      np.cumsum(bounds[positions + 1] - bounds[positions])[:-1])
    breaks = dict(zip(positions.tolist(), (part.tolist() for part in counts)))
    recut: list[tuple[int, list[str], list[int]]] = []  # text position, pieces, kept paragraphs of a block
    for position in positions.tolist():
        a, b = bounds[position], bounds[position + 1]
        cleaned = _cleaned(texts[position], spans[a:b].tolist(), drop[a:b].tolist(), set(), separators[position],
                           breaks[position])
        out[position] = cleaned.text
        if mode in _RECUTTING_MODES:
            recut += [(position, cleaned.pieces, members) for members in cleaned.recut()]
    apart: dict[int, set[int]] = {}
    for (position, _, _), sides in zip(recut, _set_apart([block[1:] for block in recut], mode)):
        if sides:
            apart.setdefault(position, set()).update(sides)
    for position, sides in apart.items():
        first, last = bounds[position], bounds[position + 1]
        out[position] = _cleaned(texts[position], spans[first:last].tolist(), drop[first:last].tolist(), sides,
                                 separators[position], breaks[position]).text


def remove_paragraphs(text: str, spans: np.ndarray, drop: np.ndarray, mode: str = "auto") -> str:
    """``text`` without the paragraphs ``spans[k]`` where ``drop[k]``, cut by ``mode``."""
    spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    paragraphs = Paragraphs(np.zeros(len(spans), dtype=np.int64), np.arange(len(spans)), spans[:, 0], spans[:, 1])
    return clean_texts([text], paragraphs, np.asarray(drop, dtype=bool), mode)[0]
