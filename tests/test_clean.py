import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

import dedup.report.clean
from dedup.report.clean import _cleaned, remove_paragraphs
from dedup.stages.segment import paragraph_spans


def drop(text, indices, mode="auto"):
    spans = paragraph_spans(text, mode)
    mask = np.zeros(len(spans), dtype=bool)
    mask[list(indices)] = True
    return remove_paragraphs(text, spans, mask, mode)


def is_subsequence(short, long):
    characters = iter(long)
    return all(c in characters for c in short)


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


def test_a_removed_sign_off_leaves_a_wrapped_story_as_it_was():
    # The shape: lines of one sentence were set apart by blank lines.
    import dedup

    story = ("Acme Widgets Inc said vice\npresident John Smith will be leaving the company for\npersonal reasons.\n"
             " Wire\n")
    assert dedup.deduplicate(["Other story.\n Wire\n", story])[1] == story.replace(" Wire\n", "")


MODES = ["auto", "blank-lines", "lines", "wrapped", "none"]
words = st.sampled_from(["the", "minister", "said", "on", "Monday", "talks", "--", "____", "(o o)", "resume.",
                         "week,", "in", "Geneva.", "a", "disagreement", "over", "agenda!", "x" * 25, "1.", "- ",
                         "Shr 1.25 vs 1.14", "U.S.", "well-"])
lines = st.tuples(st.sampled_from(["", "", " ", "   ", "> ", "\t", ">> "]),
                  st.lists(words, min_size=1, max_size=12).map(" ".join)).map("".join)
breaks = st.sampled_from(["\n", "\n", "\n", "\n\n", "\r\n", "\n \n", "\n>\n", "\u2029", "\u2028"])
wrapped_texts = st.lists(st.tuples(lines, breaks).map("".join), min_size=1, max_size=14).map("".join)


@given(st.tuples(st.sampled_from(["", " ", "\n  "]), wrapped_texts).map("".join), st.sampled_from(MODES), st.data())
@example("a\nb\nb\nc b\n", "auto", None)
def test_cleaning_only_deletes_and_the_result_is_cut_into_exactly_the_kept_paragraphs(text, mode, data):
    spans = paragraph_spans(text, mode)
    if data is None:
        mask = np.arange(len(spans)) == 1
    else:
        mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(spans), max_size=len(spans))), dtype=bool)
    cleaned = remove_paragraphs(text, spans, mask, mode)
    kept = [text[s:e] for (s, e), dropped in zip(spans.tolist(), mask) if not dropped]
    assert [cleaned[s:e] for s, e in paragraph_spans(cleaned, mode).tolist()] == kept
    deleted = _cleaned(text, spans.tolist(), mask.tolist()).text if len(spans) else text
    assert is_subsequence(deleted, text)
    if cleaned != deleted:
        # Only where deleting alone would cut kept paragraphs otherwise, and
        # only by doubling a line break between two kept paragraphs.
        assert [deleted[s:e] for s, e in paragraph_spans(deleted, mode).tolist()] != kept
        assert mode in ("auto", "wrapped")
        for paragraph in kept:
            cleaned = cleaned.replace(paragraph, "\0", 1)
            deleted = deleted.replace(paragraph, "\0", 1)
        inserted = [set(a) - set(b) for a, b in zip(cleaned.split("\0"), deleted.split("\0"))]
        assert all(is_subsequence(b, a) for a, b in zip(cleaned.split("\0"), deleted.split("\0")))
        assert all(extra <= set("\n\r\u2028\x85") for extra in inserted)


def test_a_block_cut_otherwise_after_a_removal_is_set_apart_only_there(monkeypatch):
    # Two wrapped paragraphs, then one line: removing the line leaves the
    # block two paragraphs still; removing the first paragraph leaves one.
    text = ("The minister said on Monday that the talks would resume next\nweek.\n"
            "   Markets rose on the news, with the main index closing up two\npercent.\nShare this")
    spans = paragraph_spans(text)
    assert len(spans) == 3
    assert remove_paragraphs(text, spans, np.array([False, False, True])) == text[: spans[1][1]]
    calls = []
    monkeypatch.setattr(dedup.report.clean, "segment", lambda texts, mode: calls.append(texts) or segment(texts, mode))
    from dedup.stages.segment import segment

    assert remove_paragraphs(text, spans, np.array([True, False, False])) == text[spans[1][0] - 3 :]
    assert len(calls) == 1  # a block of several paragraphs lost one: it was checked


def test_a_block_that_loses_its_widest_line_after_its_kept_paragraphs_is_checked_too():
    # A Usenet signature widened the block; without it the first sentence
    # fills a line, and the two kept paragraphs would read as one.
    text = ("The speculum is the little cone that fits on the end of the otoscope.\n"
            "There are also vaginal specula that females and gynecologists are\nall too familiar with.\n"
            "Gordon Banks  N3JXP      | \"Skepticism is the chastity of the intellect, and it\"")
    spans = paragraph_spans(text)
    assert len(spans) == 3
    deleted = _cleaned(text, spans.tolist(), [False, False, True]).text
    assert len(paragraph_spans(deleted)) == 1  # deleting alone would join them
    cleaned = remove_paragraphs(text, spans, np.array([False, False, True]))
    assert cleaned == deleted.replace("otoscope.\n", "otoscope.\n\n")
    assert len(paragraph_spans(cleaned)) == 2
