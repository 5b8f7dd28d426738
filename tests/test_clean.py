import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

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
    assert drop("  A.\nB.", [0]) == "B."  # the indentation of a line goes with its paragraph


def test_the_strongest_separator_between_kept_paragraphs_survives():
    assert drop("A.\n\nB.\nC.", [1], "lines") == "A.\n\nC."
    assert drop("A.\nB.\n\nC.", [1], "lines") == "A.\n\nC."
    assert drop("A.\r\nB.\r\nC.", [1]) == "A.\r\nC."


def test_dropping_everything_leaves_only_leading_and_trailing_whitespace():
    assert drop(" A.\nB.\n", [0, 1]) == " \n"


MODES = ["auto", "blank-lines", "lines", "wrapped", "none"]
words = st.sampled_from(["the", "minister", "said", "on", "Monday", "talks", "--", "____", "(o o)", "resume.",
                         "week,", "in", "Geneva.", "a", "disagreement", "over", "agenda!", "x" * 25])
lines = st.tuples(st.sampled_from(["", "", " ", "   ", "> ", "\t"]),
                  st.lists(words, min_size=1, max_size=12).map(" ".join)).map("".join)
breaks = st.sampled_from(["\n", "\n", "\n", "\n\n", "\r\n", "\n \n", "\n>\n", "\u2029", "\u2028"])
wrapped_texts = st.lists(st.tuples(lines, breaks).map("".join), min_size=1, max_size=14).map("".join)


@given(st.tuples(st.sampled_from(["", " ", "\n  "]), wrapped_texts).map("".join), st.sampled_from(MODES), st.data())
def test_the_cleaned_text_is_cut_into_exactly_the_kept_paragraphs(text, mode, data):
    spans = paragraph_spans(text, mode)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(spans), max_size=len(spans))), dtype=bool)
    cleaned = remove_paragraphs(text, spans, mask, mode)
    kept = [text[s:e] for (s, e), dropped in zip(spans.tolist(), mask) if not dropped]
    assert [cleaned[s:e] for s, e in paragraph_spans(cleaned, mode).tolist()] == kept
    # Only separators change: the kept paragraphs keep their order and characters.
    assert re.sub(r"[\s>]", "", cleaned) == re.sub(r"[\s>]", "", "".join(kept))


def test_kept_lines_that_would_look_hard_wrapped_are_set_apart_by_a_blank_line():
    text = ("Breaking news.\nThe minister said on Monday that the talks would resume next\nShare this story.\n"
            "Read more.\nweek in Geneva, after a pause of almost three months caused by\nSubscribe now.")
    spans = paragraph_spans(text, "auto")
    assert len(spans) == 6
    # Alone, the two kept lines look like one hard-wrapped paragraph.
    cleaned = remove_paragraphs(text, spans, np.array([True, False, True, True, False, True]), "auto")
    assert cleaned == ("The minister said on Monday that the talks would resume next\n\n"
                       "week in Geneva, after a pause of almost three months caused by")
    # Kept lines that still look like lines keep their single line break.
    cleaned = remove_paragraphs(text, spans, np.array([False, False, True, True, True, True]), "auto")
    assert cleaned == "Breaking news.\nThe minister said on Monday that the talks would resume next"
