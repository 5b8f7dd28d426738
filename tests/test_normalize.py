import unicodedata

import numpy as np
import pytest
import xxhash
from hypothesis import example, given
from hypothesis import strategies as st

from dedup.reference import reference_normalize
from dedup.stages.normalize import NormalizedTexts, normalize, normalize_all, unicode_normalized


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Hello,   World!", "hello world"),
        ("ＦＵＬＬ　ｗｉｄｔｈ", "full width"),  # NFKC folds full-width forms
        ("Straße", "strasse"),  # casefold, not lower
        ("e\u0301cole", "école"),  # composed by NFKC
        ("zero\u200bwidth soft\u00adhyphen", "zerowidth softhyphen"),
        ("> quoted | text >> here", "quoted text here"),
        ("well-known “quotes” …", "well known quotes"),
        ("tab\tand\nnewline\x00nul", "tab and newline nul"),
        ("", ""),
        ("* * *", ""),
        ("Shr 1.25 dlrs vs 1,140 dlrs", "shr 1.25 dlrs vs 1,140 dlrs"),
        ("at 12:30 on 2024-01-05, 12/05/2024, v3.11.7", "at 12:30 on 2024-01-05 12/05/2024 v3.11.7"),
        ("the U.S. and U.S.A. e.g. Ph.D.", "the u.s and u.s.a e.g ph d"),
        ("up 5. down -3, 1 . 2 a.b x-1", "up 5 down 3 1 2 a b x 1"),
        ("٣.٥ and ３.５", "٣.٥ and 3.5"),  # any decimal digits; full-width ones are ASCII after NFKC
        ("$5, €5 and ¥5!", "$5 €5 and ¥5"),  # currency signs (Sc) say what a number is
        ("C++ or C#? 5% (B+)", "c++ or c# 5% b+"),  # word endings
        ("# > quoted\n#> twice\n+> here +-+-+ a + b", "quoted twice here a b"),  # alone: quote markers, rules
        ("great 👍, © 2020, 25°C", "great 👍 © 2020 25°c"),  # other symbols (So)
    ],
)
def test_default_normalisation(raw, expected):
    assert normalize(raw) == expected


def test_each_step_can_be_turned_off():
    assert normalize("Hello, World!", casefold=False) == "Hello World"
    assert normalize("Hello, World!", fold_punctuation=False) == "hello, world!"
    assert normalize("ＡＢ", unicode_form=None) == "ａｂ"


def test_normalisation_is_idempotent_on_tricky_text():
    for raw in ["ﬁﬂ ǅ ẞ ΐ", "İstanbul", "x\u0345\u0301", "\ud800 lone surrogate"]:
        once = normalize(raw)
        assert normalize(once) == once


# Runs of spaces, punctuation and deleted characters, at the ends and between words.
spacey_texts = st.lists(st.sampled_from([" ", "  ", "\t", "\n", ".", "a", "B", "\u200b", "\xad", "É", "ß", "\xa0",
                                         "\u3000", "!"])).map("".join)


# Characters whose case folding is several (ß, ﬁ, İ, ΐ, ŉ), or one that str.lower
# would not give (final sigma, Cherokee small letters fold to capitals), among
# characters deleted or kept as they are.
folding_texts = st.lists(st.sampled_from(["ß", "ẞ", "ﬁ", "İ", "ΐ", "ŉ", "Σ", "ς", "\uab70", "\u13f8", "\xad", "a",
                                          "Ä", " ", "-"])).map("".join)
# Numbers, abbreviations and the marks between them, near text boundaries too.
fact_texts = st.lists(st.sampled_from(["1", "25", "٣", "３", ".", ",", ":", "/", "-", "U", "s", "é", "ß", " ", "\u200b",
                                       "x", "..", "\xad", "+", "#", "%", "＋", "$", "👍"])).map("".join)


@given(st.lists(st.one_of(st.text(alphabet=st.characters(max_codepoint=127)), st.text(), spacey_texts,
                          folding_texts, fact_texts), max_size=6),
       st.sampled_from(["NFKC", "NFC", None]), st.booleans(), st.booleans())
@example(["Straße\xad", "ΣΟΦΙΑ σοφός", "plain", "\xadﬁ", "é"], "NFKC", True, True)
@example(["a\x00b", "", " , ", "\x00"], "NFKC", True, True)
@example(["a \u200b b.", " x. ", "", "É \u200b", "  "], "NFKC", True, True)
@example(["", "a. ", ""], None, True, True)
@example(["", "  ", "x", ""], None, False, False)
@example(["a\x1cb\x1f c", "\x1d", "x\x0by"], None, True, False)  # whitespace to str.split, not to bytes.split
@example(["1", ".5", "U.", "S.", "1.", "2"], "NFKC", True, True)  # a mark at a text's edge joins nothing
@example(["ß.S.", "1.\u200b2", "Éé.É."], "NFKC", True, True)
@example(["C++", "+C", "a+", "#", "x##", "1%%", "ß+"], "NFKC", True, True)
def test_batch_normalisation_and_its_ascii_fast_path_follow_the_documented_steps(texts, form, fold, punct):
    assert normalize_all(texts, form, fold, punct) == [reference_normalize(t, form, fold, punct) for t in texts]


# No-break spaces next to combining marks and letters they could compose with.
spaced_texts = st.lists(st.one_of(st.text(), st.lists(st.sampled_from(
    ["\xa0", "\u0301", "\u0308", "a", "e", "ﬁ", " ", "\u2009", "Å", "\u1100", "\u1161"])).map("".join)), max_size=6)


@given(spaced_texts, st.sampled_from(["NFKC", "NFKD", "NFC", "NFD"]))
def test_unicode_normalized_equals_unicodedata(texts, form):
    assert unicode_normalized(texts, form) == [unicodedata.normalize(form, text) for text in texts]


@given(st.lists(st.text(), max_size=8), st.data())
def test_normalized_texts_hold_each_text_and_fingerprint_it(texts, data):
    batch = NormalizedTexts.of(texts)
    assert batch.strings() == texts and batch.lengths.tolist() == [len(t) for t in texts]
    assert batch.fingerprints(seed=3).tolist() == [
        list(divmod(xxhash.xxh3_128_intdigest(t.encode("utf-32-le", "surrogatepass"), 3), 1 << 64)) for t in texts]
    rows = data.draw(st.lists(st.integers(0, len(texts) - 1), max_size=10)) if texts else []
    taken = batch.take(rows)
    assert taken.strings() == [texts[i] for i in rows]
    assert np.array_equal(taken.fingerprints(), batch.fingerprints()[rows].reshape(-1, 2))



@given(st.lists(st.text(alphabet="ab1٣.x", min_size=1, max_size=6), max_size=8))
def test_number_words_are_the_words_that_hold_a_digit(words):
    from dedup.stages.normalize import number_words

    assert number_words(" ".join(words)) == [word for word in words if any(c.isdecimal() for c in word)]


def test_a_long_word_without_a_digit_is_read_once():
    # Tried at every character, the pattern took minutes on a 200k-character run (quadratic).
    from dedup.stages.normalize import number_words

    assert number_words("x" * 200_000 + " 5 " + "y" * 200_000) == ["5"]
