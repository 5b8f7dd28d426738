"""Slow, obvious references that the fast paths are tested and measured against.

:func:`reference_normalize` applies the normalisation steps one character at a
time; :func:`reference_shingles` computes a paragraph's shingle set in plain
Python integers, exactly as :mod:`dedup.stages.shingle` defines it;
:func:`reference_representatives` runs the whole near-duplicate search the
slow way (Python sets, ``datasketch.MinHash``, dictionaries of bands, the rule
of :mod:`dedup.stages.cluster` one paragraph at a time), the same algorithm as
:func:`dedup.find_duplicates`.

:func:`exact_pairs` returns every pair of sets with Jaccard >= ``threshold``,
with no sampling or hashing error, using *prefix filtering*: order shingles
from rarest to commonest; if ``J(A, B) >= t`` then the first
``|A| - ceil(t |A|) + 1`` shingles of ``A`` and the corresponding prefix of
``B`` share a shingle. So only pairs that meet in a prefix's inverted list are
candidates, each verified exactly. The rare-first order keeps the lists short;
a shingle in every prefix would still make it quadratic, as brute force is.

Example
-------
>>> from dedup.stages.shingle import shingle_sets
>>> from dedup.reference import exact_pairs
>>> sets = shingle_sets(["a b c d e", "a b c d f", "v w x y z"], "word", 1)
>>> [(int(i), int(j)) for i, j in zip(*exact_pairs(sets, 0.6))]
[(0, 1)]
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from .config import DedupConfig
from .stages.arrays import run_starts
from .stages.cluster import MAX_KEPT_PER_BUCKET
from .stages.hashing import FMIX64_MULTIPLIERS, FOLD
from .stages.lsh import resolve_lsh
from .stages.normalize import JOINERS, WORD_ENDINGS
from .stages.shingle import SCRIPTIO_CONTINUA, TOKEN_BASE, ShingleSets
from .stages.verify import jaccard

__all__ = ["reference_normalize", "reference_tokens", "reference_shingles", "reference_representatives",
           "exact_pairs"]

_MASK = (1 << 64) - 1
_ALONE = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in SCRIPTIO_CONTINUA)
_WORD = re.compile(f"[{_ALONE}]|[^\\s{_ALONE}]+")


def reference_normalize(text: str, unicode_form: str | None = "NFKC", casefold: bool = True,
                        fold_punctuation: bool = True) -> str:
    """The steps of :mod:`dedup.stages.normalize`, one after another, character by character."""
    if unicode_form is not None:
        text = unicodedata.normalize(unicode_form, text)

    def category(i: int) -> str:
        return unicodedata.category(text[i]) if 0 <= i < len(text) else ""

    out = []
    for i, character in enumerate(text):
        between_digits = character in JOINERS and category(i - 1) == category(i + 1) == "Nd"
        single_letters = (character == "." and category(i - 1).startswith("L") and not category(i - 2).startswith("L")
                          and category(i + 1).startswith("L") and text[i + 2 : i + 3] == ".")
        word = category(i - 1)[:1] == "L" or category(i - 1) == "Nd"
        word_ending = character in WORD_ENDINGS and (
            word or (text[i - 1 : i] == character and (category(i - 2)[:1] == "L" or category(i - 2) == "Nd")))
        if fold_punctuation and (between_digits or single_letters or word_ending):  # a mark that carries a fact
            out.append(character)
            continue
        for folded in character.casefold() if casefold else character:
            kind = unicodedata.category(folded)
            if kind == "Cf":
                continue
            symbol = kind in ("Sc", "So")
            out.append(" " if fold_punctuation and (kind[0] in "PS" or kind == "Cc") and not symbol else folded)
    return " ".join("".join(out).split())


def reference_tokens(text: str, unit: str) -> list[str]:
    """Tokens by regular expression: words, with each scriptio-continua character alone."""
    return list(text) if unit == "char" else _WORD.findall(text)


def _fmix64(h: int) -> int:
    m1, m2 = FMIX64_MULTIPLIERS
    h ^= h >> 33
    h = (h * m1) & _MASK
    h ^= h >> 33
    h = (h * m2) & _MASK
    return h ^ (h >> 33)


def _token_hash(token: str) -> int:
    h = 0
    for character in token:
        h = (h * TOKEN_BASE + ord(character) + 1) & _MASK
    return _fmix64(h)


def reference_shingles(text: str, unit: str, n: int) -> set[int]:
    """The shingle set of one normalised paragraph, in plain Python integers."""
    hashes = [_token_hash(t) for t in reference_tokens(text, unit)]
    width = min(n, len(hashes))
    shingles = set()
    for i in range(len(hashes) - width + 1 if hashes else 0):
        h = hashes[i]
        for value in hashes[i + 1 : i + width]:
            h = (h * FOLD + value) & _MASK
        shingles.add(_fmix64(h))
    return shingles


def _pairs_within_groups(group: np.ndarray, item: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs of items sharing a group, as ``(smaller, larger)``; ``group`` sorted."""
    position = np.arange(len(group))
    starts = run_starts(group)
    group_end = np.append(np.flatnonzero(starts)[1:], len(group))[np.cumsum(starts) - 1]
    partners = group_end - position - 1  # later items in the same group
    left = np.repeat(position, partners)
    right = left + 1 + np.arange(len(left)) - np.repeat(np.cumsum(partners) - partners, partners)
    a, b = item[left], item[right]
    return np.minimum(a, b), np.maximum(a, b)


def exact_pairs(sets: ShingleSets, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """All ``(i, j)``, ``i < j``, with exact Jaccard >= ``threshold``, sorted."""
    sets = sets.unique()
    owner = np.repeat(np.arange(len(sets), dtype=np.int64), sets.sizes)
    values, counts = np.unique(sets.values, return_counts=True)
    frequency = counts[np.searchsorted(values, sets.values)]
    order = np.lexsort((sets.values, frequency, owner))  # each set rarest first
    rank = np.arange(len(order)) - np.repeat(sets.offsets[:-1], sets.sizes)
    prefix = sets.sizes - np.ceil(threshold * sets.sizes - 1e-9).astype(np.int64) + 1
    in_prefix = rank < prefix[owner]
    token, member = sets.values[order][in_prefix], owner[order][in_prefix]
    by_token = np.lexsort((member, token))
    left, right = _pairs_within_groups(token[by_token], member[by_token])
    keys = np.unique(left * len(sets) + right)
    left, right = keys // len(sets), keys % len(sets)
    keep = jaccard(sets, left, right) >= threshold
    return left[keep], right[keep]


def reference_representatives(paragraphs: list[str], config: DedupConfig,
                              documents: list[int] | None = None) -> list[int]:
    """For each non-blank text, taken whole as one paragraph (of document
    ``documents[i]``, by default a document each), the text kept in its place:
    the rule of :mod:`dedup.stages.cluster`, one paragraph at a time."""
    from datasketch import MinHash

    lsh = resolve_lsh(config)
    n = len(paragraphs)
    doc = list(range(n)) if documents is None else documents
    normalized = [reference_normalize(p, config.unicode_form, config.casefold, config.fold_punctuation)
                  for p in paragraphs]
    identity = [("n", t) if t else ("r", " ".join(p.split())) for p, t in zip(paragraphs, normalized)]
    key = [(identity[row], doc[row]) if config.scope == "within" else identity[row] for row in range(n)]
    first: dict = {}
    for row in range(n):
        first.setdefault(key[row], row)
    tokens = [len(reference_tokens(t, config.shingle)) for t in normalized]
    protected = [tokens[row] < config.keep_shorter_than for row in range(n)]
    sets = {row: reference_shingles(normalized[row], config.shingle, config.ngram_size) for row in first.values()}
    fuzzy = [row for row in sorted(sets) if sets[row] and tokens[row] >= config.min_tokens]

    bands: dict = {}
    for row in fuzzy:
        m = MinHash(num_perm=config.num_perm, seed=config.seed, hashfunc=lambda v: v)
        m.update_batch([h & 0xFFFFFFFF for h in sets[row]])
        for band in range(lsh.bands):
            bucket = (band, tuple(m.hashvalues[band * lsh.rows:(band + 1) * lsh.rows].tolist()))
            bands.setdefault(bucket + ((doc[row],) if config.scope == "within" else ()), []).append(row)
    buckets_of: dict = {}
    for bucket, members in bands.items():
        if len(members) >= 2:
            for row in members:
                buckets_of.setdefault(row, []).append(bucket)

    def jaccard(a: int, b: int) -> float:
        return len(sets[a] & sets[b]) / len(sets[a] | sets[b])

    kept: dict = {}
    place = list(range(n))
    for row in sorted(buckets_of):
        like = [i for bucket in buckets_of[row] for i in kept.get(bucket, [])
                if not (config.scope == "across" and doc[i] == doc[row]) and jaccard(i, row) >= config.threshold]
        if like and not protected[row]:
            place[row] = min(like)
        else:
            for bucket in buckets_of[row]:
                if len(kept.setdefault(bucket, [])) < MAX_KEPT_PER_BUCKET:
                    kept[bucket].append(row)

    representatives = []
    for row in range(n):
        stands_for = first[key[row]]
        kept_for = place[stands_for]
        if protected[row] or (config.scope == "across" and kept_for == stands_for and doc[stands_for] == doc[row]):
            kept_for = row
        representatives.append(kept_for)
    return representatives
