"""Stage 1: cut texts into paragraphs with exact character spans.

A paragraph is a span ``text[start:end]`` that starts and ends on a
non-whitespace character. Spans are ordered and disjoint, so a text is
rebuilt exactly as ``text[:s0] + text[s0:e0] + text[e0:s1] + ... + text[ek:]``:
everything between spans (the *separators*) is whitespace, or the ``>``
markers of an empty quoted e-mail line.

Modes
-----
``"blank-lines"``
    Blank lines (or U+2029 PARAGRAPH SEPARATOR) separate paragraphs; the lines of a
    block are joined. ``"a\\nb\\n\\nc"`` gives ``["a\\nb", "c"]``.
``"lines"``
    Every non-blank line is a paragraph, as in scraped web text.
    ``"a\\nb\\n\\nc"`` gives ``["a", "b", "c"]``.
``"wrapped"``
    Hard-wrapped text (news wires, e-mail, plain-text books): the lines of a block
    are joined, except that a paragraph ends before a line indented deeper than
    the block's usual indentation, and after a sentence-final line that is short,
    i.e. the next line's first word would have fit on it::

        The minister said the talks would resume on
        Monday.
          Markets rose on the news, with the index
        closing up two percent.

    gives two paragraphs.
``"none"``
    Each text is one paragraph (for texts that are paragraphs already).
``"auto"`` (default)
    Blank lines always separate paragraphs. Within each block, a single line is a
    paragraph; lines that look hard-wrapped (most end mid-sentence at a similar
    width) are treated as ``"wrapped"``; otherwise each line is a paragraph
    (``"lines"``). Deciding per block keeps the choice local: removing a paragraph
    elsewhere never changes how a block is cut.

In ``"auto"`` and ``"wrapped"`` mode every paragraph of several lines is cut
again on its own until it stands: a paragraph, alone in a block, is cut into
exactly itself. This is what lets :mod:`dedup.clean` remove paragraphs without
changing how the others are cut.

Line breaks are ``\\n``, ``\\r\\n``, ``\\r``, ``\\v``, ``\\f``, ``\\x1c-\\x1e``, ``\\x85``
and U+2028; U+2029 ends a paragraph like a blank line. A line holding only
whitespace and ``>`` quote markers is blank, so quoted e-mail paragraphs split
like their originals.

Example
-------
>>> from dedup.segment import paragraph_spans
>>> text = "Title\\nFirst paragraph.\\n\\nSecond one."
>>> [text[s:e] for s, e in paragraph_spans(text)]
['Title', 'First paragraph.', 'Second one.']
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from statistics import median

import numpy as np

from .arrays import code_points

__all__ = ["IS_SPACE", "Paragraphs", "paragraph_spans", "paragraph_texts", "segment", "separator_breaks"]

LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_BREAK_CHARACTERS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_BLANK_LINE = re.compile(r"[\s>]*")
# str.isspace() of every code point up to U+3000, the last that is whitespace, then False.
IS_SPACE = np.array([chr(c).isspace() for c in range(0x3001)] + [False])
_CLOSERS = "\"'”’»)]*_"
_SENTENCE_FINAL = set(".!?:;…。！？")
# Width below which "similar line lengths" says nothing about wrapping.
_MIN_WRAP_WIDTH = 30


@dataclass(frozen=True)
class Paragraphs:
    """Paragraph table of a batch of texts, in document then paragraph order.

    ``doc[i]`` is the position of paragraph ``i``'s text in the batch, ``index[i]``
    its position within that text, and ``start[i]:end[i]`` its character span.
    """

    doc: np.ndarray
    index: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.doc)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` to its first and last non-whitespace character."""
    line = text[start:end]
    return start + len(line) - len(line.lstrip()), end - len(line) + len(line.rstrip())


def _is_blank(line: str) -> bool:
    return not line.strip() or (">" in line and _BLANK_LINE.fullmatch(line) is not None)


def _blocks(lines: list[str]) -> list[list[tuple[int, int]]]:
    """Maximal runs of non-blank lines, each line as its (start, end) span.

    ``lines`` is ``text.splitlines(keepends=True)``: str.splitlines breaks at
    exactly the line breaks listed in the module docstring.
    """
    blocks: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    position = 0
    for line in lines:
        content = line.rstrip(_BREAK_CHARACTERS)  # one break, or "\r\n"
        if _is_blank(content):
            if current:
                blocks.append(current)
            current = []
        else:
            current.append((position, position + len(content)))
            if line.endswith("\u2029"):
                blocks.append(current)
                current = []
        position += len(line)
    if current:
        blocks.append(current)
    return blocks


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _SENTENCE_FINAL


def _looks_wrapped(lines: list[str]) -> bool:
    """Most lines but the last end mid-sentence, at a width similar to the longest."""
    widths = [len(line) for line in lines]
    width = max(widths)
    inner = lines[:-1]
    mid_sentence = sum(not _ends_sentence(line) for line in inner)
    return (
        width >= _MIN_WRAP_WIDTH
        and median(widths[:-1]) >= 0.6 * width
        and 2 * mid_sentence >= len(inner)
    )


def _wrapped_starts(lines: list[str]) -> list[int]:
    """Indices of the (right-stripped) lines of a hard-wrapped block that begin a paragraph."""
    width = max(map(len, lines))
    indents = [len(line) - len(line.lstrip()) for line in lines]
    usual_indent = Counter(indents).most_common(1)[0][0]
    starts = [0]
    for j in range(1, len(lines)):
        previous = lines[j - 1]
        if indents[j] > usual_indent or (
            len(previous) + 1 + len(lines[j].split(maxsplit=1)[0]) <= width and _ends_sentence(previous)
        ):
            starts.append(j)
    return starts


def _block_spans(text: str, block: list[tuple[int, int]], mode: str) -> list[tuple[int, int]]:
    if len(block) == 1 or mode == "blank-lines":
        return [_trimmed(text, block[0][0], block[-1][1])]
    if mode == "lines":
        return [_trimmed(text, s, e) for s, e in block]
    lines = [text[s:e].rstrip() for s, e in block]
    if mode == "wrapped" or _looks_wrapped(lines):
        starts = _wrapped_starts(lines)
        if len(starts) == 1:
            return [_trimmed(text, block[0][0], block[-1][1])]
        # Each paragraph is cut again as a block of its own, so that every
        # paragraph, standing alone, is cut into itself: removing its
        # neighbours (see dedup.clean) can then never re-cut it.
        ends = starts[1:] + [len(block)]
        return [span for a, b in zip(starts, ends) for span in _block_spans(text, block[a:b], mode)]
    return [_trimmed(text, s, e) for s, e in block]


def separator_breaks(separator: str) -> int:
    """How strongly a separator divides: its line breaks, U+2029 counting as two."""
    return sum(2 if brk == "\u2029" else 1 for brk in LINE_BREAK.findall(separator))


def _whole(text: str) -> list[tuple[int, int]]:
    """The text as one paragraph, trimmed; none if it is blank."""
    start, end = len(text) - len(text.lstrip()), len(text.rstrip())
    if end <= start or (text[start] == ">" and _BLANK_LINE.fullmatch(text)):
        return []
    return [(start, end)]


def _spans(text: str, mode: str) -> list[tuple[int, int]]:
    if mode == "none":
        return _whole(text)
    lines = text.splitlines(keepends=True)
    if len(lines) <= 1:
        return _whole(text)
    return [span for block in _blocks(lines) for span in _block_spans(text, block, mode)]


def paragraph_spans(text: str, mode: str = "auto") -> np.ndarray:
    """``(k, 2)`` int64 array of the ``[start, end)`` spans of a text's paragraphs."""
    return np.array(_spans(text, mode), dtype=np.int64).reshape(-1, 2)


def segment(texts: Sequence[str], mode: str = "auto") -> Paragraphs:
    """The paragraph table of a batch of texts."""
    if mode == "none":
        return _whole_texts(texts)
    per_text = [_spans(text, mode) for text in texts]
    counts = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
    spans = np.array([span for spans in per_text for span in spans], dtype=np.int64).reshape(-1, 2)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return Paragraphs(doc=doc, index=np.arange(len(doc), dtype=np.int64) - first,
                      start=spans[:, 0].copy(), end=spans[:, 1].copy())


def _whole_texts(texts: Sequence[str]) -> Paragraphs:
    """``segment`` in mode ``"none"``, with array operations over the texts' first and
    last characters: only texts that start or end with whitespace are stripped."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    filled = np.flatnonzero(lengths)
    first, last = np.zeros(len(texts), np.uint32), np.zeros(len(texts), np.uint32)
    # Only the end characters are encoded: encoding whole texts measured 1.4x
    # slower, and 4x on a process's first call (fresh memory for 4 bytes a character).
    first[filled] = code_points("".join([text[:1] for text in texts]))
    last[filled] = code_points("".join([text[-1:] for text in texts]))
    start, end = np.zeros(len(texts), dtype=np.int64), lengths.copy()
    quoted = first == ord(">")
    for i in np.flatnonzero(IS_SPACE[np.minimum(first, len(IS_SPACE) - 1)]).tolist():
        start[i] = lengths[i] - len(texts[i].lstrip())
        quoted[i] = texts[i].startswith(">", start[i])
    for i in np.flatnonzero(IS_SPACE[np.minimum(last, len(IS_SPACE) - 1)]).tolist():
        end[i] = len(texts[i].rstrip())
    keep = end > start
    for i in np.flatnonzero(quoted & keep).tolist():
        keep[i] = not _BLANK_LINE.fullmatch(texts[i])
    doc = np.flatnonzero(keep)
    return Paragraphs(doc=doc, index=np.zeros(len(doc), dtype=np.int64), start=start[keep], end=end[keep])


def paragraph_texts(texts: Iterable[str], paragraphs: Paragraphs, rows: np.ndarray | None = None) -> Iterator[str]:
    """The characters of paragraphs ``rows`` (ascending; all by default) of ``texts``.

    ``texts`` is read once, in order, and no further than the last document needed,
    so it may be a stream.
    """
    if rows is not None:
        paragraphs = Paragraphs(*(column[rows] for column in (paragraphs.doc, paragraphs.index,
                                                               paragraphs.start, paragraphs.end)))
    wanted = zip(paragraphs.doc.tolist(), paragraphs.start.tolist(), paragraphs.end.tolist())
    doc, start, end = next(wanted, (None, 0, 0))
    if doc is None:
        return
    for position, text in enumerate(texts):
        while doc == position:
            yield text[start:end]
            doc, start, end = next(wanted, (None, 0, 0))
            if doc is None:
                return
