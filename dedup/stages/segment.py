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
``"auto"`` (default)
    Blank lines always separate paragraphs. Within a block, each line break is
    judged on the two lines beside it (``a`` then ``b``) and the block they are
    in, in this order:

    1. ``b`` starts a new paragraph if either line holds no letter, digit or
       sentence-final mark (a rule, ``* * *``), or the two are quoted to
       different depths (``>`` and ``|`` markers);
    2. ``b`` goes on ``a``'s paragraph if ``a`` ends in a letter, a digit, a
       comma or a hyphen and ``b`` starts in lower case (after its quote
       markers): a sentence never ends that way;
    3. ``b`` starts a new paragraph if it is indented deeper than the block's
       most common indentation (a paragraph's indented first line);
    4. ``b`` goes on if ``a`` ends in a full stop, ``b`` starts in lower case
       and ``b``'s first word would not have fitted on ``a`` (an abbreviation:
       "U.S.", "etc.");
    5. ``b`` starts a new paragraph if either line is a table row (columns
       apart by three spaces or a tab, or a line shorter than 70% of the block,
       not ending a sentence, at least half of whose words, two or more, hold a
       digit), or ``b`` is a list item (``-``, ``*``, ``1.``, ``(a)``, ``iv)``,
       ``II.``) or a field (``Subject:``) after another, after a sentence's end,
       or after a line that leaves room;
    6. ``a`` ending mid-sentence: ``b`` goes on if ``a`` is at least half as
       wide as the block (a first line shortened by a dateline still is; a
       heading is not);
    7. ``a`` ending a sentence: ``b`` goes on only if ``b``'s first word would
       not have fitted on ``a`` and the block shows wrapping (a line indented
       deeper than most, or a line ending mid-sentence going on to the next);
       a sentence-final line that leaves room ends its paragraph.

    Steps 4, 6 and 7 apply only to a block 30 to 132 characters wide (its
    widest line but rules): a page scraped one paragraph per line keeps its
    lines apart.
    ``benchmarks/segmentation.py`` measures this on real paragraphs laid out
    as corpora lay them out.
``"wrapped"``
    As ``"auto"``, but every block is taken as hard-wrapped, whatever its width
    and whether or not it shows wrapping.
``"none"``
    Each text is one paragraph (for texts that are paragraphs already).

In ``"auto"`` and ``"wrapped"`` mode every paragraph of several lines is cut
again on its own until it stands: a paragraph, alone in a block, is cut into
exactly itself. This is what lets :mod:`dedup.report.clean` remove paragraphs without
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
>>> from dedup.stages.segment import paragraph_spans
>>> text = "Title\\nFirst paragraph.\\n\\nSecond one."
>>> [text[s:e] for s, e in paragraph_spans(text)]
['Title', 'First paragraph.', 'Second one.']
>>> wire = ("Acme Widgets Inc said vice\\npresident John Smith will be leaving the company for\\n"
...         "personal reasons.\\n Wire\\n")
>>> [" ".join(wire[s:e].split()) for s, e in paragraph_spans(wire)]
['Acme Widgets Inc said vice president John Smith will be leaving the company for personal reasons.', 'Wire']
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from .arrays import code_points, found_in, range_positions, run_starts

__all__ = ["IS_SPACE", "SEGMENT_CHARS", "Paragraphs", "block_pieces", "paragraph_spans", "paragraph_sources",
           "paragraph_texts", "segment", "separator_breaks", "separator_breaks_of"]

LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_BREAK_CHARACTERS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_BLANK_LINE = re.compile(r"[\s>]*")
# str.isspace() of every code point up to U+3000, the last that is whitespace, then False.
IS_SPACE = np.array([chr(c).isspace() for c in range(0x3001)] + [False])
_CLOSERS = "\"'”’»)]*_"
_SENTENCE_FINAL = set(".!?:;…。！？")
_MODES = ("auto", "blank-lines", "lines", "wrapped", "none")
_BULLETS = "-*•+–—·"
_QUOTE_MARKERS = ">|"
# Blocks narrower than this (columns of words) or wider (a page scraped one
# paragraph per line) are not taken as hard-wrapped in mode "auto"; 132 is
# the widest line printers and terminals wrapped at.
_MIN_WRAP_WIDTH, _MAX_WRAP_WIDTH = 30, 132
# A line ending mid-sentence goes on to the next when it is at least this
# share of the block's width: a first line shortened by a cut dateline still
# does, a short heading does not.
_HALF = 0.5
# A line holding mostly numbers and shorter than this share of the block's
# width is a row of a table.
_TABLE_SHARE = 0.7
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


def _is_digit(character: str) -> bool:
    return character < "\U00010000" and character.isdecimal()


def _is_letter(character: str) -> bool:
    return character < "\U00010000" and character.isalpha()


def _is_list_item(content: str) -> bool:
    """Whether a line (without its indentation) opens with a list marker or a
    field name (``Subject:``) and goes on."""
    words = content.split(maxsplit=1)
    if len(words) < 2:
        return False
    word = words[0]
    if len(word) == 1:
        return word in _BULLETS
    if word[-1] == ":":
        return _is_letter(word[0])
    core = word[1:-1] if word[0] == "(" else word[:-1]
    return word[-1] in ".)" and 0 < len(core) and (
        (len(core) <= 3 and all(map(_is_digit, core)))
        or (word[-1] == ")" and ((len(core) == 1 and core.isascii() and core.isalpha())
                                 or (len(core) <= 4 and all(c in "ivxIVX" for c in core))))
        or (word[-1] == "." and len(core) <= 4 and all(c in "IVX" for c in core)))


@dataclass(frozen=True)
class _Line:
    """What the cut of a block looks at in one of its lines (right-stripped, indentation kept)."""

    width: int
    indent: int
    first_word: int
    ends_sentence: bool
    soft_end: bool  # it ends in a letter, a digit, a comma, or a hyphen after a letter or digit
    period: bool  # it ends in a full stop
    lower: bool  # its first character after indentation and quote markers is a lower-case letter
    depth: int  # quote markers before its text
    bare: bool  # it holds no letter, digit or sentence-final mark: a rule, a row of stars
    item: bool
    numeric: bool  # not ending a sentence, two or more of its words and at least half hold a digit
    aligned: bool  # two or more gaps of three spaces or a tab between its words: columns

    @staticmethod
    def of(line: str) -> _Line:
        content = line.lstrip()
        words = content.split()
        skipped = 0
        while skipped < len(content) and (content[skipped].isspace() or content[skipped] in _QUOTE_MARKERS):
            skipped += 1
        body = content[skipped:]
        digits = sum(any(map(_is_digit, word)) for word in words)
        ends_sentence = _ends_sentence(line)
        gaps = [gap for gap in re.findall(r"(?<=\S)\s+(?=\S)", content) if len(gap) >= 3 or "\t" in gap]
        solid = [_is_letter(c) or _is_digit(c) for c in line[-2:]]
        return _Line(width=len(line), indent=len(line) - len(content), first_word=len(words[0]),
                     ends_sentence=ends_sentence,
                     soft_end=solid[-1] or line[-1] == "," or (line[-1] == "-" and len(solid) == 2 and solid[0]),
                     period=line[-1] == ".", lower=bool(body) and body[0] < "\U00010000" and body[0].islower(),
                     depth=sum(c in _QUOTE_MARKERS for c in content[:skipped]),
                     bare=not any(_is_letter(c) or _is_digit(c) or c in _SENTENCE_FINAL for c in content),
                     item=_is_list_item(content), aligned=len(gaps) >= 2,
                     numeric=not ends_sentence and digits >= 2 and 2 * digits >= len(words))


def _joins(a: _Line, b: _Line, width: int, usual_indent: int, evidence: bool, wrapped: bool) -> bool:
    """Whether line ``b`` goes on the paragraph of line ``a`` before it, in a
    block ``width`` wide whose most common indentation is ``usual_indent``; see the
    module docstring. ``evidence``: the block shows wrapping; ``wrapped``: the
    block is hard-wrapped whatever its width."""
    if a.bare or b.bare or a.depth != b.depth:
        return False
    if a.soft_end and b.lower:
        return True
    if b.indent > usual_indent:
        return False
    wrapping = wrapped or _MIN_WRAP_WIDTH <= width <= _MAX_WRAP_WIDTH
    # Whether the first word of b would have gone past the width on line a.
    full = wrapping and a.width + 1 + b.first_word > width
    if b.lower and full and a.period:  # an abbreviation: "U.S.", "etc."
        return True
    if _is_table_row(a, width) or _is_table_row(b, width) or (
            b.item and (a.item or a.ends_sentence or not full)):
        return False
    if not a.ends_sentence:
        return wrapping and a.width >= _HALF * width
    return full and (evidence or wrapped)


def _is_table_row(line: _Line, width: int) -> bool:
    return line.aligned or (line.numeric and line.width < _TABLE_SHARE * width)


def _line_ranges(lines: list[_Line], wrapped: bool) -> list[tuple[int, int]]:
    """The ``[first, stop)`` line ranges of a block's paragraphs; each paragraph
    of several lines is cut again on its own until it stands (see the module docstring)."""
    if len(lines) == 1:
        return [(0, 1)]
    width = max(0 if line.bare else line.width for line in lines)  # a rule of "~~~~" may stick out
    usual_indent = Counter(line.indent for line in lines).most_common(1)[0][0]
    # Wrapping shows in an indented first line, or a line that ends
    # mid-sentence going on to the next (which never needs the evidence).
    evidence = any(line.indent > usual_indent for line in lines) or any(
        not a.ends_sentence and _joins(a, b, width, usual_indent, False, wrapped) for a, b in zip(lines, lines[1:]))
    starts = [0] + [j for j in range(1, len(lines))
                    if not _joins(lines[j - 1], lines[j], width, usual_indent, evidence, wrapped)]
    if len(starts) == 1:
        return [(0, len(lines))]
    ends = starts[1:] + [len(lines)]
    return [(a + first, a + stop) for a, b in zip(starts, ends) for first, stop in _line_ranges(lines[a:b], wrapped)]


def _block_spans(text: str, block: list[tuple[int, int]], mode: str) -> list[tuple[int, int]]:
    if len(block) == 1 or mode == "blank-lines":
        return [_trimmed(text, block[0][0], block[-1][1])]
    if mode == "lines":
        return [_trimmed(text, s, e) for s, e in block]
    lines = [_Line.of(text[s:e].rstrip()) for s, e in block]
    return [_trimmed(text, block[first][0], block[stop - 1][1])
            for first, stop in _line_ranges(lines, mode == "wrapped")]


def separator_breaks(separator: str) -> int:
    """How strongly a separator divides: its line breaks, U+2029 counting as two."""
    return sum(2 if brk == "\u2029" else 1 for brk in LINE_BREAK.findall(separator))


def separator_breaks_of(text: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """:func:`separator_breaks` of each ``text[starts[k]:ends[k]]`` at once, by
    one pass over ``text``'s code points; no range may split a ``"\\r\\n"``.

    >>> separator_breaks_of("a\\r\\n\\r\\nb\\u2029c", np.array([1, 6]), np.array([5, 7])).tolist()
    [2, 2]
    """
    classes = _classes(code_points(text))
    weight = (classes & _BREAK != 0).astype(np.int64) + (classes & _PARAGRAPH_SEPARATOR != 0)
    weight[1:] -= (classes[1:] & _LF != 0) & (classes[:-1] & _CR != 0)  # the "\\n" of a "\\r\\n"
    before = np.concatenate([[0], np.cumsum(weight)])
    return before[ends] - before[starts]


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
    """``(k, 2)`` int64 array of the ``[start, end)`` spans of a text's
    paragraphs, cut as ``segmentation=mode`` cuts them (see the module
    docstring): to see how a text is cut before cleaning it.

    >>> text = "Shr 1.25 dlrs vs 1.14 dlrs\\nNet 3,456,000 vs 2,987,000\\n\\nThe company said the\\nresults were good."
    >>> [text[s:e] for s, e in paragraph_spans(text)]
    ['Shr 1.25 dlrs vs 1.14 dlrs', 'Net 3,456,000 vs 2,987,000', 'The company said the\\nresults were good.']
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}; got {mode!r}")
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
            _lines(pieces, np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))).of_texts(*piece_facts)
            for *piece_facts, pieces in _rounds(texts, max_chars)]).joined()
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


def _rounds(texts: Sequence[str], max_chars: int) -> Iterator[tuple[np.ndarray, ...]]:
    """``texts`` in rounds of at most ``max_chars`` characters (but for a longer
    word), a text longer than that in pieces that end with a line break or, in
    a longer line, with a word (:func:`_line_pieces`). For each round, of each
    piece: its text, its start in it, whether it continues a block (it starts
    after a line that is not blank and does not end with U+2029), whether it
    starts in the middle of a line and whether the run of whitespace it starts
    with is wide (a column gap); and the pieces."""
    def round_of(spans: list[tuple]) -> tuple[np.ndarray, ...]:
        docs, starts, continues, mid_line, wide, pieces = zip(*spans)
        return (np.array(docs, dtype=np.int64), np.array(starts, dtype=np.int64), np.array(continues),
                np.array(mid_line), np.array(wide), list(pieces))

    spans, chars = [], 0
    for doc, text in enumerate(texts):
        previous = 0
        for start, end, mid_line, wide in _line_pieces(text, max_chars):
            if spans and chars + end - start > max_chars:
                yield round_of(spans)
                spans, chars = [], 0
            continues = mid_line or (start > 0 and not _ends_block(text, previous, start))
            spans.append((doc, start, continues, mid_line, wide, text[start:end]))
            chars += end - start
            previous = start
    if spans:
        yield round_of(spans)


# Where a long line may be cut: a run of whitespace (no line break) between
# two word characters, none of which is blank or a quote marker.
_LINE_GAP = re.compile(r"(?<=\w)[^\S" + _BREAK_CHARACTERS + r"]+(?=\w)")
_FIRST_WORD = re.compile(r"\s*\S+")


def _line_pieces(text: str, max_chars: int) -> Iterator[tuple[int, int, bool, bool]]:
    """:func:`block_pieces` of ``text`` in ``"lines"`` mode, a piece longer than
    ``max_chars`` cut further where a run of whitespace between words begins:
    each piece's span, whether it starts in the middle of a line and whether
    that run is wide (three or more characters, or a tab).

    A line is cut only after its first word, so that what its first piece
    tells of the line's head (quote markers, list marker, first word) and its
    last piece of the line's end hold for the whole line; the counts of its
    pieces are summed (:meth:`_Lines.joined`).
    """
    for start, end in block_pieces(text, max_chars, "lines"):
        mid_line = wide = False
        while end - start > max_chars:
            gap = _LINE_GAP.search(text, start + max_chars, end)
            while gap is not None and not _after_first_word(text, start, gap.start(), mid_line):
                gap = _LINE_GAP.search(text, gap.end(), end)
            if gap is None:
                break
            yield start, gap.start(), mid_line, wide
            start, mid_line, wide = gap.start(), True, gap.end() - gap.start() >= 3 or "\t" in gap.group()
        yield start, end, mid_line, wide


def _after_first_word(text: str, start: int, cut: int, mid_line: bool) -> bool:
    """Whether ``cut`` comes after the first word of its line, in a piece
    that begins at ``start`` (``mid_line``: after that word)."""
    line_break = max(text.rfind(c, start, cut) for c in _BREAK_CHARACTERS)
    if line_break < 0 and mid_line:
        return True
    return _FIRST_WORD.match(text, max(line_break + 1, start), cut).end() < cut


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
(_BREAK, _SPACE, _BLANK, _CLOSER, _FINAL, _CR, _LF, _PARAGRAPH_SEPARATOR, _LOWER, _DIGIT, _LETTER, _QUOTE,
 _TAB) = (1 << bit for bit in range(13))


def _class_table() -> np.ndarray:
    # Its last entry (no class) stands for every code point beyond the Basic
    # Multilingual Plane: no letter or digit there counts as lower case or a digit.
    characters = [chr(c) for c in range(0x10000)]
    table = np.zeros(0x10001, dtype=np.uint16)
    table[: len(IS_SPACE)] = IS_SPACE * (_SPACE | _BLANK)
    table[:-1] |= np.array(list(map(str.islower, characters))) * np.uint16(_LOWER)
    table[:-1] |= np.array(list(map(str.isdecimal, characters))) * np.uint16(_DIGIT)
    table[:-1] |= np.array(list(map(str.isalpha, characters))) * np.uint16(_LETTER)
    table[ord(">")] |= _BLANK  # a line of nothing but whitespace and ">" is blank
    for members, bit in ((_BREAK_CHARACTERS, _BREAK), (_CLOSERS, _CLOSER), (_SENTENCE_FINAL, _FINAL),
                         ("\r", _CR), ("\n", _LF), ("\u2029", _PARAGRAPH_SEPARATOR), (_QUOTE_MARKERS, _QUOTE),
                         ("\t", _TAB)):
        table[[ord(c) for c in members]] |= bit
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
    block (a run of non-blank lines); the length of its first word; and the
    facts of :class:`_Line` the cut looks at."""

    doc: np.ndarray
    start: np.ndarray
    first: np.ndarray
    last: np.ndarray
    opens: np.ndarray
    first_word: np.ndarray
    ends_sentence: np.ndarray
    soft_end: np.ndarray
    period: np.ndarray
    lower: np.ndarray
    depth: np.ndarray
    bare: np.ndarray
    item: np.ndarray
    words: np.ndarray
    digit_words: np.ndarray  # words holding a digit
    gaps: np.ndarray  # runs of whitespace between words three or more long or holding a tab
    joins: np.ndarray  # a piece of the line before, cut off it (see _line_pieces)

    @property
    def numeric(self) -> np.ndarray:
        return ~self.ends_sentence & (self.digit_words >= 2) & (2 * self.digit_words >= self.words)

    @property
    def aligned(self) -> np.ndarray:
        return self.gaps >= 2

    @staticmethod
    def concatenate(parts: list[_Lines]) -> _Lines:
        return _Lines(*(np.concatenate([getattr(part, field.name) for part in parts]) for field in fields(_Lines)))

    def of_texts(self, piece_doc: np.ndarray, piece_start: np.ndarray, continues: np.ndarray,
                 mid_line: np.ndarray, wide_cut: np.ndarray) -> _Lines:
        """The lines of pieces of texts (see :func:`_rounds`) as lines of those texts."""
        offset = piece_start[self.doc]
        opening = self.start == 0
        opens = self.opens & ~(opening & continues[self.doc])
        joins = opening & mid_line[self.doc]
        return replace(self, doc=piece_doc[self.doc], start=self.start + offset, first=self.first + offset,
                       last=self.last + offset, opens=opens, joins=joins, gaps=self.gaps + (joins & wide_cut[self.doc]))

    def joined(self) -> _Lines:
        """The lines with each piece of a line cut apart (``joins``) joined to the piece before:
        its head from the first piece, its end from the last, its counts summed."""
        if not self.joins.any():
            return self
        first = np.flatnonzero(~self.joins)
        last = np.append(first[1:], len(self.joins)) - 1
        head = ("doc", "start", "first", "opens", "first_word", "lower", "depth", "item")
        end = ("last", "ends_sentence", "soft_end", "period")
        summed = {name: np.add.reduceat(getattr(self, name), first) for name in ("words", "digit_words", "gaps")}
        return _Lines(**{name: getattr(self, name)[first] for name in head},
                      **{name: getattr(self, name)[last] for name in end}, **summed,
                      bare=np.logical_and.reduceat(self.bare, first), joins=self.joins[first])


def _lines(texts: Sequence[str], lengths: np.ndarray) -> _Lines:
    """The non-blank lines that ``str.splitlines`` cuts each of ``texts`` (of
    ``lengths``) into, from the :func:`_classes` of the texts joined."""
    text_ends = np.cumsum(lengths)
    text_starts = text_ends - lengths
    points = code_points("".join(texts))
    classes = _classes(points)
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
    body, depth = _quoted(classes, first, last)
    words, digit_words = _word_counts(classes, space[0], text_starts[filled], first, last)
    solid = (classes & (_LETTER | _DIGIT)) != 0
    end_point = points[last]
    offset = text_starts[doc]
    return _Lines(doc=doc, start=start - offset, first=first - offset, last=last - offset, opens=opens[kept],
                  first_word=word_ends - first, ends_sentence=ends_sentence,
                  soft_end=solid[last] | (end_point == ord(",")) | (
                      (end_point == ord("-")) & (last > start) & solid[np.maximum(last - 1, 0)]),
                  period=end_point == ord("."), lower=(body <= last) & (classes[body] & _LOWER != 0),
                  depth=depth, bare=_bare(classes, body, last),
                  item=_list_items(points, classes, first, word_ends, last),
                  words=words, digit_words=digit_words, gaps=_column_gaps(space, points, first, last),
                  joins=np.zeros(len(first), dtype=bool))


def _ranges_hold(classes: np.ndarray, first: np.ndarray, stop: np.ndarray, bits: int) -> np.ndarray:
    """How many characters of each range ``[first, stop)`` have a class among ``bits``."""
    at, owner = _ranges(first, stop)
    return np.bincount(owner[classes[at] & bits != 0], minlength=len(first))


def _quoted(classes: np.ndarray, first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the text of each line ``[first, last]`` begins after its quote markers
    (and the spaces among them; at most ``len(classes) - 1``), and how many markers it has."""
    body, depth = first.copy(), np.zeros(len(first), dtype=np.int64)
    quoted = np.flatnonzero(classes[first] & _QUOTE != 0) if len(classes) else first[:0]
    # A character at a time over the lines that open with a marker, for as
    # long as markers usually go ("> > ", "|> "); the rare longer runs, by runs.
    at, active = first[quoted], np.ones(len(quoted), dtype=bool)
    for _ in range(_QUOTE_STEPS):
        active &= (at <= last[quoted]) & (classes[np.minimum(at, len(classes) - 1)] & (_SPACE | _QUOTE) != 0)
        if not active.any():
            break
        depth[quoted[active]] += classes[at[active]] & _QUOTE != 0
        at[active] += 1
    else:
        longer = quoted[active]
        runs = _runs((classes & (_SPACE | _QUOTE)) != 0)
        at[active] = _out_of_runs(runs, at[active], forward=True)
        depth[longer] += _ranges_hold(classes, first[longer] + _QUOTE_STEPS, np.minimum(at[active], last[longer] + 1),
                                      _QUOTE)
    body[quoted] = np.minimum(at, len(classes) - 1)
    return body, depth


def _bare(classes: np.ndarray, body: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Whether each line ``[body, last]`` holds no letter, digit or sentence-final mark."""
    bits = _LETTER | _DIGIT | _FINAL
    bare = np.zeros(len(body), dtype=bool)
    # Most lines open with a letter or digit: only the others are read.
    rest = np.flatnonzero((body <= last) & (classes[body] & bits == 0))
    bare[rest] = _ranges_hold(classes, body[rest], last[rest] + 1, bits) == 0
    bare[body > last] = True
    return bare


def _word_counts(classes: np.ndarray, space_starts: np.ndarray, text_starts: np.ndarray, first: np.ndarray,
                 last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The words (runs of non-whitespace) of each line ``[first, last]``, and those holding a digit.

    A word is numbered by the runs of whitespace (and text starts) before it,
    so that only the digits, not every character, are looked at one by one.
    """
    gaps = np.insert(space_starts, np.searchsorted(space_starts, text_starts), text_starts)
    digit = (classes & _DIGIT) != 0
    number_starts = digit.copy()  # the first digit of each run of digits: one a number mostly
    number_starts[1:] &= ~digit[:-1]
    digit_words = np.searchsorted(gaps, np.flatnonzero(number_starts), side="right")
    digit_words = digit_words[run_starts(digit_words)]
    first_word, last_word = np.searchsorted(gaps, first, side="right"), np.searchsorted(gaps, last, side="right")
    return last_word - first_word + 1, (np.searchsorted(digit_words, last_word, side="right")
                                         - np.searchsorted(digit_words, first_word))


def _column_gaps(space: tuple[np.ndarray, np.ndarray], points: np.ndarray, first: np.ndarray,
                 last: np.ndarray) -> np.ndarray:
    """How many runs of whitespace between the words of each line ``[first, last]``
    are three or more long or hold a tab."""
    starts, ends = space
    if not len(first):
        return np.zeros(0, dtype=np.int64)
    wide = ends - starts >= 3
    wide[np.searchsorted(starts, np.flatnonzero(points == 9), side="right") - 1] = True  # or holding a tab
    starts, ends = starts[wide], ends[wide]
    line = np.searchsorted(first, starts, side="right") - 1
    inside = (line >= 0) & (ends <= last[np.maximum(line, 0)])
    return np.bincount(line[inside], minlength=len(first))


_ITEM_WORD = 6  # the longest list marker, "(viii)"
_QUOTE_STEPS = 8
_ROMAN = np.array([ord(c) for c in "ivxIVX"])


def _list_items(points: np.ndarray, classes: np.ndarray, first: np.ndarray, word_ends: np.ndarray,
                last: np.ndarray) -> np.ndarray:
    """:func:`_is_list_item` of each line ``[first, last]`` whose first word ends at ``word_ends``."""
    length = word_ends - first
    goes_on = word_ends <= last
    item = goes_on & (length >= 2) & (points[np.maximum(word_ends - 1, 0)] == ord(":")) & (
        classes[first] & _LETTER != 0)
    # A marker ends in "." or ")", or is one character.
    closing = points[np.maximum(word_ends - 1, 0)]
    rows = np.flatnonzero((length <= _ITEM_WORD) & goes_on & ~item & (
        (length == 1) | (closing == ord(".")) | (closing == ord(")"))))
    if not len(rows) or not len(points):
        return item
    length = length[rows]
    chars = points[np.minimum(first[rows, None] + np.arange(_ITEM_WORD), len(points) - 1)]
    flags = _classes(chars)
    opened = (chars[:, 0] == ord("(")).astype(np.int64)
    closer = chars[np.arange(len(rows)), length - 1]
    core = length - 1 - opened
    position = np.arange(_ITEM_WORD)
    in_core = (position >= opened[:, None]) & (position < (length - 1)[:, None])

    def all_core(mask: np.ndarray) -> np.ndarray:
        return (mask | ~in_core).all(axis=1) & (core > 0)

    closes, dot = closer == ord(")"), closer == ord(".")
    folded = chars | 32
    item[rows] = ((length == 1) & np.isin(chars[:, 0], [ord(c) for c in _BULLETS])) | ((length > 1) & (
        ((closes | dot) & (core <= 3) & all_core(flags & _DIGIT != 0))
        | (closes & (((core == 1) & all_core((folded >= ord("a")) & (folded <= ord("z"))))
                     | ((core <= 4) & all_core(np.isin(chars, _ROMAN)))))
        | (dot & (core <= 4) & all_core(np.isin(chars, _ROMAN[3:])))))
    return item


def _joined_breaks(lines: _Lines, at: np.ndarray, owner: np.ndarray, width: np.ndarray, usual_indent: np.ndarray,
                   wrapped: bool) -> np.ndarray:
    """:func:`_joins` of each line ``at`` and the line before it, in blocks ``owner`` of ``width`` and
    ``usual_indent``, with each block's evidence."""
    a, b = at - 1, at
    widths = lines.last + 1 - lines.start
    indents = lines.first - lines.start
    width, usual_indent = width[owner], usual_indent[owner]
    mid_sentence = ~lines.ends_sentence[a]
    apart = lines.bare[a] | lines.bare[b] | (lines.depth[a] != lines.depth[b])
    kept_apart = apart | (indents[b] > usual_indent)
    wrapping = wrapped | ((width >= _MIN_WRAP_WIDTH) & (width <= _MAX_WRAP_WIDTH))
    full = wrapping & (widths[a] + 1 + lines.first_word[b] > width)
    abbreviation = lines.lower[b] & full & lines.period[a]
    table = (lines.aligned[a] | lines.aligned[b] | (lines.numeric[a] & (widths[a] < _TABLE_SHARE * width))
             | (lines.numeric[b] & (widths[b] < _TABLE_SHARE * width)))
    held = ~kept_apart & ~abbreviation & ~table & ~(lines.item[b] & (lines.item[a] | ~mid_sentence | ~full))
    join = ((~apart & lines.soft_end[a] & lines.lower[b]) | (~kept_apart & abbreviation)
            | (held & mid_sentence & wrapping & (widths[a] >= _HALF * width)))
    if wrapped:
        return join | (held & ~mid_sentence & full)
    evidence = np.bincount(owner[(join & mid_sentence) | (indents[b] > usual_indent) | (indents[a] > usual_indent)],
                           minlength=len(owner)) > 0
    return join | (held & ~mid_sentence & full & evidence[owner])


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
    """:func:`_line_ranges` of all blocks, lines ``[first, stop)`` each, at once:
    the line ranges of their paragraphs, in no particular order.

    Every block that splits is cut again, as a block of its own, in the next
    round; rounds go on until no block splits.
    """
    widths = np.append(np.where(lines.bare, 0, lines.last + 1 - lines.start), 0)
    indents = lines.first - lines.start
    done = [(first[:0], stop[:0])]
    while len(first):
        single = stop - first == 1
        done.append((first[single], stop[single]))
        first, stop = first[~single], stop[~single]
        if not len(first):
            break
        width = np.maximum.reduceat(widths, np.ravel([first, stop], order="F"))[::2]
        at, owner = _ranges(first + 1, stop)
        cut = ~_joined_breaks(lines, at, owner, width, _usual_indents(indents, first, stop), mode == "wrapped")
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
    return (text[start:end] for text, start, end in paragraph_sources(texts, paragraphs, rows))


def paragraph_sources(texts: Iterable[str], paragraphs: Paragraphs,
                      rows: np.ndarray | None = None) -> Iterator[tuple[str, int, int]]:
    """:func:`paragraph_texts` as ``(text, start, end)``, the paragraph not copied out of its text."""
    if rows is not None:
        paragraphs = Paragraphs(*(column[rows] for column in (paragraphs.doc, paragraphs.index,
                                                               paragraphs.start, paragraphs.end)))
    wanted = zip(paragraphs.doc.tolist(), paragraphs.start.tolist(), paragraphs.end.tolist())
    doc, start, end = next(wanted, (None, 0, 0))
    if doc is None:
        return
    for position, text in enumerate(texts):
        while doc == position:
            yield text, start, end
            doc, start, end = next(wanted, (None, 0, 0))
            if doc is None:
                return
