import numpy as np
import xxhash
from hypothesis import given
from hypothesis import strategies as st

from dedup.shingle import shingle_hashes, shingle_sets, tokens
from tests.helpers import MASK64, fmix64_int

FOLD = 0x9E3779B97F4A7C15


def reference_shingles(text: str, unit: str, n: int) -> set[int]:
    """Slow, obvious shingling with Python ints: the oracle for the numpy path."""
    words = list(tokens(text, unit))
    hashes = [xxhash.xxh3_64_intdigest(w.encode("utf-8", "surrogatepass")) for w in words]
    width = min(n, len(hashes))
    out = set()
    if not hashes:
        return out
    for i in range(len(hashes) - width + 1):
        h = hashes[i]
        for value in hashes[i + 1 : i + width]:
            h = (h * FOLD + value) & MASK64
        out.add(fmix64_int(h))
    return out


def test_word_and_cjk_tokens():
    assert list(tokens("the cat sat", "word")) == ["the", "cat", "sat"]
    assert list(tokens("东京 is 日本", "word")) == ["东", "京", "is", "日", "本"]
    assert list(tokens("ภาษาไทย", "word")) == list("ภาษาไทย")
    assert list(tokens("ab c", "char")) == ["a", "b", " ", "c"]


def test_short_paragraphs_keep_distinct_shingles():
    a, b = shingle_hashes("hello", "word", 3), shingle_hashes("goodbye", "word", 3)
    assert len(a) == 1 and len(b) == 1 and a[0] != b[0]
    assert len(shingle_hashes("", "word", 3)) == 0


def test_ngrams_are_order_sensitive():
    assert set(shingle_hashes("a b", "word", 2)) != set(shingle_hashes("b a", "word", 2))


unicode_text = st.text(alphabet=st.characters(blacklist_categories=()), max_size=80)
word_text = st.lists(st.sampled_from(["a", "b", "c", "东", "京", "x y", "ß", "\ud83d"]), max_size=30).map(" ".join)


@given(st.one_of(unicode_text, word_text), st.sampled_from(["word", "char"]), st.integers(1, 6))
def test_numpy_shingles_match_the_python_reference(text, unit, n):
    fast = shingle_hashes(text, unit, n)
    assert fast.dtype == np.uint64
    assert np.all(fast[1:] > fast[:-1])  # sorted, no repeats
    assert set(fast.tolist()) == reference_shingles(text, unit, n)


@given(st.lists(st.one_of(unicode_text, word_text), max_size=8), st.integers(1, 4))
def test_batch_sets_match_one_at_a_time(texts, n):
    sets = shingle_sets(texts, "word", n)
    assert len(sets) == len(texts)
    for i, text in enumerate(texts):
        assert sets[i].tolist() == shingle_hashes(text, "word", n).tolist()
        assert sets.token_counts[i] == len(list(tokens(text, "word")))
    ids = np.arange(len(texts))[::-1]
    taken = sets.take(ids)
    assert [taken[k].tolist() for k in range(len(ids))] == [sets[i].tolist() for i in ids]
