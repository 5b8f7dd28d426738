import re

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from benchmarks.corpora import records
from dedup.stages.segment import block_pieces, paragraph_spans, segment
from tests.helpers import needs_shared

MODES = ["auto", "blank-lines", "lines", "wrapped", "none"]


def cut(text, mode="auto"):
    return [text[s:e] for s, e in paragraph_spans(text, mode)]


def test_blank_lines_separate_paragraphs_in_every_mode_but_none():
    text = "First one.\n\nSecond one.\n \t\nThird."
    assert cut(text, "none") == [text]
    for mode in MODES[:-1]:
        assert cut(text, mode) == ["First one.", "Second one.", "Third."]


def test_modes_differ_on_a_block_of_lines():
    text = "a\nb\n\nc"
    assert cut(text, "blank-lines") == ["a\nb", "c"]
    assert cut(text, "lines") == ["a", "b", "c"]


def test_scraped_text_without_blank_lines_is_one_paragraph_per_line():
    text = ("Breaking: storm hits the coast.\nResidents were told to stay indoors on Monday.\n"
            "Schools will reopen on Thursday, officials said.\nShare this")
    assert cut(text) == text.split("\n")


WIRE = (
    "The minister said on Monday that the talks would resume next\n"
    "week in Geneva, after a pause of almost three months caused by\n"
    "disagreement over the agenda.\n"
    "   Markets rose on the news, with the main index closing up two\n"
    "percent, the currency at its strongest in years.\n"
    "Analysts expect the central bank to hold rates.\n"
    "Trading volumes were thin because of the holiday in London and\n"
    "New York."
)


def test_hard_wrapped_text_is_joined_and_split_at_indents_and_short_final_lines():
    paragraphs = cut(WIRE)
    assert [" ".join(p.split())[:30] for p in paragraphs] == [
        "The minister said on Monday th",
        "Markets rose on the news, with",
        "Analysts expect the central ba",
        "Trading volumes were thin beca",
    ]
    assert cut(WIRE, "wrapped") == paragraphs
    assert len(cut(WIRE, "lines")) == 8
    assert len(cut(WIRE, "blank-lines")) == 1


NEWSWIRE = ("Acme Widgets Inc said vice\npresident John Smith will be leaving the company for\n"
            "personal reasons.\n Wire\n")


def test_a_short_wrapped_story_is_cut_at_its_paragraphs_not_its_lines():
    # A block of three wrapped lines and a sign-off: the failing shape.
    assert [" ".join(p.split()) for p in cut(NEWSWIRE)] == [
        "Acme Widgets Inc said vice president John Smith will be leaving the company for personal reasons.", "Wire"]
    # A first line shortened by a cut dateline, going on with a capital.
    story = ("Acme Widgets Inc said its chief John\nSmith will be leaving the company for personal\nreasons.\n"
             "    Terms were not disclosed.\n Reuters")
    assert [p.split()[0] for p in cut(story)] == ["Acme", "Terms", "Reuters"]


def test_tables_lists_headings_and_fields_are_lines_of_their_own_among_wrapped_prose():
    text = ("The company reported its results for the first quarter of the\nyear on Monday, ahead of forecasts.\n"
            "Shr 1.25 dlrs vs 1.14 dlrs\nNet 3,456,000 vs 2,987,000\nRevs 45.6 mln vs 41.2 mln\n"
            "Outlook\nThe company expects sales to grow in the second half of the\nyear, it said.\n"
            "- new plants in Ohio and Texas\n- a dividend of five cents\n"
            "Subject: results\nFrom: the investor relations office")
    assert [p.split("\n")[0][:12] for p in cut(text)] == [
        "The company ", "Shr 1.25 dlr", "Net 3,456,00", "Revs 45.6 ml", "Outlook", "The company ",
        "- new plants", "- a dividend", "Subject: res", "From: the in"]


def test_quoted_e_mail_is_cut_where_the_quoting_changes_and_rules_stand_alone():
    text = ("> The talks would resume next week in Geneva, after a pause\n> of three months.\n"
            "and I think they will fail again, as they did in the\nspring.\n-----\n"
            ">> deeper quoted text of the first message\n>> goes on here")
    assert [p.split("\n")[0][:10] for p in cut(text)] == ["> The talk", "and I thin", "-----", ">> deeper "]


def test_a_hanging_indent_keeps_a_list_item_whole():
    text = ("- You pay a royalty fee of 20% of the gross profits you derive from\n"
            "     the use of the works calculated using the method you already\n"
            "     use.  The fee is owed to the owner of the trademark, but he\n"
            "     Project Gutenberg Literary Archive Foundation has agreed to it.\n"
            "- You provide a full refund of any money paid by a user who\n     notifies you.")
    assert [p[:10] for p in cut(text)] == ["- You pay ", "- You prov"]


def test_scraped_sentences_one_a_line_stay_apart_even_when_as_wide_as_wrapped_text():
    text = ("Residents were told to stay indoors on Monday as the storm came.\n"
            "Schools will reopen on Thursday, officials said in a statement.\n"
            "The coast guard rescued two fishermen off the northern cape.")
    assert cut(text) == text.split("\n")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r", "\u2028", "\x85"])
def test_every_line_break_convention_gives_the_same_paragraphs(newline):
    text = WIRE.replace("\n", newline)
    assert [" ".join(p.split()) for p in cut(text)] == [" ".join(p.split()) for p in cut(WIRE)]
    blank = f"One.{newline}{newline}Two."
    assert cut(blank, "blank-lines") == ["One.", "Two."]


def test_paragraph_separator_ends_a_paragraph():
    assert cut("a\nb\u2029c", "blank-lines") == ["a\nb", "c"]


def test_quoted_email_blank_lines_separate_paragraphs():
    text = "> First quoted paragraph.\n> \n> Second quoted paragraph.\n\nReply."
    assert cut(text, "blank-lines") == ["> First quoted paragraph.", "> Second quoted paragraph.", "Reply."]


def test_empty_and_whitespace_texts_have_no_paragraphs():
    for text in ["", " ", "\n\n", "\r\n \t"]:
        assert paragraph_spans(text).shape == (0, 2)


def test_batch_table_numbers_documents_and_paragraphs():
    table = segment(["a\nb", "", "c"], "lines")
    assert table.doc.tolist() == [0, 0, 2]
    assert table.index.tolist() == [0, 1, 0]
    assert table.start.tolist() == [0, 2, 0] and table.end.tolist() == [1, 3, 1]


texts = st.lists(
    st.one_of(
        st.sampled_from(["\n", "\r\n", "\r", "\n\n", " \n", "\u2028", "\u2029", "> \n", "  ", "\t", "."]),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
        st.text(alphabet="ab >\n", max_size=20),
    ),
    max_size=20,
).map("".join)


@given(texts, st.sampled_from(MODES))
def test_spans_are_ordered_trimmed_and_lose_nothing(text, mode):
    spans = paragraph_spans(text, mode)
    previous_end = 0
    outside = []
    for start, end in spans.tolist():
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        outside.append(text[previous_end:start])
        previous_end = end
    outside.append(text[previous_end:])
    # Rebuilding from spans and separators gives the text back, and the
    # separators hold nothing but whitespace and quote markers.
    rebuilt = "".join(sep + text[s:e] for sep, (s, e) in zip(outside, spans.tolist())) + outside[-1]
    assert rebuilt == text
    assert all(re.fullmatch(r"[\s>]*", sep) for sep in outside)


@given(texts)
def test_lines_mode_is_finest_and_blank_lines_mode_coarsest(text):
    counts = {mode: len(paragraph_spans(text, mode)) for mode in MODES}
    assert counts["none"] == min(counts["blank-lines"], 1)
    assert counts["blank-lines"] <= counts["auto"] <= counts["lines"]
    assert counts["blank-lines"] <= counts["wrapped"] <= counts["lines"]


def test_a_large_document_is_cut_in_linear_time():
    line = "Word " + "word " * 11 + "end.\n"  # sentences, one a line: lines of their own in mode auto
    text = line * 200_000  # 12 MB
    spans = paragraph_spans(text, "lines")
    assert len(spans) == 200_000
    assert np.all(spans[:, 1] - spans[:, 0] == len(line) - 1)
    table = segment([text], "auto")
    assert np.array_equal(np.stack([table.start, table.end], axis=1), spans)


# Pieces of hard-wrapped and scraped text: lines long and short, ending a
# sentence or not (behind closing quotes too), indented, quoted, full-width.
wrapped_texts = st.lists(
    st.sampled_from(["\n", "\r\n", "\r", "\n\n", "\u2029", "\u2028", "\x0c", "\x85", "\x1c", "  ", "\t", "\x1f",
                     "\u3000", "> ", ">", " >\n", "word", "The end.", "x" * 35, "short.", '"quoted."', "»", "。",
                     "    indented", "a b c d e f g h i j k l m n o p q r s t", "|> ", "> " * 12, "-", "- ", "1. ",
                     "(iv) ", "a) ", "II. ", "Subject: ", "1,25 ", "12 34 5", "   ", "U.S.", "etc.", "well-", ",",
                     "* * *", "----", "É", "ß", "𝟏"]),
    max_size=40,
).map("".join)


@given(st.lists(st.one_of(texts, wrapped_texts), max_size=6), st.sampled_from(MODES))
@example(["  > \n", "> >", " >x ", "\t", "", "x"], "none")
@example([], "auto")
@example(["a\r", "\nab.\nc\nxxxxx"], "wrapped")  # "\r" and "\n" in different texts are two breaks
@example(["a\nb\u2029c"], "blank-lines")
@example(['x."', '"\nb\nxxxxx'], "wrapped")  # a line of closers ends no sentence, whatever precedes it
def test_batch_table_agrees_with_each_text_alone(batch, mode):
    assert_agrees_with_each_text_alone(segment(batch, mode), batch, mode)


def assert_agrees_with_each_text_alone(table, batch, mode):
    assert np.all(np.diff(table.doc) >= 0)
    for doc, text in enumerate(batch):
        rows = table.doc == doc
        assert np.array_equal(np.stack([table.start[rows], table.end[rows]], axis=1), paragraph_spans(text, mode))
        assert table.index[rows].tolist() == list(range(int(rows.sum())))


# Texts with blank lines of every kind, cut a few characters at a time.
@given(st.lists(st.one_of(texts, wrapped_texts), max_size=6), st.sampled_from(MODES), st.integers(1, 50))
@example(["aa\r\r\nbb.\r\n\r\ncc\n\ndd\u2029\nee"], "auto", 3)  # a cut between "\r" and "\n" changes nothing
@example(["x" * 20 + "\n\n" + "y" * 20 + "\nz"], "wrapped", 5)  # blocks longer than a round
@example(["ab\u2029cd\u2029ef"], "blank-lines", 3)  # a round that starts after U+2029 starts a block
def test_a_batch_cut_a_few_characters_at_a_time_agrees_with_each_text_alone(batch, mode, max_chars):
    assert_agrees_with_each_text_alone(segment(batch, mode, max_chars), batch, mode)


@given(st.one_of(texts, wrapped_texts), st.integers(1, 30), st.sampled_from(["auto", "lines"]))
@example("\r\r\n", 1, "auto")  # a blank line that ends in a "\r\n", and the text with it
def test_block_pieces_cover_the_text_and_end_with_a_blank_line_or_in_lines_mode_a_break(text, max_chars, mode):
    spans = list(block_pieces(text, max_chars, mode))
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[0] < a[1] == b[0] < b[1] for a, b in zip(spans, spans[1:]))
    ends = tuple("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029") if mode == "lines" else ("\n\n", "\r\n\r\n", "\r\r", "\u2029")

    def ends_there(start, cut):  # with the "\n" of a "\r\n" it ends in, never between the two
        piece = text[start:cut]
        ends_in_crlf = piece.endswith("\r\n") and piece[:-1].endswith(ends)
        return (piece.endswith(ends) or ends_in_crlf) and text[cut - 1 : cut + 1] != "\r\n"

    for start, end in spans[:-1]:
        assert ends_there(start, end)
        # Longer only when no blank line ends within max_chars of its start.
        assert end - start <= max_chars or not any(ends_there(start, cut)
                                                   for cut in range(start + 1, start + max_chars + 1))


@needs_shared
def test_auto_finds_the_paragraphs_of_real_text_in_every_layout():
    from benchmarks.segmentation import LAYOUTS, documents, sample_article_unchanged, score

    for layout in LAYOUTS:
        result = score(documents(layout, 150, seed=1, source_limit=1000), "auto")
        assert result.f1(marked_only=True) >= 0.99, layout
        assert result.cut_documents <= 0.005 * result.documents, layout
    assert sample_article_unchanged("auto")


@needs_shared
@pytest.mark.parametrize("mode", ["auto", "wrapped", "lines", "blank-lines"])
def test_batch_table_agrees_with_each_text_alone_on_books_and_posts(mode):
    books = [record["text"] for record in records("gutenberg_a.jsonl.gz", 12)]
    posts = [record["text"] for record in records("20newsgroups.jsonl.gz", 2000)]
    for batch in (books, posts):
        table = segment(batch, mode)
        alone = [paragraph_spans(text, mode) for text in batch]
        assert np.array_equal(np.stack([table.start, table.end], axis=1), np.concatenate(alone))
        assert np.array_equal(table.doc, np.repeat(np.arange(len(batch)), list(map(len, alone))))


def test_the_public_cut_names_the_modes_it_knows():
    import dedup

    assert dedup.paragraph_spans("One.\nTwo.").tolist() == [[0, 4], [5, 9]]
    with pytest.raises(ValueError, match=r"mode must be one of \('auto', 'blank-lines', 'lines', 'wrapped', 'none'\)"):
        dedup.paragraph_spans("One.", "paragraphs")
