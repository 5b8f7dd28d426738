"""How well each segmentation mode finds paragraph boundaries, on real paragraphs laid out as corpora lay them out.

Real paragraphs (Wikipedia leads in English, French and Spanish; short
news-like paragraphs of their first sentences; prose blocks of Usenet posts,
unwrapped) are laid out, with their boundaries known, as:

- ``wrapped-indent``: hard-wrapped at a width of 40-100, a paragraph marked
  only by its indented first line;
- ``wrapped-blank``: hard-wrapped, paragraphs apart by blank lines;
- ``wrapped-plain``: hard-wrapped, nothing marking a paragraph but its last
  line: short, where the next word would have fitted;
- ``newswire``: stories of 1-5 short paragraphs wrapped near 70 columns, the
  first line short (a dateline was cut from it), later paragraphs indented,
  a one-word sign-off line, no blank lines: most stories are blocks of 2-6 lines;
- ``one-per-line``: one paragraph per line, no blank lines (scraped pages):
  long leads, short paragraphs of a sentence or two, headlines;
- ``mixed``: wrapped prose with headers, lists, tables and sign-off lines
  among it, each such line a paragraph of its own;
- ``crlf-tabs``: ``wrapped-indent`` with CRLF line breaks and a tab indenting
  each paragraph.

For each layout and mode it prints boundary precision and recall (a boundary
is the start of every paragraph but a document's first) and their F1, and the
share of documents cut inside a sentence: a boundary at a single line break,
after a line ending in a letter, digit or comma, before a line starting in
lower case. In ``wrapped-plain`` a paragraph whose last line happens to be
full has no mark at all; recall and F1 over the boundaries that have one
(a reader's best) are printed too.

Run: python -m benchmarks.segmentation [--documents 400] [--modes auto,wrapped,lines,blank-lines]
"""

from __future__ import annotations

import argparse
import random
import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from benchmarks.corpora import SAMPLE_ARTICLE, records
from dedup.stages.segment import paragraph_spans, segment

MODES = ("auto", "wrapped", "lines", "blank-lines")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý\"“¿¡])")
_SIGN_OFFS = ["Reuters", "AP", "Wire", "UPI", "AFP", "REUTER", "Staff", "(End)", "--30--"]
_HEADERS = ["RESULTS", "Background", "Chapter 4", "FIRST QUARTER", "Outlook:", "Related stories", "NOTES",
            "Introduction", "Market summary", "II. Methods", "SPORTS", "Weather"]
_ITEMS = ["Net income rose on higher sales", "the company's plan for next year", "two new plants opened",
          "Revenue by region", "costs cut by a fifth", "Shares outstanding", "dividend unchanged",
          "Board approves buyback", "new chief executive named", "see page 4 for details"]
_LIST_MARKS = ["- ", "* ", "• ", "1. ", "2) ", "(a) "]
_TABLE_ROWS = ["Shr {a}.{b} dlrs vs {c}.{d} dlrs", "Net {a},{b}00,000 vs {c},{d}00,000",
               "Revs {a}{b}.{c} mln vs {d}{a}.{b} mln", "{a}{b} mths Shr {c}.{d} dlrs",
               "Avg shrs {a},{b}{c}{d},000", "Qtly div {a} cts vs {b} cts prior"]
_DATELINES = ["CHICAGO, March 3 - ", "NEW YORK, April 12 - ", "TOKYO, June 1 - ", "LONDON, Oct 20 - "]


@dataclass
class Document:
    """A laid-out text and the starts of its paragraphs (the true boundaries are
    all but the first), those of them that nothing marks apart."""

    text: str
    starts: list[int]
    unmarked: set[int] = field(default_factory=set)


class Builder:
    """Pieces of text appended in order, remembering where each paragraph starts."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.starts: list[int] = []

    def add(self, text: str, paragraph: bool = False) -> None:
        if paragraph:
            self.starts.append(self.length + len(text) - len(text.lstrip()))
        self.parts.append(text)
        self.length += len(text)

    def paragraph(self, lines: list[str], first_indent: str = "", newline: str = "\n") -> None:
        self.add(first_indent + lines[0], paragraph=True)
        for line in lines[1:]:
            self.add(newline + line)

    def document(self) -> Document:
        return Document("".join(self.parts), self.starts)


def wrap(text: str, width: int, first_line_taken: int = 0) -> list[str]:
    """``text`` wrapped at ``width`` columns (words never broken), its first line ``first_line_taken`` shorter."""
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False,
                          initial_indent="x" * first_line_taken)
    lines[0] = lines[0][first_line_taken:]
    return lines


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def source_paragraphs(limit: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """Long paragraphs (Wikipedia leads in three languages, Usenet prose) and short
    ones (a lead's first one or two sentences), each on one line, shuffled."""
    long, short = [], []
    for language in ("en", "fr", "es"):
        for record in records(f"wikipedia_vital_{language}.jsonl.gz", limit):
            for text in record["text"].split("\n"):
                text = " ".join(text.split())
                if len(text) >= 40:
                    long.append(text)
                    first = sentences(text)[: rng.choice((1, 1, 2))]
                    short.append(" ".join(first))
    for record in records("20newsgroups.jsonl.gz", limit):
        long.extend(usenet_prose(record["text"]))
    rng.shuffle(long)
    rng.shuffle(short)
    return long, short


def usenet_prose(text: str) -> Iterator[str]:
    """The blocks of a post's body that read as wrapped prose, each joined into one line."""
    body = text.split("\n\n", 1)[-1]
    for block in re.split(r"\n[ \t]*\n", body):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if (2 <= len(lines) <= 12 and all(30 <= len(line) <= 80 for line in lines[:-1])
                and not any(line[0] in ">|:-=*#+" or line.count("  ") > 2 for line in lines)
                and lines[-1][-1] in ".!?"):
            yield " ".join(" ".join(lines).split())


def _pick(pool: list[str], rng: random.Random) -> str:
    return pool[rng.randrange(len(pool))]


def wrapped_indent(long: list[str], short: list[str], rng: random.Random, newline: str = "\n",
                   indent: str | None = None) -> Document:
    width, doc = rng.randint(40, 100), Builder()
    indent = indent if indent is not None else " " * rng.randint(1, 5)
    for k in range(rng.randint(2, 7)):
        if k:
            doc.add(newline)
        doc.paragraph(wrap(_pick(long, rng), width, len(indent)), indent, newline)
    return doc.document()


def wrapped_blank(long: list[str], short: list[str], rng: random.Random) -> Document:
    width, doc = rng.randint(40, 100), Builder()
    for k in range(rng.randint(2, 7)):
        if k:
            doc.add("\n\n")
        doc.paragraph(wrap(_pick(long, rng), width))
    return doc.document()


def wrapped_plain(long: list[str], short: list[str], rng: random.Random) -> Document:
    width, doc, unmarked, previous = rng.randint(40, 100), Builder(), set(), ""
    for k in range(rng.randint(2, 7)):
        lines = wrap(_pick(long, rng), width)
        if k:
            doc.add("\n")
            if len(previous) + 1 + len(lines[0].split()[0]) > width:  # the last line is full
                unmarked.add(doc.length)
        doc.paragraph(lines)
        previous = lines[-1]
    return replace(doc.document(), unmarked=unmarked)


def newswire(long: list[str], short: list[str], rng: random.Random) -> Document:
    width, doc = rng.randint(65, 75), Builder()
    for k in range(rng.choice((1, 1, 2, 2, 3, 4, 5))):
        if k:
            doc.add("\n")
            doc.paragraph(wrap(_pick(short, rng), width, 4), "    ")
        else:
            doc.paragraph(wrap(_pick(short, rng), width, len(rng.choice(_DATELINES))))
    doc.add("\n")
    doc.add(" " + rng.choice(_SIGN_OFFS), paragraph=True)
    doc.add("\n")
    return doc.document()


def one_per_line(long: list[str], short: list[str], rng: random.Random) -> Document:
    doc = Builder()
    pool = long if rng.random() < 0.5 else short
    for k in range(rng.randint(2, 10)):
        if k:
            doc.add("\n")
        line = rng.choice(_HEADERS) if rng.random() < 0.1 else _pick(pool, rng)
        doc.add(line, paragraph=True)
    return doc.document()


def _table_row(rng: random.Random) -> str:
    digits = {name: rng.randint(1, 9) for name in "abcd"}
    return rng.choice(_TABLE_ROWS).format(**digits)


def mixed(long: list[str], short: list[str], rng: random.Random) -> Document:
    width, doc = rng.randint(50, 90), Builder()
    marked_by_blank = rng.random() < 0.5
    separator = "\n\n" if marked_by_blank else "\n"
    for k in range(rng.randint(3, 8)):
        if k:
            doc.add(separator)
        kind = rng.choice(("prose", "prose", "prose", "header", "list", "table", "sign-off"))
        if kind == "prose":
            indent = "" if marked_by_blank else "   "
            doc.paragraph(wrap(_pick(long if rng.random() < 0.5 else short, rng), width, len(indent)), indent)
        elif kind == "header":
            doc.add(rng.choice(_HEADERS), paragraph=True)
        elif kind == "sign-off":
            doc.add(" " + rng.choice(_SIGN_OFFS), paragraph=True)
        else:
            mark = rng.choice(_LIST_MARKS)
            rows = [mark + rng.choice(_ITEMS) if kind == "list" else _table_row(rng)
                    for _ in range(rng.randint(2, 6))]
            for j, row in enumerate(rows):
                if j:
                    doc.add("\n")
                doc.add(row, paragraph=True)
    return doc.document()


def crlf_tabs(long: list[str], short: list[str], rng: random.Random) -> Document:
    return wrapped_indent(long, short, rng, newline="\r\n", indent="\t")


LAYOUTS: dict[str, Callable[[list[str], list[str], random.Random], Document]] = {
    "wrapped-indent": wrapped_indent, "wrapped-blank": wrapped_blank, "wrapped-plain": wrapped_plain,
    "newswire": newswire, "one-per-line": one_per_line, "mixed": mixed, "crlf-tabs": crlf_tabs,
}


def documents(layout: str, count: int, seed: int = 0, source_limit: int = 3000) -> list[Document]:
    """``count`` documents of ``layout``, the same for the same seed."""
    rng = random.Random(seed)
    long, short = source_paragraphs(source_limit, rng)
    return [LAYOUTS[layout](long, short, rng) for _ in range(count)]


_MID_SENTENCE_BEFORE = re.compile(r"[^\W_]|[,]", re.UNICODE)


def cut_mid_sentence(text: str, start: int) -> bool:
    """A boundary at ``start`` cuts a sentence: one line break before it, after a
    line ending in a letter, digit or comma, and the paragraph starts in lower case."""
    before = text[:start].rstrip(" \t")
    if not before.endswith("\n") or before.endswith(("\n\n", "\r\n\r\n")) or not text[start].islower():
        return False
    previous = before.rstrip("\r\n")
    return bool(previous) and (previous[-1].isalnum() or previous[-1] == ",")


@dataclass
class Score:
    true: int = 0
    marked: int = 0
    found: int = 0
    right: int = 0
    right_marked: int = 0
    documents: int = 0
    cut_documents: int = 0

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    def recall(self, marked_only: bool = False) -> float:
        right, true = (self.right_marked, self.marked) if marked_only else (self.right, self.true)
        return right / true if true else 1.0

    def f1(self, marked_only: bool = False) -> float:
        p, r = self.precision, self.recall(marked_only)
        return 2 * p * r / (p + r) if p + r else 0.0


def score(docs: list[Document], mode: str) -> Score:
    result = Score()
    batch = segment([doc.text for doc in docs], mode)
    for position, doc in enumerate(docs):
        rows = np.flatnonzero(batch.doc == position)
        starts = batch.start[rows].tolist()
        assert starts == paragraph_spans(doc.text, mode)[:, 0].tolist(), "segment and paragraph_spans differ"
        true, found = set(doc.starts[1:]), set(starts[1:])
        result.true += len(true)
        result.marked += len(true - doc.unmarked)
        result.found += len(found)
        result.right += len(true & found)
        result.right_marked += len((true - doc.unmarked) & found)
        result.documents += 1
        result.cut_documents += any(cut_mid_sentence(doc.text, s) for s in found - true)
    return result


def sample_article_unchanged(mode: str) -> bool:
    text = SAMPLE_ARTICLE.read_text(encoding="utf-8")
    return [text[s:e] for s, e in paragraph_spans(text, mode).tolist()] == [
        line.strip() for line in text.split("\n") if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=400, help="documents per layout (default 400)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"modes to score (default {','.join(MODES)})")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    modes = args.modes.split(",")
    print(f"| layout | boundaries (marked) | {' | '.join(f'{m}: P / R / F1 (cut docs)' for m in modes)} |")
    print(f"|---|---|{'---|' * len(modes)}")
    for layout in LAYOUTS:
        docs = documents(layout, args.documents, args.seed)
        scores = [score(docs, mode) for mode in modes]
        cells = []
        for s in scores:
            marked = f"; marked: {s.recall(True):.4f} / **{s.f1(True):.4f}**" if s.marked < s.true else ""
            cells.append(f"{s.precision:.4f} / {s.recall():.4f} / **{s.f1():.4f}**{marked} "
                         f"({s.cut_documents / s.documents:.1%})")
        print(f"| {layout} | {scores[0].true} ({scores[0].marked}) | {' | '.join(cells)} |")
    print()
    print("sample article cut one paragraph per line: "
          + ", ".join(f"{mode} {'yes' if sample_article_unchanged(mode) else 'NO'}" for mode in modes))


if __name__ == "__main__":
    main()
