"""The one place where options are declared, defaulted and validated."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["DedupConfig", "OptionError", "KERNELS", "SCOPES", "SEGMENTATION_MODES", "SHINGLE_UNITS", "UNICODE_FORMS"]

SEGMENTATION_MODES = ("auto", "blank-lines", "lines", "wrapped", "none")
SCOPES = ("all", "across", "within")
SHINGLE_UNITS = ("word", "char")
UNICODE_FORMS = ("NFKC", "NFC", "NFKD", "NFD", None)
KERNELS = ("numpy", "numba")

# Defaults chosen by benchmarks/choose_ngram.py on real paragraphs; see README.
DEFAULT_NGRAM = {"word": 2, "char": 5}


class OptionError(ValueError):
    """An option value out of bounds: ``names`` are the options at fault (one,
    or two that go together), ``expected`` what they must be, ``value`` what
    they were. Its message names the options as :class:`DedupConfig` does; the
    command line names its flags instead."""

    def __init__(self, names: tuple[str, ...], expected: str, value: Any, label: str | None = None) -> None:
        super().__init__(f"{label or ' and '.join(names)} must be {expected}; got {value!r}")
        self.names, self.expected, self.value = names, expected, value


def _expect(condition: bool, name: str, expected: str, value: Any) -> None:
    if not condition:
        raise OptionError((name,), expected, value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class DedupConfig:
    """Every option of the pipeline, frozen and validated on creation.

    Parameters
    ----------
    threshold:
        Jaccard similarity of shingle sets at or above which two paragraphs are
        near-duplicates, in (0, 1].
    segmentation:
        How a text is cut into paragraphs: ``"auto"`` (default), ``"blank-lines"``,
        ``"lines"``, ``"wrapped"``, or ``"none"`` (each text is one paragraph);
        see :mod:`dedup.stages.segment`.
    shingle:
        ``"word"`` (default) for word n-grams, ``"char"`` for character n-grams.
        In word mode, characters of scripts written without spaces (Chinese,
        Japanese, Thai, Lao, Khmer, Myanmar) count as one token each, so such
        text is shingled by characters automatically.
    ngram:
        Tokens per shingle; ``None`` means 2 for words and 5 for characters.
    min_tokens:
        Paragraphs with fewer tokens than this (after normalisation) are only
        matched exactly, never fuzzily: a Jaccard over a handful of shingles is
        noise.
    scope:
        Which repeats are removed: ``"all"`` (default), ``"across"`` (only a
        paragraph that repeats one of another, earlier document: boilerplate,
        syndicated copies) or ``"within"`` (only one that repeats a paragraph
        earlier in its own document: a scraper's doubled block).
    keep_shorter_than:
        Paragraphs with fewer tokens than this are never removed, whatever they
        repeat ("Terms were not disclosed."); 0 (default) protects none.
    numbers_must_match:
        If true, two paragraphs whose numbers differ (the words holding a
        digit, in order: "1.25", "12:30", "2024-01-05") are never
        near-duplicates, however alike the rest: templated filings that differ
        only in their figures are all kept. Exact copies are unaffected. Off by
        default; either way :attr:`~dedup.report.Report.numbers_differ` marks
        the near-duplicates whose numbers differ.
    num_perm:
        MinHash permutations per signature.
    bands, rows:
        LSH banding; both ``None`` (default) to choose them from the threshold
        (see :func:`dedup.stages.lsh.optimal_bands`), or both set with
        ``bands * rows <= num_perm``.
    false_positive_weight, false_negative_weight:
        Weights of the two error areas under the LSH S-curve minimised when
        choosing bands and rows. Every candidate is verified exactly, so a false
        positive only costs one exact check while a false negative loses a
        duplicate. The default 0.005 : 0.995 gives 18 bands of 7 rows at
        threshold 0.8, and a pair exactly at any threshold from 0.5 to 0.95
        becomes a candidate with probability >= 0.986; measured recall
        against exact all-pairs is in ``benchmarks/accuracy.py``.
    seed:
        Seed of the MinHash permutations (same meaning as ``datasketch.MinHash``).
    n_jobs:
        Workers for the per-paragraph stages: processes, or threads with
        ``kernel="numba"`` (its loops release the GIL). ``None`` (default) uses
        every available core once the corpus is large enough for that to pay
        (see :mod:`dedup.engines.local`), else one. When the calling function is given
        an ``executor``, the number of workers it runs (``None``: every core),
        which sizes the batches. Results never depend on it.
    kernel:
        ``"numpy"`` (default), or ``"numba"`` to run the normalize, shingle,
        MinHash and exact Jaccard stages as compiled loops (:mod:`dedup.stages.compiled`;
        ``pip install 'paradedup[numba]'``). Results are identical.
    unicode_form, casefold, fold_punctuation:
        Normalisation; see :func:`dedup.stages.normalize.normalize`.

    Example
    -------
    >>> from dedup import DedupConfig
    >>> DedupConfig(threshold=0.7).ngram_size
    2
    >>> DedupConfig(threshold=1.5)
    Traceback (most recent call last):
    ...
    dedup.config.OptionError: threshold must be a number in (0, 1]; got 1.5
    """

    threshold: float = 0.8
    segmentation: Literal["auto", "blank-lines", "lines", "wrapped", "none"] = "auto"
    shingle: Literal["word", "char"] = "word"
    ngram: int | None = None
    min_tokens: int = 5
    scope: Literal["all", "across", "within"] = "all"
    keep_shorter_than: int = 0
    numbers_must_match: bool = False
    num_perm: int = 128
    bands: int | None = None
    rows: int | None = None
    false_positive_weight: float = 0.005
    false_negative_weight: float = 0.995
    seed: int = 1
    n_jobs: int | None = None
    kernel: Literal["numpy", "numba"] = "numpy"
    unicode_form: Literal["NFKC", "NFC", "NFKD", "NFD"] | None = "NFKC"
    casefold: bool = True
    fold_punctuation: bool = True

    def __post_init__(self) -> None:
        _expect(_is_number(self.threshold) and 0 < self.threshold <= 1,
                "threshold", "a number in (0, 1]", self.threshold)
        _expect(self.segmentation in SEGMENTATION_MODES,
                "segmentation", f"one of {SEGMENTATION_MODES}", self.segmentation)
        _expect(self.shingle in SHINGLE_UNITS, "shingle", f"one of {SHINGLE_UNITS}", self.shingle)
        _expect(self.ngram is None or (_is_int(self.ngram) and self.ngram >= 1),
                "ngram", "None or an integer >= 1", self.ngram)
        _expect(_is_int(self.min_tokens) and self.min_tokens >= 0,
                "min_tokens", "an integer >= 0", self.min_tokens)
        _expect(self.scope in SCOPES, "scope", f"one of {SCOPES}", self.scope)
        _expect(_is_int(self.keep_shorter_than) and self.keep_shorter_than >= 0,
                "keep_shorter_than", "an integer >= 0", self.keep_shorter_than)
        _expect(_is_int(self.num_perm) and 1 <= self.num_perm <= 4096,
                "num_perm", "an integer in [1, 4096]", self.num_perm)
        if (self.bands is None) != (self.rows is None):
            raise OptionError(("bands", "rows"), "both None or both set", (self.bands, self.rows))
        if self.bands is not None:
            _expect(_is_int(self.bands) and self.bands >= 1, "bands", "an integer >= 1", self.bands)
            _expect(_is_int(self.rows) and self.rows >= 1, "rows", "an integer >= 1", self.rows)
            if self.bands * self.rows > self.num_perm:
                raise OptionError(("bands", "rows"), f"<= num_perm ({self.num_perm})", self.bands * self.rows,
                                  "bands * rows")
        for name in ("false_positive_weight", "false_negative_weight"):
            value = getattr(self, name)
            _expect(_is_number(value) and value >= 0, name, "a number >= 0", value)
        if self.false_positive_weight + self.false_negative_weight <= 0:
            raise OptionError(("false_positive_weight", "false_negative_weight"), "> 0 together",
                              self.false_positive_weight + self.false_negative_weight,
                              "false_positive_weight + false_negative_weight")
        _expect(_is_int(self.seed) and 0 <= self.seed < 2**32,
                "seed", "an integer in [0, 2**32)", self.seed)
        _expect(self.n_jobs is None or (_is_int(self.n_jobs) and self.n_jobs >= 1),
                "n_jobs", "None or an integer >= 1", self.n_jobs)
        _expect(self.kernel in KERNELS, "kernel", f"one of {KERNELS}", self.kernel)
        _expect(self.unicode_form in UNICODE_FORMS,
                "unicode_form", f"one of {UNICODE_FORMS}", self.unicode_form)
        for name in ("casefold", "fold_punctuation", "numbers_must_match"):
            _expect(isinstance(getattr(self, name), bool), name, "True or False", getattr(self, name))

    @property
    def ngram_size(self) -> int:
        """The n-gram size in force: ``ngram``, or the default for the shingle unit."""
        return DEFAULT_NGRAM[self.shingle] if self.ngram is None else self.ngram

    @classmethod
    def from_options(cls, config: DedupConfig | None = None, **options: Any) -> DedupConfig:
        """``config`` (or the defaults) with ``options`` replacing its fields.

        Unknown option names raise ``TypeError`` listing the valid ones.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise TypeError(f"unknown option(s) {unknown}; valid options are {sorted(names)}")
        if config is None:
            return cls(**options)
        if not isinstance(config, cls):
            raise TypeError(f"config must be a DedupConfig; got {type(config).__name__}")
        return dataclasses.replace(config, **options)
