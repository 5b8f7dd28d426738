"""The optional numba kernel against the numpy path it must equal, bit for bit:
stage by stage, and through paragraph_signatures and find_duplicates."""

import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from benchmarks.corpora import paragraphs, records
from dedup import DedupConfig, find_duplicates, paragraph_signatures
from dedup.stages.minhash import signatures
from dedup.stages.normalize import NormalizedTexts, normalize_all
from dedup.stages.shingle import ShingleSets, shingle_sets
from dedup.stages.verify import jaccard
from tests.helpers import needs_shared
from tests.test_pipeline import corpora, modes, same_results

pytest.importorskip("numba", reason="numba is in the test extra: pip install -e '.[test]'")
compiled = pytest.importorskip("dedup.stages.compiled")

ascii_texts = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(max_codepoint=127), max_size=80),
        st.lists(st.sampled_from(["the", "Cat", "sat", "on", "MAT", "--", "a.b", "x\\ty", "\\n", "", "é"]),
                 max_size=30).map(" ".join),
        # Numbers and abbreviations, whose marks stay: next to each other and to the text's edges.
        st.lists(st.sampled_from(["1", "25", ".", ",", ":", "/", "-", "U", "s", " ", "x", "..", "+", "#", "%", "$"]),
                 max_size=30).map("".join),
    ),
    max_size=12,
)


@settings(deadline=None)  # the first example compiles the kernel
@given(ascii_texts, st.integers(1, 4), st.integers(1, 160), st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
@example(["the U.S. and e.g. a.m. says Shr 1.25 vs 1,000 at 12:30", "U.S.", ".5", "5."], 1, 32, 7, True, True)
@example(["C++ or C# at 5% for $5", "+C", "#> x", "a++", "+", "x#"], 1, 32, 7, True, True)
def test_numba_signatures_equal_the_numpy_path(texts, n, num_perm, seed, casefold, fold):
    options = dict(ngram=n, num_perm=num_perm, seed=seed, casefold=casefold, fold_punctuation=fold)
    fast = paragraph_signatures(texts, kernel="numba", **options)
    assert fast.shape == (len(texts), num_perm)
    assert np.array_equal(fast, paragraph_signatures(texts, **options))


unicode_texts = st.lists(
    st.one_of(
        st.text(max_size=60),
        # Case folding makes several characters of the last six.
        st.lists(st.sampled_from(["Ça", "va", "東京", "は日本", "ไทย", "𠀀𠀁", "ＡＢＣ", "\u200b", "x", " ", "\u3000",
                                  "Straße", "ẞ-", "ﬁ", "İ", "ΐ", "և", "1", "٣", "３", ".", ",", "É", "ß."]),
                 max_size=25).map("".join),
    ),
    max_size=10,
)


@settings(deadline=None)
@given(unicode_texts, st.integers(1, 4), st.integers(1, 64), st.sampled_from(["NFKC", "NFC", None]))
@example(["Les É.U. et la ß.S. à 1.25 € ou ٣.٥", "é.g. ３.５"], 1, 32, None)
def test_numba_signatures_of_any_unicode_equal_the_numpy_path(texts, n, num_perm, form):
    options = dict(ngram=n, num_perm=num_perm, unicode_form=form)
    assert np.array_equal(paragraph_signatures(texts, kernel="numba", **options),
                          paragraph_signatures(texts, **options))


def test_char_shingles_take_the_numpy_path():
    texts = ["Ça va? Très bien.", "plain ascii words here", "東京は日本の首都です"]
    assert np.array_equal(paragraph_signatures(texts, kernel="numba", shingle="char"),
                          paragraph_signatures(texts, shingle="char"))


@needs_shared
def test_numba_signatures_equal_the_numpy_path_on_real_posts():
    texts = [record["text"] for record in records("20newsgroups.jsonl.gz", 3000)]
    assert np.array_equal(paragraph_signatures(texts, kernel="numba", n_jobs=2), paragraph_signatures(texts))


def test_numba_workers_are_threads(monkeypatch):
    import dedup.engines.local

    def no_processes(*args):
        raise AssertionError("worker processes started")

    monkeypatch.setattr(dedup.engines.local, "_in_workers", no_processes)
    monkeypatch.setattr(dedup.engines.local, "BATCH_CHARS", 200)
    texts = [f"paragraph {i} of a few words, some of them repeated across paragraphs" for i in range(40)] * 2
    started = []
    monkeypatch.setattr(dedup.engines.local, "ThreadPoolExecutor", lambda workers: started.append(workers) or
                        ThreadPoolExecutor(workers))
    assert np.array_equal(paragraph_signatures(texts, kernel="numba", n_jobs=2), paragraph_signatures(texts))
    same_results(find_duplicates(texts, kernel="numba", n_jobs=2), find_duplicates(texts))
    assert started == [2, 2]


def test_without_numba_the_error_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba now fails
    monkeypatch.delitem(sys.modules, "dedup.stages.compiled", raising=False)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'paradedup\[numba\]'"):
        paragraph_signatures(["some text here"], kernel="numba")


# --- each stage against its numpy twin ---------------------------------------------

any_texts = st.lists(st.one_of(unicode_texts.map("".join), ascii_texts.map("\n".join)), max_size=8)


@settings(deadline=None)
@given(any_texts, st.sampled_from(["NFKC", "NFD", None]), st.booleans(), st.booleans())
def test_normalized_equals_normalize_all(texts, form, casefold, fold):
    config = DedupConfig(unicode_form=form, casefold=casefold, fold_punctuation=fold)
    assert compiled.normalized(texts, config).strings() == normalize_all(texts, form, casefold, fold)


@settings(deadline=None)
@given(any_texts, st.sampled_from(["word", "char"]), st.integers(1, 5))
def test_shingle_sets_equal_the_numpy_stage(texts, unit, n):
    config = DedupConfig(shingle=unit, ngram=n)
    normalized = NormalizedTexts.of(normalize_all(texts))
    fast, slow = compiled.shingle_sets(normalized, config), shingle_sets(normalized, unit, n)
    for name in ("values", "offsets", "token_counts"):
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name


@settings(deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=40), max_size=20), st.integers(1, 200),
       st.integers(0, 2**32 - 1))
def test_signatures_equal_the_numpy_stage(sets, num_perm, seed):
    shingles = ShingleSets(values=np.array([v for s in sets for v in s], dtype=np.uint64),
                           offsets=np.cumsum([0, *map(len, sets)]).astype(np.int64),
                           token_counts=np.array(list(map(len, sets)), dtype=np.int64))
    fast = compiled.signatures(shingles, DedupConfig(num_perm=num_perm, seed=seed))
    assert np.array_equal(fast, signatures(shingles, num_perm, seed))


values = st.one_of(st.integers(0, 2**64 - 1), st.integers(0, 7), st.integers(0, 7).map(lambda v: (1 << 63) | v))


@settings(deadline=None)
@given(st.lists(st.lists(values, max_size=30), min_size=1, max_size=12), st.data())
def test_jaccard_equals_the_numpy_stage(sets, data):
    shingles = ShingleSets(values=np.array([v for s in sets for v in s], dtype=np.uint64),
                           offsets=np.cumsum([0, *map(len, sets)]).astype(np.int64),
                           token_counts=np.array(list(map(len, sets)), dtype=np.int64))
    pairs = data.draw(st.lists(st.tuples(st.integers(0, len(sets) - 1), st.integers(0, len(sets) - 1)), max_size=30))
    left, right = np.array([i for i, _ in pairs], dtype=np.int64), np.array([j for _, j in pairs], dtype=np.int64)
    assert np.array_equal(compiled.jaccard(shingles, left, right), jaccard(shingles, left, right))


# --- the whole search ------------------------------------------------------------

@settings(deadline=None)
@given(corpora, modes, st.sampled_from(["word", "char"]))
def test_find_duplicates_with_numba_equals_the_numpy_path(docs, mode, unit):
    options = dict(segmentation=mode, shingle=unit)
    same_results(find_duplicates(docs, kernel="numba", **options), find_duplicates(docs, **options))


@needs_shared
def test_find_duplicates_with_numba_equals_the_numpy_path_on_real_text():
    posts = [record["text"] for record in records("20newsgroups.jsonl.gz", 3000)]
    in_numpy = find_duplicates(posts)
    same_results(find_duplicates(posts, kernel="numba", n_jobs=2), in_numpy)
    with ProcessPoolExecutor(2) as pool:  # n_jobs=2 runs threads; processes work too
        same_results(find_duplicates(posts, kernel="numba", executor=pool), in_numpy)
    leads = paragraphs("wikipedia_vital_fr.jsonl.gz", limit=3000)
    edited = leads + [" ".join(text.split()[1:]) for text in leads[:500]]
    report = find_duplicates(edited, kernel="numba", segmentation="none")
    same_results(report, find_duplicates(edited, segmentation="none"))
    assert report.summary.near_duplicates > 100


@st.composite
def set_graphs(draw):
    """Nodes in buckets, each with a shingle set (one of a few, so that many pairs are alike), a number key,
    a document and whether it is protected."""
    nodes = draw(st.integers(1, 40))
    entries = draw(st.lists(st.tuples(st.integers(0, 8), st.integers(0, nodes - 1)), max_size=120, unique=True))
    pool = draw(st.lists(st.lists(st.integers(0, 12), min_size=1, max_size=10), min_size=1, max_size=6))
    sets = [pool[draw(st.integers(0, len(pool) - 1))] for _ in range(nodes)]
    numbers = draw(st.lists(st.integers(0, 1), min_size=nodes, max_size=nodes))
    document = sorted(draw(st.lists(st.integers(0, 5), min_size=nodes, max_size=nodes)))
    protected = draw(st.lists(st.booleans(), min_size=nodes, max_size=nodes))
    return nodes, entries, sets, numbers, document, protected


@given(set_graphs(), st.booleans(), st.booleans(), st.booleans(), st.sampled_from([1, 2, 4]),
       st.sampled_from([0.3, 0.5, 0.8]))
def test_the_compiled_rule_equals_the_batched_rule(graph, numbers_must_match, across, guard, max_kept, threshold):
    from dedup.stages.cluster import greedy_representatives

    nodes, entries, sets, numbers, document, protected = graph
    bucket = np.array([b for b, _ in entries], dtype=np.int64)
    node = np.array([n for _, n in entries], dtype=np.int64)
    # Sets stored in reverse node order, so that a node's set is found through set_of, not by its number.
    set_of = np.arange(nodes)[::-1].copy()
    stored = ShingleSets(np.array([v for s in sets[::-1] for v in s], dtype=np.uint64),
                         np.cumsum([0] + [len(s) for s in sets[::-1]]), np.array([len(s) for s in sets[::-1]]))
    keys = np.array(numbers[::-1], dtype=np.uint64)
    doc, guarded = np.array(document), np.array(protected) if guard else None

    def similarity(left, right):
        values = compiled.jaccard(stored, set_of[left], set_of[right])
        return np.where(keys[set_of[left]] != keys[set_of[right]], 0.0, values) if numbers_must_match else values

    expected = greedy_representatives(nodes, bucket, node, similarity, threshold,
                                      (lambda left, right: doc[left] == doc[right]) if across else None, guarded,
                                      max_kept)
    got = compiled.greedy_representatives(nodes, bucket, node, set_of, stored, threshold,
                                          keys if numbers_must_match else None, doc if across else None, guarded,
                                          max_kept)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
