"""The optional numba kernel against the numpy path it must equal, bit for bit."""

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpora import records
from dedup import paragraph_signatures
from tests.helpers import needs_shared

pytest.importorskip("numba", reason="numba is in the test extra: pip install -e '.[test]'")

ascii_texts = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(max_codepoint=127), max_size=80),
        st.lists(st.sampled_from(["the", "Cat", "sat", "on", "MAT", "--", "a.b", "x\\ty", "\\n", "", "é"]),
                 max_size=30).map(" ".join),
    ),
    max_size=12,
)


@settings(deadline=None)  # the first example compiles the kernel
@given(ascii_texts, st.integers(1, 4), st.integers(1, 160), st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
def test_numba_signatures_equal_the_numpy_path(texts, n, num_perm, seed, casefold, fold):
    options = dict(ngram=n, num_perm=num_perm, seed=seed, casefold=casefold, fold_punctuation=fold)
    fast = paragraph_signatures(texts, kernel="numba", **options)
    assert fast.shape == (len(texts), num_perm)
    assert np.array_equal(fast, paragraph_signatures(texts, **options))


unicode_texts = st.lists(
    st.one_of(
        st.text(max_size=60),
        st.lists(st.sampled_from(["Ça", "va", "東京", "は日本", "ไทย", "𠀀𠀁", "ＡＢＣ", "\u200b", "x", " ", "\u3000"]),
                 max_size=25).map("".join),
    ),
    max_size=10,
)


@settings(deadline=None)
@given(unicode_texts, st.integers(1, 4), st.integers(1, 64), st.sampled_from(["NFKC", "NFC", None]))
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


def test_without_numba_the_error_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba now fails
    monkeypatch.delitem(sys.modules, "dedup.compiled", raising=False)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'paradedup\[numba\]'"):
        paragraph_signatures(["some text here"], kernel="numba")
