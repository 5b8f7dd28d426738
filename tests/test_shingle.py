import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dedup.reference import reference_shingles, reference_tokens
from dedup.stages.normalize import NormalizedTexts, normalized_texts
from dedup.stages.shingle import shingle_sets


def test_word_and_cjk_tokens():
    assert reference_tokens("the cat sat", "word") == ["the", "cat", "sat"]
    assert reference_tokens("东京 is 日本", "word") == ["东", "京", "is", "日", "本"]
    assert reference_tokens("ภาษาไทย", "word") == list("ภาษาไทย")
    assert reference_tokens("ab c", "char") == ["a", "b", " ", "c"]


def one(text, unit="word", n=3):
    return set(shingle_sets([text], unit, n)[0].tolist())


def test_short_paragraphs_keep_distinct_shingles():
    a, b = one("hello"), one("goodbye")
    assert len(a) == 1 and len(b) == 1 and a != b
    assert one("") == set()


def test_ngrams_are_order_sensitive_and_tokens_are_not_confused():
    assert one("a b", n=2) != one("b a", n=2)
    assert one("ab", n=1) != one("a b", n=1) != one("ba", n=1)
    assert one("\x00a", n=1) != one("a", n=1)  # code points count from 1, so a leading NUL matters


unicode_text = st.text(alphabet=st.characters(blacklist_categories=()), max_size=80)
word_text = st.lists(st.sampled_from(["a", "b", "c", "东", "京", "x y", "ß", "\ud83d", "\u3000", "\x1c", ""]),
                     max_size=30).map(" ".join)
# Only plain spaces, but runs of them and spaces at either end.
spaced_text = st.lists(st.sampled_from(["a", "东", "", "ab"]), max_size=10).map(" ".join)
any_text = st.one_of(unicode_text, word_text, spaced_text)
# Texts as normalisation leaves them: words of anything but whitespace, one space apart.
word = st.text(st.one_of(st.characters(blacklist_categories=()).filter(lambda c: not c.isspace()),
                         st.sampled_from(["东", "ภ", "\U00020000", "\U0001F600", "\ud83d", "\x00", "a"])),
               min_size=1, max_size=6)
single_spaced_text = st.lists(word, max_size=12).map(" ".join)


@given(st.lists(any_text, max_size=8), st.sampled_from(["word", "char"]), st.integers(1, 6))
def test_batch_kernel_matches_the_python_reference(texts, unit, n):
    sets = shingle_sets(texts, unit, n)
    assert len(sets) == len(texts) and sets.values.dtype == np.uint64
    for i, text in enumerate(texts):
        assert set(sets[i].tolist()) == reference_shingles(text, unit, n)
        assert sets.token_counts[i] == len(reference_tokens(text, unit))
        tokens = len(reference_tokens(text, unit))
        assert sets.sizes[i] == (tokens - n + 1 if tokens >= n else min(tokens, 1))


def test_spaces_in_runs_or_at_either_end_make_no_tokens():
    # One fault a batch: a batch is single-spaced or not as a whole.
    for texts, counts in [(["a ", "b"], [1, 1]), (["a", " b"], [1, 1]), (["a  b"], [2]), (["a\t", "b"], [1, 1]),
                          (["a b", "c"], [2, 1])]:
        sets = shingle_sets(texts, "word", 2)
        assert sets.token_counts.tolist() == counts
        assert [set(sets[i].tolist()) for i in range(len(texts))] == [reference_shingles(t, "word", 2) for t in texts]


@given(st.lists(single_spaced_text, max_size=8), st.integers(1, 4))
def test_single_spaced_texts_are_cut_without_classifying_every_character(texts, n):
    import dedup.stages.shingle as shingle_module

    batch = NormalizedTexts.of(texts)
    assert shingle_module._word_bounds(batch.units, batch.offsets) is not None
    sets = shingle_sets(batch, "word", n)
    for i, text in enumerate(texts):
        assert set(sets[i].tolist()) == reference_shingles(text, "word", n)
        assert sets.token_counts[i] == len(reference_tokens(text, "word"))


@given(st.lists(any_text, max_size=8))
def test_normalised_texts_take_the_single_spaced_path(texts):
    import dedup.stages.shingle as shingle_module

    batch = normalized_texts(texts)
    assert shingle_module._word_bounds(batch.units, batch.offsets) is not None


@given(st.lists(any_text, max_size=8), st.integers(1, 4))
def test_take_and_unique_keep_each_set(texts, n):
    sets = shingle_sets(texts, "word", n)
    ids = np.arange(len(texts))[::-1]
    taken = sets.take(ids)
    assert [taken[k].tolist() for k in range(len(ids))] == [sets[i].tolist() for i in ids]
    unique = sets.unique()
    for i in range(len(texts)):
        assert unique[i].tolist() == sorted(set(sets[i].tolist()))


def test_spread_places_sets_among_empty_ones():
    sets = shingle_sets(["a b c", "d e"], "word", 2)
    spread = sets.spread(np.array([1, 3]), 5)
    assert [len(spread[i]) for i in range(5)] == [0, 2, 0, 1, 0]
    assert spread[1].tolist() == sets[0].tolist() and spread[3].tolist() == sets[1].tolist()
    assert spread.token_counts.tolist() == [0, 3, 0, 2, 0]


@given(st.lists(any_text, max_size=10), st.integers(1, 40), st.sampled_from(["word", "char"]))
def test_kernel_runs_of_any_size_give_the_same_sets(texts, kernel_chars, unit):
    import dedup.stages.shingle as shingle_module

    whole = shingle_sets(texts, unit, 2)
    original = shingle_module._KERNEL_CHARS
    shingle_module._KERNEL_CHARS = kernel_chars  # many kernel calls, paragraphs split across none
    try:
        runs = shingle_sets(texts, unit, 2)
    finally:
        shingle_module._KERNEL_CHARS = original
    assert [runs[i].tolist() for i in range(len(texts))] == [whole[i].tolist() for i in range(len(texts))]


def test_a_paragraph_longer_than_the_cached_power_tables():
    import dedup.stages.shingle as shingle_module

    long_token = "ab" * shingle_module._KERNEL_CHARS  # one token of a million characters
    text = f"start {long_token} middle {long_token[::-1]} end"
    assert len(text) > 2 * shingle_module._KERNEL_CHARS
    assert set(shingle_sets([text], "word", 2)[0].tolist()) == reference_shingles(text, "word", 2)
