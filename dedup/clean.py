"""Last stage: remove duplicate paragraphs from a text, touching nothing else.

A removed paragraph takes one separator with it, so no blank-line gap is left
behind: between two kept paragraphs stands the strongest separator (most line
breaks) that stood anywhere between them, the later one on ties. Keeping the
strongest one preserves the blank line that divided two blocks. Text before
the first paragraph and after the last is kept as it is.

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


def _blank_line(separator: str) -> str:
    """``separator`` with its first line break doubled."""
    first = LINE_BREAK.search(separator)
    return separator[: first.end()] + first.group() + separator[first.end() :]


def _indent(separator: str) -> str:
    """What follows the last line break of ``separator``: the indentation of the line it opens."""
    return separator[len(separator.rstrip(" \t")) :] if LINE_BREAK.search(separator) else ""


def _head(separator: str) -> str:
    return separator[: len(separator) - len(_indent(separator))]


def _joined(text: str, spans: list[list[int]], drop: np.ndarray, split_blocks: bool) -> str:
    leading = text[: spans[0][0]]
    separators = [text[spans[k - 1][1] : spans[k][0]] if k else leading for k in range(len(spans))]
    block = np.cumsum([k == 0 or separator_breaks(s) >= 2 for k, s in enumerate(separators)])
    lost_some = np.zeros(block[-1] + 1, dtype=bool)
    lost_some[block[drop]] = True
    pieces: list[str] = []
    pending: str | None = None  # strongest separator since the last kept paragraph
    for k, (start, end) in enumerate(spans):
        separator = separators[k]
        if drop[k]:
            if pieces and (pending is None or separator_breaks(separator) > separator_breaks(pending)):
                pending = separator
            continue
        # The line breaks of the strongest separator (of the text's start, for
        # the first kept paragraph), with this paragraph's own indentation:
        # indentation takes part in the cut.
        if not pieces and k:
            separator = _head(leading) + _indent(separator)
        elif pending is not None and separator_breaks(pending) > separator_breaks(separator):
            separator = _head(pending) + _indent(separator)
        if split_blocks and pieces and lost_some[block[k]] and separator_breaks(separator) < 2:
            separator = _blank_line(separator)
        pieces += [separator, text[start:end]]
        pending = None
    return "".join(pieces or [leading]) + text[spans[-1][1] :]


def remove_paragraphs(text: str, spans: np.ndarray, drop: np.ndarray, mode: str = "auto") -> str:
    """``text`` without the paragraphs ``spans[k]`` where ``drop[k]``, cut by ``mode``."""
    if not np.any(drop):
        return text
    span_list = spans.tolist()
    cleaned = _joined(text, span_list, drop, split_blocks=False)
    kept = [text[s:e] for (s, e), dropped in zip(span_list, drop.tolist()) if not dropped]
    if [cleaned[s:e] for s, e in paragraph_spans(cleaned, mode).tolist()] == kept:
        return cleaned
    return _joined(text, span_list, drop, split_blocks=True)
