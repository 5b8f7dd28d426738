import numpy as np

from dedup.clean import remove_paragraphs
from dedup.segment import paragraph_spans


def drop(text, indices, mode="auto"):
    spans = paragraph_spans(text, mode)
    mask = np.zeros(len(spans), dtype=bool)
    mask[list(indices)] = True
    return remove_paragraphs(text, spans, mask)


def test_nothing_dropped_returns_the_text_unchanged():
    text = "  lead\r\n\r\nA.\nB.\n\n"
    assert drop(text, []) == text


def test_dropping_takes_one_separator_along():
    assert drop("A.\nB.\nC.", [1]) == "A.\nC."
    assert drop("A.\n\nB.\n\nC.", [1]) == "A.\n\nC."
    assert drop("A.\nB.\nC.", [0]) == "B.\nC."
    assert drop("A.\nB.\nC.\n", [2]) == "A.\nB.\n"
    assert drop("  A.\nB.", [0]) == "  B."


def test_the_strongest_separator_between_kept_paragraphs_survives():
    assert drop("A.\n\nB.\nC.", [1], "lines") == "A.\n\nC."
    assert drop("A.\nB.\n\nC.", [1], "lines") == "A.\n\nC."
    assert drop("A.\r\nB.\r\nC.", [1]) == "A.\r\nC."


def test_dropping_everything_leaves_only_leading_and_trailing_whitespace():
    assert drop(" A.\nB.\n", [0, 1]) == " \n"
