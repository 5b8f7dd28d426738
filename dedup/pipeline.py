"""The public entry points: documents in, a :class:`~dedup.report.Report` or cleaned texts out.

Data flows one way through the stages, each a function over a whole batch:
segment -> normalize -> exact fingerprints -> shingle -> minhash -> lsh ->
verify -> cluster -> report.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from concurrent.futures import Executor
from itertools import repeat
from typing import Any

import numpy as np

from .config import DedupConfig
from .engines.local import ParagraphFeatures, paragraph_features, row_features, stages, text_signatures
from .report.report import Report
from .stages.arrays import first_occurrences, sorted_unique
from .stages.cluster import SetSimilarity, kept_in_place
from .stages.lsh import buckets, resolve_lsh
from .stages.shingle import ShingleSets

__all__ = ["find_duplicates", "find_duplicates_streaming", "deduplicate", "paragraph_signatures", "read_documents"]

Document = str | tuple[Hashable, str]


def read_documents(docs: Iterable[Document]) -> tuple[Sequence, list[str]]:
    """Ids and texts of ``docs``: ``str`` items (ids are positions, a ``range``) or ``(id, str)`` pairs.

    Raises ``TypeError`` for an item of the wrong type and ``ValueError`` for a
    repeated id, naming the item.
    """
    if isinstance(docs, (str, bytes)):
        raise TypeError(f"docs must be an iterable of texts, not a single {type(docs).__name__}; "
                        "wrap it in a list: [text]")
    items = list(docs)
    if all(map(isinstance, items, repeat(str))):  # C calls only: 2x faster than a generator
        return range(len(items)), items
    if all(type(item) is tuple and len(item) == 2 and type(item[1]) is str and type(item[0]) in (str, int)
           for item in items):
        ids = [item[0] for item in items]
        if len(set(ids)) == len(ids):
            return ids, [item[1] for item in items]
    return _checked_documents(items)


def _checked_documents(items: list) -> tuple[list, list[str]]:
    """:func:`read_documents` item by item, to name the first bad one."""
    ids, texts, seen, paired = [], [], {}, None
    for position, item in enumerate(items):
        item_paired = isinstance(item, tuple)
        if paired is None:
            paired = item_paired
        if item_paired != paired:
            raise TypeError(f"docs[{position}] is {'an (id, text) pair' if item_paired else type(item).__name__}"
                            f" but docs[0] was {'an (id, text) pair' if paired else 'a str'}; "
                            "give all items as str or all as (id, str) pairs")
        if paired:
            if len(item) != 2:
                raise TypeError(f"docs[{position}] is a tuple of {len(item)} items; expected (id, text)")
            doc_id, text = item
            if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool):
                raise TypeError(f"docs[{position}] has id {doc_id!r} of type {type(doc_id).__name__}; "
                                "expected a str or int id")
            if doc_id in seen:
                raise ValueError(f"docs[{position}] repeats id {doc_id!r} of docs[{seen[doc_id]}]; ids must be unique")
            seen[doc_id] = position
        else:
            doc_id, text = position, item
        if not isinstance(text, str):
            hint = "; decode it first, e.g. data.decode('utf-8')" if isinstance(text, (bytes, bytearray)) else ""
            raise TypeError(f"docs[{position}] (id {doc_id!r}) is {type(text).__name__}; expected str{hint}")
        ids.append(doc_id)
        texts.append(text)
    return ids, texts


def _options(config: DedupConfig | None, threshold: float | None, options: dict[str, Any]) -> DedupConfig:
    if threshold is not None:
        options["threshold"] = threshold
    return DedupConfig.from_options(config, **options)


def find_duplicates(docs: Iterable[Document], *, threshold: float | None = None,
                    config: DedupConfig | None = None, executor: Executor | None = None,
                    **options: Any) -> Report:
    """Find every paragraph that repeats, exactly or nearly, an earlier one.

    ``docs`` is an iterable of texts, or of ``(id, text)`` pairs; options are the
    fields of :class:`~dedup.config.DedupConfig` (``threshold`` defaults to 0.8),
    or pass ``config=``, which ``threshold`` and ``options`` then override.

    ``executor`` (any :class:`concurrent.futures.Executor`) runs the
    per-paragraph stages, batch by batch, instead of worker processes started
    for this call: pass one ``ProcessPoolExecutor`` to many calls so that
    they share its warm workers. The result never depends on it.

    Example
    -------
    >>> from dedup import find_duplicates
    >>> report = find_duplicates(["Intro line here.\\nA long repeated paragraph of words.\\n"
    ...                           "A long repeated paragraph of words."])
    >>> [(m.paragraph, m.start, m.end) for m in report.clusters[0].members]
    [(1, 17, 52), (2, 53, 88)]
    """
    config = _options(config, threshold, options)
    ids, texts = read_documents(docs)
    features = paragraph_features(texts, config, executor=executor)

    def candidates(rows: np.ndarray) -> tuple[ShingleSets, np.ndarray]:
        return features.shingles.take(rows), row_features(texts, features.paragraphs, rows, config, False)[1]

    return _search(features, candidates, config, ids, texts)


def find_duplicates_streaming(open_texts: Callable[[], Iterable[str]], *, threshold: float | None = None,
                              config: DedupConfig | None = None, executor: Executor | None = None,
                              **options: Any) -> Report:
    """:func:`find_duplicates` over a corpus too large for memory, read twice.

    ``open_texts()`` must return a fresh iterable of the same texts, in the same
    order, each time it is called. The first pass keeps fixed-size features per
    paragraph (fingerprint and LSH band keys, about 160 bytes); the second
    reads again only the paragraphs that share a bucket with another, to verify
    them. The result is identical to :func:`find_duplicates` on the same texts;
    document ids are positions and the report holds no text
    (:meth:`~dedup.report.Report.text` is unavailable; see
    :func:`dedup.stages.segment.paragraph_texts`). ``executor`` runs the first pass.

    Example
    -------
    >>> from dedup import find_duplicates_streaming
    >>> texts = ["A paragraph long enough to be compared.", "A paragraph, long enough to be compared!"]
    >>> find_duplicates_streaming(lambda: iter(texts)).summary.near_duplicates
    0
    >>> find_duplicates_streaming(lambda: iter(texts)).summary.exact_duplicates
    1
    """
    config = _options(config, threshold, options)
    features = paragraph_features(open_texts(), config, keep_shingles=False, executor=executor)

    def candidates(rows: np.ndarray) -> tuple[ShingleSets, np.ndarray]:
        return row_features(open_texts(), features.paragraphs, rows, config)

    return _search(features, candidates, config, range(features.documents), None)


def _search(features: ParagraphFeatures, candidate_features: Callable[[np.ndarray], tuple[ShingleSets, np.ndarray]],
            config: DedupConfig, ids: Sequence, texts: Sequence[str] | None) -> Report:
    """The corpus-wide stages: exact copies, LSH buckets, then which paragraphs are kept (:mod:`dedup.stages.cluster`).

    ``candidate_features(rows)`` returns the shingle sets and number keys of
    paragraphs ``rows`` (ascending); it is called once, for the paragraphs that
    share a bucket.
    """
    first = first_occurrences(features.fingerprints)
    fuzzy_rows = np.flatnonzero(features.fuzzy)
    unique = first[fuzzy_rows] == fuzzy_rows  # exact copies never reach LSH
    bucket, member = buckets(features.band_keys[unique])
    member = fuzzy_rows[unique][member]
    candidates = sorted_unique(member)
    sets, numbers = candidate_features(candidates)
    kernel = stages(config)
    similarity = SetSimilarity(candidates, sets, kernel.jaccard, numbers if config.numbers_must_match else None,
                               kernel.greedy_representatives)

    def decide(scope: str, keep_shorter_than: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        protected = features.tokens < keep_shorter_than if keep_shorter_than else None
        return kept_in_place(first, features.paragraphs.doc, bucket, member, similarity, config.threshold, scope,
                             protected)

    representative, similar, exact = decide(config.scope, config.keep_shorter_than)
    # A near duplicate and the paragraph kept in its place are both first
    # occurrences of their text that share a bucket: both have number keys.
    near = np.flatnonzero(~exact)
    numbers_differ = np.zeros(len(first), dtype=bool)
    numbers_differ[near] = (numbers[np.searchsorted(candidates, first[near])]
                            != numbers[np.searchsorted(candidates, first[representative[near]])])
    return Report(config=config, lsh=resolve_lsh(config), ids=ids, texts=texts, paragraphs=features.paragraphs,
                  representative=representative, jaccard=similar, exact=exact, numbers_differ=numbers_differ,
                  tokens=features.tokens, decide=lambda scope, keep_shorter_than: decide(scope, keep_shorter_than)[0])


def paragraph_signatures(paragraphs: Iterable[str], *, config: DedupConfig | None = None,
                         executor: Executor | None = None, **options: Any) -> np.ndarray:
    """MinHash signatures, ``(n, num_perm)`` uint32, of texts each taken whole as one paragraph.

    The texts are normalised and shingled as :func:`find_duplicates` does (no
    segmentation); the result is bit-identical to ``datasketch.MinHash`` fed
    the same 32-bit shingle hashes, see :func:`dedup.stages.minhash.to_lean_minhash`.

    Example
    -------
    >>> from dedup import paragraph_signatures
    >>> sig = paragraph_signatures(["the cat sat on the mat", "The cat sat on the mat!"])
    >>> sig.shape, bool((sig[0] == sig[1]).all())
    ((2, 128), True)
    """
    config = _options(config, None, options)
    _, texts = read_documents(paragraphs)
    return text_signatures(texts, config, executor)


def deduplicate(docs: Iterable[Document], *, threshold: float | None = None,
                config: DedupConfig | None = None, executor: Executor | None = None,
                **options: Any) -> list[str]:
    """Each text with every paragraph that repeats an earlier one removed.

    Takes the same arguments as :func:`find_duplicates`; every character other
    than the removed paragraphs and one separator each is kept (but for a
    blank line that can set kept paragraphs apart, see :mod:`dedup.report.clean`).
    The result is cut into exactly the kept paragraphs, so ``deduplicate`` of
    its own output returns it unchanged.

    Example
    -------
    >>> from dedup import deduplicate
    >>> deduplicate(["A paragraph that is long enough.\\n\\nOther words in this one here.",
    ...              "A paragraph that is long enough!\\n\\nNew words in this one."])
    ['A paragraph that is long enough.\\n\\nOther words in this one here.', 'New words in this one.']
    """
    return find_duplicates(docs, config=_options(config, threshold, options), executor=executor).cleaned_texts()
