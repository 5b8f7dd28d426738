"""A paragraph longer than a batch, window by window, against the same paragraph taken whole."""

from functools import partial

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import dedup.engines.local
from dedup import DedupConfig, find_duplicates, find_duplicates_streaming
from dedup.engines.local import _fingerprints, stages
from dedup.stages.arrays import sorted_unique
from dedup.stages.long_paragraph import long_number_key, long_paragraph, windows
from dedup.stages.normalize import number_keys

KERNELS = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(
    not __import__("importlib").util.find_spec("numba"), reason="numba is in the test extra"))]

# Pieces whose normalisation looks at neighbours: marks kept between digits
# and after single letters, word endings, expansions, deletions, Unicode
# normalisation, a script written without spaces, and whitespace of each kind.
FRAGMENTS = ["word", "Cat", "1", "25", ".", ",", ":", "-", "U", "s", "+", "#", "%", "$", "é", "e\u0301", "ß",
             "İ", "东京", "\u200b", "\xa0", "ﬁ", "—", "\ud800", " ", " ", " ", "\t", "\n", "\r\n", "\u3000"]
long_texts = st.lists(st.sampled_from(FRAGMENTS), max_size=120).map("".join)


def whole(text: str, config: DedupConfig) -> tuple:
    """Fingerprint, tokens, distinct shingles, signature and number key of ``text`` taken whole."""
    kernel = stages(config)
    normalized = kernel.normalized([text], config)
    sets = kernel.shingle_sets(normalized, config)
    signature = kernel.signatures(sets, config)[0] if sets.sizes[0] else None
    return (_fingerprints([text], normalized)[0], int(sets.token_counts[0]), sorted_unique(sets.values), signature,
            int(number_keys(normalized)[0]))


def windowed(text: str, config: DedupConfig, window_chars: int) -> tuple:
    found = long_paragraph(text, 0, len(text), config, stages(config), window_chars=window_chars)
    assert long_number_key(text, 0, len(text), config, stages(config), window_chars=window_chars) == found.number_key
    return found.fingerprint, found.tokens, found.shingles, found.signature, found.number_key


def assert_same(left: tuple, right: tuple) -> None:
    for a, b in zip(left, right):
        if a is None or b is None:
            assert a is None and b is None
        else:
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("shingle, ngram", [("word", 1), ("word", 2), ("word", 4), ("char", 1), ("char", 5)])
@given(text=long_texts, window_chars=st.integers(1, 40))
@example(text="a b c d e f g h", window_chars=1)  # every window shorter than a shingle
@example(text=". , - . \n 5 .", window_chars=2)  # no normalised text: identity from the characters
@example(text="东京东京 东京 x", window_chars=1)
def test_windows_give_what_the_whole_paragraph_gives(kernel, shingle, ngram, text, window_chars):
    config = DedupConfig(kernel=kernel, shingle=shingle, ngram=ngram)
    assert_same(windowed(text, config, window_chars), whole(text, config))


@given(text=long_texts, window_chars=st.integers(1, 40))
def test_windows_cover_the_paragraph_and_start_at_whitespace(text, window_chars):
    pieces = list(windows("<<" + text + ">>", 2, len(text) + 2, window_chars))
    assert "".join(pieces) == text
    assert all(piece[0] in " \t\n\r\x0b\x0c" for piece in pieces[1:])
    assert all(len(piece) >= window_chars for piece in pieces[:-1])


def long_corpus(seed: int) -> list[str]:
    """Texts of short paragraphs and of paragraphs longer than a (shrunk) batch,
    some of them repeated exactly or with a word changed."""
    rng = np.random.default_rng(seed)
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "5.25", "C++", "东京"]

    def paragraph(length: int) -> str:
        return " ".join(rng.choice(words, size=length))

    base = [paragraph(int(rng.integers(3, 90))) for _ in range(12)]
    texts = []
    for _ in range(10):
        chosen = [base[i] for i in rng.integers(0, len(base), size=3)]
        if rng.random() < 0.5:
            chosen[0] = chosen[0].replace("beta", "omega", 1)
        texts.append("\n\n".join(chosen))
    return texts


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("shingle", ["word", "char"])
@pytest.mark.parametrize("seed", range(4))
def test_find_duplicates_is_the_same_with_long_paragraphs_in_windows(monkeypatch, kernel, shingle, seed):
    texts = long_corpus(seed)
    options = dict(kernel=kernel, shingle=shingle, numbers_must_match=True, n_jobs=1)
    expected = find_duplicates(texts, **options)
    monkeypatch.setattr(dedup.engines.local, "BATCH_CHARS", 64)
    monkeypatch.setattr(dedup.engines.local, "long_paragraph", partial(long_paragraph, window_chars=20))
    monkeypatch.setattr(dedup.engines.local, "long_number_key", partial(long_number_key, window_chars=20))
    assert expected.summary.near_duplicates > 0
    for got in find_duplicates(texts, **options), find_duplicates_streaming(lambda: iter(texts), **options):
        for column in ("doc", "index", "start", "end"):
            np.testing.assert_array_equal(getattr(got.paragraphs, column), getattr(expected.paragraphs, column))
        for name in ("representative", "jaccard", "exact", "numbers_differ", "tokens"):
            np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)
