"""Last stage: remove duplicate paragraphs from a text, touching nothing else.

A removed paragraph takes one separator with it, so no blank-line gap is left
behind: between two kept paragraphs stands the strongest separator (most line
breaks) that stood anywhere between them, the later one on ties. Keeping the
strongest one preserves the blank line that divided two blocks. Each kept
paragraph keeps the indentation of its first line. Text before the first
paragraph (but for that paragraph's indentation) and after the last is kept.

The result is always cut into exactly the kept paragraphs again, so cleaning
is idempotent and a second search finds nothing new. In ``"auto"`` mode a
block of lines that lost some of them can look different (hard-wrapped
instead of one paragraph per line, say); in such a text, the kept paragraphs
of every block that lost one are set apart by a blank line, which cuts them as
before (see :mod:`dedup.segment`: a paragraph standing alone is cut into
itself).

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

import numpy as np

from .segment import LINE_BREAK, paragraph_spans, separator_breaks

__all__ = ["remove_paragraphs"]

# Modes whose cut of a block depends on all its lines; in the others a block,
# or a line, is a paragraph whatever its neighbours.
_RECUTTING_MODES = ("auto", "wrapped")


def _blank_line(separator: str) -> str:
    """``separator`` with its first line break doubled."""
    first = LINE_BREAK.search(separator)
    return separator[: first.end()] + first.group() + separator[first.end() :]


def _indent(separator: str) -> str:
    """What follows the last line break of ``separator`` (all of it if none): the indentation of the next line."""
    breaks = [match.end() for match in LINE_BREAK.finditer(separator)]
    return separator[breaks[-1] if breaks else 0 :]


def _head(separator: str) -> str:
    return separator[: len(separator) - len(_indent(separator))]


def _pieces(text: str, spans: list[list[int]], separators: list[str], drop: list[bool], block: np.ndarray,
            split: np.ndarray) -> tuple[list[str], list[int]]:
    """Separator and paragraph of each kept paragraph, alternating, and the kept paragraphs' numbers.

    Kept paragraphs of a block marked in ``split`` are set apart by a blank line.
    """
    pieces: list[str] = []
    kept: list[int] = []
    pending: str | None = None  # strongest separator since the last kept paragraph
    for k, (start, end) in enumerate(spans):
        separator = separators[k]
        if drop[k]:
            if kept and (pending is None or separator_breaks(separator) > separator_breaks(pending)):
                pending = separator
            continue
        # The line breaks of the strongest separator (of the text's start, for
        # the first kept paragraph), with this paragraph's own indentation:
        # indentation takes part in the cut.
        if not kept and k:
            separator = _head(separators[0]) + _indent(separator)
        elif pending is not None and separator_breaks(pending) > separator_breaks(separator):
            separator = _head(pending) + _indent(separator)
        if kept and split[block[k]] and separator_breaks(separator) < 2:
            separator = _blank_line(separator)
        pieces += [separator, text[start:end]]
        kept.append(k)
        pending = None
    return pieces, kept


def _recut_blocks(pieces: list[str], kept: list[int], block: np.ndarray, lost_some: np.ndarray,
                  mode: str) -> np.ndarray:
    """Blocks that lost a paragraph and whose kept paragraphs, as joined, would be cut differently."""
    recut = np.zeros(len(lost_some), dtype=bool)
    kept_block = block[kept]
    for b in np.unique(kept_block[lost_some[kept_block]]).tolist():
        # Within one block every separator has a single line break, so the
        # kept paragraphs of a block form a block of their own in the result.
        first, last = np.flatnonzero(kept_block == b)[[0, -1]].tolist()
        lines = [_indent(pieces[2 * first]), *pieces[2 * first + 1 : 2 * last + 2]]
        joined = "".join(lines)
        paragraphs = pieces[2 * first + 1 : 2 * last + 2 : 2]
        recut[b] = [joined[s:e] for s, e in paragraph_spans(joined, mode).tolist()] != paragraphs
    return recut


def remove_paragraphs(text: str, spans: np.ndarray, drop: np.ndarray, mode: str = "auto") -> str:
    """``text`` without the paragraphs ``spans[k]`` where ``drop[k]``, cut by ``mode``."""
    if not np.any(drop):
        return text
    span_list, drop_list = spans.tolist(), drop.tolist()
    leading = text[: span_list[0][0]]
    separators = [leading] + [text[a[1] : b[0]] for a, b in zip(span_list[:-1], span_list[1:])]
    block = np.cumsum([k == 0 or separator_breaks(s) >= 2 for k, s in enumerate(separators)]) - 1
    lost_some = np.zeros(block[-1] + 1, dtype=bool)
    lost_some[block[drop]] = True
    split = np.zeros_like(lost_some)
    pieces, kept = _pieces(text, span_list, separators, drop_list, block, split)
    if mode in _RECUTTING_MODES:
        split = _recut_blocks(pieces, kept, block, lost_some, mode)
        if split.any():
            pieces, kept = _pieces(text, span_list, separators, drop_list, block, split)
    return "".join(pieces or [leading]) + text[span_list[-1][1] :]
