import pytest

from dedup.normalize import normalize


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
