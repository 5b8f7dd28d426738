"""Last stage: remove duplicate paragraphs from a text, touching nothing else.

A removed paragraph takes one separator with it, so no blank-line gap is left
behind: between two kept paragraphs stands the strongest separator (most line
breaks) that stood anywhere between them, the later one on ties. Keeping the
strongest one preserves the blank line that divided two blocks, so the result
is cut into the same paragraphs again. Text before the first paragraph and after
the last is kept as it is.

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

from .segment import separator_breaks

__all__ = ["remove_paragraphs"]


def remove_paragraphs(text: str, spans: np.ndarray, drop: np.ndarray) -> str:
    """``text`` without the paragraphs ``spans[k]`` where ``drop[k]``."""
    if not np.any(drop):
        return text
    pieces = [text[: spans[0, 0]]]
    pending: str | None = None  # strongest separator since the last kept paragraph
    kept_any = False
    for k, (start, end) in enumerate(spans.tolist()):
        separator = text[spans[k - 1, 1] : start] if k else ""
        if drop[k]:
            if kept_any and (pending is None or separator_breaks(separator) > separator_breaks(pending)):
                pending = separator
            continue
        if kept_any:
            stronger = pending is not None and separator_breaks(pending) > separator_breaks(separator)
            pieces.append(pending if stronger else separator)
        pieces.append(text[start:end])
        kept_any, pending = True, None
    pieces.append(text[spans[-1, 1] :])
    return "".join(pieces)
