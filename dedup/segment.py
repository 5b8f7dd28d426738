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

:func:`paragraph_spans` cuts one text, line by line, as described here: it is
the reference. :func:`segment` cuts a whole batch by array operations over its
code points (lines, blocks, then rounds of cuts over all blocks at once), and
tests hold the two equal.

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
from dataclasses import dataclass, fields
from statistics import median

import numpy as np

from .arrays import code_points, found_in, range_positions, run_starts

__all__ = ["IS_SPACE", "SEGMENT_CHARS", "Paragraphs", "block_pieces", "paragraph_spans", "paragraph_texts",
           "segment", "separator_breaks"]

LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_BREAK_CHARACTERS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_BLANK_LINE = re.compile(r"[\s>]*")
# str.isspace() of every code point up to U+3000, the last that is whitespace, then False.
IS_SPACE = np.array([chr(c).isspace() for c in range(0x3001)] + [False])
_CLOSERS = "\"'”’»)]*_"
_SENTENCE_FINAL = set(".!?:;…。！？")
# Width below which "similar line lengths" says nothing about wrapping.
_MIN_WRAP_WIDTH = 30
# Characters cut at a time by :func:`segment`: some 20 MB of work arrays.
SEGMENT_CHARS = 1 << 21


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

    @staticmethod
    def numbered(doc: np.ndarray, start: np.ndarray, end: np.ndarray, documents: int) -> Paragraphs:
        """The table of paragraphs in document order (``doc`` ascending), each numbered within its text."""
        counts = np.bincount(doc, minlength=documents)
        return Paragraphs(doc=doc, index=np.arange(len(doc)) - np.repeat(np.cumsum(counts) - counts, counts),
                          start=start, end=end)


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


def segment(texts: Sequence[str], mode: str = "auto", max_chars: int = SEGMENT_CHARS) -> Paragraphs:
    """The paragraph table of a batch of texts: :func:`paragraph_spans` of each,
    computed by array operations over the whole batch.

    About ``max_chars`` characters are read at a time, each taking about 10
    bytes while it is, so that memory stays bounded however long a text is: a
    longer text is read in pieces that end with a line break, and only the
    table of its lines is kept to cut its blocks.
    """
    if mode == "none":
        return _whole_texts(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    if lengths.sum() <= max_chars:
        lines = _lines(texts, lengths)
    else:
        lines = _Lines.concatenate([
            _lines(pieces, np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))).of_texts(
                piece_doc, piece_start, continues)
            for piece_doc, piece_start, continues, pieces in _rounds(texts, max_chars)])
    if mode == "lines":
        first = np.arange(len(lines.start))
        stop = first + 1
    else:
        first = np.flatnonzero(lines.opens)
        stop = np.append(first, len(lines.start))[1:]
        if mode != "blank-lines":
            first, stop = _cut_blocks(first, stop, lines, mode)
            order = np.argsort(first)
            first, stop = first[order], stop[order]
    return Paragraphs.numbered(lines.doc[first], lines.first[first], lines.last[stop - 1] + 1, len(texts))


def _rounds(texts: Sequence[str], max_chars: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]]:
    """``texts`` in rounds of at most ``max_chars`` characters (but for a longer
    line), a text longer than that in pieces that end with a line break: for
    each round, each piece's text, its start in it, whether it continues a
    block (it starts after a line that is not blank and does not end with
    U+2029), and the pieces."""
    def round_of(spans: list[tuple[int, int, bool, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        docs, starts, continues, pieces = zip(*spans)
        return np.array(docs, dtype=np.int64), np.array(starts, dtype=np.int64), np.array(continues), list(pieces)

    spans, chars = [], 0
    for doc, text in enumerate(texts):
        previous = 0
        for start, end in block_pieces(text, max_chars, "lines"):
            if spans and chars + end - start > max_chars:
                yield round_of(spans)
                spans, chars = [], 0
            spans.append((doc, start, start > 0 and not _ends_block(text, previous, start), text[start:end]))
            chars += end - start
            previous = start
    if spans:
        yield round_of(spans)


def _ends_block(text: str, start: int, end: int) -> bool:
    """Whether the last line of ``text[start:end]``, which ends with its line
    break, is blank or ends with U+2029."""
    content_end = end - 2 if text.startswith("\r\n", end - 2) else end - 1
    line_start = max(start, *(text.rfind(c, start, content_end) + 1 for c in _BREAK_CHARACTERS))
    return text[end - 1] == "\u2029" or _is_blank(text[line_start:content_end])


# Ends of blank lines that str.rfind finds: just after one, a text can be cut
# without changing a block. Any line break will do in mode "lines", but not in
# the modes that judge a block by all its lines.
_BLOCK_ENDS = ("\n\n", "\r\n\r\n", "\r\r", "\u2029")
_LINE_ENDS = tuple(_BREAK_CHARACTERS)


def block_pieces(text: str, max_chars: int, mode: str = "auto") -> Iterator[tuple[int, int]]:
    """Spans cutting ``text`` into pieces of at most ``max_chars`` characters,
    each but the last ending with a blank line (any line break in mode
    ``"lines"``), never between the two characters of ``"\\r\\n"``; a piece is
    longer only where a block (a line) is. In every mode but ``"none"``, the
    pieces cut apart give the paragraphs of the whole text."""
    marks = _LINE_ENDS if mode == "lines" else _BLOCK_ENDS
    start = 0
    while len(text) - start > max_chars:
        stop = start + max_chars
        # A "\r" last in the window may be the first half of a "\r\n".
        last = [_after(text, found, mark) for mark in marks
                if (found := text.rfind(mark, start, stop - mark.endswith("\r"))) >= 0]
        # None in the window: a block longer than max_chars, cut at its end.
        cut = max(last) if last else min((_after(text, found, mark) for mark in marks
                                          if (found := text.find(mark, start)) >= 0), default=None)
        if cut is None or cut == len(text):
            break
        yield start, cut
        start = cut
    yield start, len(text)


def _after(text: str, found: int, mark: str) -> int:
    """Where ``mark``, found at ``found``, ends, with the ``"\\n"`` of a ``"\\r\\n"`` it ends in."""
    end = found + len(mark)
    return end + 1 if mark.endswith("\r") and text.startswith("\n", end) else end


# Character classes, one bit each, looked up once per code point of a batch.
_BREAK, _SPACE, _BLANK, _CLOSER, _FINAL, _CR, _LF, _PARAGRAPH_SEPARATOR = (1 << bit for bit in range(8))


def _class_table() -> np.ndarray:
    # Its last entry (no class) stands for every code point beyond it.
    table = np.zeros(ord(max(_SENTENCE_FINAL)) + 2, dtype=np.uint8)
    table[: len(IS_SPACE)] = IS_SPACE * (_SPACE | _BLANK)
    table[ord(">")] |= _BLANK  # a line of nothing but whitespace and ">" is blank
    for characters, bit in ((_BREAK_CHARACTERS, _BREAK), (_CLOSERS, _CLOSER), (_SENTENCE_FINAL, _FINAL),
                            ("\r", _CR), ("\n", _LF), ("\u2029", _PARAGRAPH_SEPARATOR)):
        table[[ord(c) for c in characters]] |= bit
    return table


_CLASS_TABLE = _class_table()


def _classes(points: np.ndarray) -> np.ndarray:
    return _CLASS_TABLE[np.minimum(points, len(_CLASS_TABLE) - 1)]


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of the maximal runs of True in ``mask``."""
    edges = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    if len(mask) and mask[0]:
        edges = np.append(0, edges)
    if len(mask) and mask[-1]:
        edges = np.append(edges, len(mask))
    return edges[0::2], edges[1::2]


def _out_of_runs(runs: tuple[np.ndarray, np.ndarray], positions: np.ndarray, forward: bool) -> np.ndarray:
    """Each of ``positions`` that lies in one of ``runs`` moved to just after
    it (``forward``) or just before it; the others as they are."""
    starts, ends = runs
    if not len(starts):
        return positions
    k = np.maximum(np.searchsorted(starts, positions, side="right") - 1, 0)
    inside = (starts[k] <= positions) & (ends[k] > positions)
    return np.where(inside, ends[k] if forward else starts[k] - 1, positions)


def _ranges(first: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every element of the ranges ``[first, stop)``, range after range, and the range it is in."""
    return range_positions(first, stop), np.repeat(np.arange(len(first)), stop - first)


@dataclass(frozen=True)
class _Lines:
    """The non-blank lines of a batch of texts: for each, its text ``doc``;
    where it begins (``start``), and its first and last non-whitespace
    characters (``first``, ``last``), within that text; whether it begins a
    block (a run of non-blank lines); the length of its first word; and
    whether it ends a sentence."""

    doc: np.ndarray
    start: np.ndarray
    first: np.ndarray
    last: np.ndarray
    opens: np.ndarray
    first_word: np.ndarray
    ends_sentence: np.ndarray

    @staticmethod
    def concatenate(parts: list[_Lines]) -> _Lines:
        return _Lines(*(np.concatenate([getattr(part, field.name) for part in parts]) for field in fields(_Lines)))

    def of_texts(self, piece_doc: np.ndarray, piece_start: np.ndarray, continues: np.ndarray) -> _Lines:
        """The lines of pieces of texts (see :func:`_rounds`) as lines of those texts."""
        offset = piece_start[self.doc]
        opens = self.opens & ~((self.start == 0) & continues[self.doc])
        return _Lines(piece_doc[self.doc], self.start + offset, self.first + offset, self.last + offset, opens,
                      self.first_word, self.ends_sentence)


def _lines(texts: Sequence[str], lengths: np.ndarray) -> _Lines:
    """The non-blank lines that ``str.splitlines`` cuts each of ``texts`` (of
    ``lengths``) into, from the :func:`_classes` of the texts joined."""
    text_ends = np.cumsum(lengths)
    text_starts = text_ends - lengths
    classes = _classes(code_points("".join(texts)))
    filled = text_ends > text_starts
    breaks = (classes & _BREAK) != 0
    terminated = np.zeros(len(text_ends), dtype=bool)
    terminated[filled] = breaks[text_ends[filled] - 1]
    # The "\n" of a "\r\n" is part of one line break, unless a text starts with it.
    crlf = np.flatnonzero((classes[1:] & _LF != 0) & (classes[:-1] & _CR != 0)) + 1
    crlf = crlf[~found_in(text_starts, crlf)]
    breaks[crlf] = False
    at = np.flatnonzero(breaks)
    after = at + 1 + found_in(crlf, at + 1)
    text_end = text_ends[np.searchsorted(text_ends, at, side="right")]
    # A line starts each text and after each break but one that ends its text;
    # it ends at each break and at the end of a text that ends without one.
    start = np.sort(np.concatenate([text_starts[filled], after[after < text_end]]))
    end = np.sort(np.concatenate([at, text_ends[filled & ~terminated]]))
    doc = np.searchsorted(text_ends, start, side="right")
    blank = _out_of_runs(_runs((classes & _BLANK) != 0), start, forward=True) >= end
    separated = (end < text_ends[doc]) & (classes[np.minimum(end, len(classes) - 1)] & _PARAGRAPH_SEPARATOR != 0)
    opens = np.ones(len(start), dtype=bool)
    opens[1:] = (doc[1:] != doc[:-1]) | blank[:-1] | separated[:-1]
    kept = ~blank
    start, end, doc = start[kept], end[kept], doc[kept]
    space = _runs((classes & _SPACE) != 0)
    first = _out_of_runs(space, start, forward=True)
    last = _out_of_runs(space, end - 1, forward=False)
    space_starts = np.append(space[0], len(classes))
    word_ends = np.minimum(space_starts[np.searchsorted(space_starts, first, side="right")], last + 1)
    closed = _out_of_runs(_runs((classes & _CLOSER) != 0), last, forward=False)
    ends_sentence = (closed >= start) & (classes[np.maximum(closed, 0)] & _FINAL != 0)
    offset = text_starts[doc]
    return _Lines(doc=doc, start=start - offset, first=first - offset, last=last - offset, opens=opens[kept],
                  first_word=word_ends - first, ends_sentence=ends_sentence)


def _usual_indents(indents: np.ndarray, first: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """The most common of ``indents`` in each range ``[first, stop)``, the earliest on a tie
    (as ``Counter.most_common`` picks)."""
    at, owner = _ranges(first, stop)
    order = np.lexsort((at, indents[at], owner))
    owner, indent, at = owner[order], indents[at][order], at[order]
    group = np.flatnonzero(run_starts(owner) | run_starts(indent))
    size = np.diff(np.append(group, len(order)))
    owner, indent, at = owner[group], indent[group], at[group]
    best = np.lexsort((at, -size, owner))
    return indent[best[run_starts(owner[best])]]


def _cut_blocks(first: np.ndarray, stop: np.ndarray, lines: _Lines, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_block_spans` of all blocks, lines ``[first, stop)`` each, at once:
    the line ranges of their paragraphs, in no particular order.

    Every block that splits is cut again, as a block of its own, in the next
    round; rounds go on until no block splits.
    """
    widths = lines.last + 1 - lines.start  # of the right-stripped lines
    indents = lines.first - lines.start
    first_words, ends_sentence = lines.first_word, lines.ends_sentence
    mid_sentence = np.append(0, np.cumsum(~ends_sentence))  # before each line
    done = [(first[:0], stop[:0])]
    while len(first):
        single = stop - first == 1
        done.append((first[single], stop[single]))
        first, stop = first[~single], stop[~single]
        if not len(first):
            break
        width = np.maximum.reduceat(np.append(widths, 0), np.ravel([first, stop], order="F"))[::2]
        if mode == "auto":  # blocks that do not look wrapped are cut into lines
            inner = stop - first - 1
            at, owner = _ranges(first, stop - 1)
            ranked = widths[at][np.lexsort((widths[at], owner))]
            offsets = np.cumsum(inner) - inner
            median = (ranked[offsets + (inner - 1) // 2] + ranked[offsets + inner // 2]) / 2
            wrapped = ((width >= _MIN_WRAP_WIDTH) & (median >= 0.6 * width)
                       & (2 * (mid_sentence[stop - 1] - mid_sentence[first]) >= inner))
            each, _ = _ranges(first[~wrapped], stop[~wrapped])
            done.append((each, each + 1))
            first, stop, width = first[wrapped], stop[wrapped], width[wrapped]
            if not len(first):
                break
        usual = _usual_indents(indents, first, stop)
        at, owner = _ranges(first + 1, stop)
        cut = (indents[at] > usual[owner]) | (
            (widths[at - 1] + 1 + first_words[at] <= width[owner]) & ends_sentence[at - 1])
        whole = np.bincount(owner[cut], minlength=len(first)) == 0
        done.append((first[whole], stop[whole]))
        first, stop = np.sort(np.append(first[~whole], at[cut])), np.sort(np.append(at[cut], stop[~whole]))
    return np.concatenate([f for f, _ in done]), np.concatenate([s for _, s in done])


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
