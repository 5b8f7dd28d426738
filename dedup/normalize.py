"""Stage 2: normalise paragraph text so that trivial differences do not count.

``normalize`` applies, in order:

1. Unicode normalisation (``unicode_form``, NFKC by default): full-width and
   compatibility characters, ligatures and composed accents become one form.
2. ``casefold`` (default on): case-insensitive matching, including ``ß`` → ``ss``.
3. Format characters (Unicode category Cf: zero-width spaces and joiners, soft
   hyphens, direction marks) are deleted, always: they are invisible and
   otherwise let a copied paragraph dodge detection.
4. ``fold_punctuation`` (default on): punctuation and symbols (categories P*
   and S*) and control characters become spaces, so ``"well-known"`` and
   ``"well known"`` match and e-mail quote markers (``>``, ``|``, both maths
   symbols to Unicode) vanish wherever they stand. Letters, marks and digits
   are all that is left.
5. Runs of whitespace become one space; the ends are stripped.

Example
-------
>>> from dedup.normalize import normalize
>>> normalize("  The ＱＵＩＣＫ\\u200b brown—fox!! ")
'the quick brown fox'
"""

from __future__ import annotations

import sys
import unicodedata
from functools import cache
from typing import Iterable

__all__ = ["normalize", "normalize_all"]


@cache
def _translation(fold_punctuation: bool) -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(code))
        if category == "Cf":
            table[code] = None
        elif fold_punctuation and (category[0] in "PS" or category == "Cc"):
            table[code] = " "
    return table


@cache
def _ascii_translation(fold_punctuation: bool) -> tuple[bytes, bytes]:
    """The ASCII part of :func:`_translation` as ``bytes.translate`` arguments."""
    table = _translation(fold_punctuation)
    mapped = bytes(ord(table[c]) if table.get(c) else c for c in range(256))
    deleted = bytes(c for c in range(128) if c in table and table[c] is None)
    return mapped, deleted


def normalize(
    text: str,
    unicode_form: str | None = "NFKC",
    casefold: bool = True,
    fold_punctuation: bool = True,
) -> str:
    """The normalised form of ``text`` (see the module docstring for the steps)."""
    return normalize_all([text], unicode_form, casefold, fold_punctuation)[0]


def normalize_all(
    texts: Iterable[str],
    unicode_form: str | None = "NFKC",
    casefold: bool = True,
    fold_punctuation: bool = True,
) -> list[str]:
    """:func:`normalize` of each text, with the per-call set-up done once."""
    table = _translation(fold_punctuation)
    ascii_table, ascii_deleted = _ascii_translation(fold_punctuation)
    out = []
    for text in texts:
        if text.isascii():
            # Same result, several times faster: ASCII is already in every
            # normal form, its casefold is lower(), and bytes.translate is a table lookup.
            text = text.encode("ascii").translate(ascii_table, ascii_deleted).decode("ascii")
            out.append(" ".join((text.lower() if casefold else text).split()))
            continue
        if unicode_form is not None:
            text = unicodedata.normalize(unicode_form, text)
        if casefold:
            text = text.casefold()
        out.append(" ".join(text.translate(table).split()))
    return out
