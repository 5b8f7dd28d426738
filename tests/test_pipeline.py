import json
import multiprocessing
import signal
import subprocess
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dedup
from benchmarks.corpora import records
from dedup import deduplicate, find_duplicates, find_duplicates_streaming
from dedup.demo import example_documents
from tests.helpers import SAMPLE_ARTICLE, needs_shared

REPEATED = ["Zakharova explained", "Ukraine has struggled", "In response, Kiev", "Russian Defense Minister"]
BUNDLED_REPEATED = ["Councillor Amira Osei", "Opponents argued", "The ferry operator", "Harbour master Tomas"]


def check_article_with_a_repeated_block(text, openings):
    report = find_duplicates([text])
    lines = text.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith(openings[0]))
    assert len(report.clusters) == 4
    for cluster, opening, offset in zip(report.clusters, openings, range(4)):
        assert [m.paragraph for m in cluster.members] == [first + offset, first + 4 + offset]
        for member in cluster.members:
            assert report.text(member).startswith(opening)
            assert member.jaccard == 1.0
    assert report.summary.duplicate_paragraphs == 4
    (block,) = report.repeated_blocks
    assert (block.first_paragraph, block.paragraphs, block.source_first_paragraph) == (first + 4, 4, first)
    assert text[block.start:block.end] == text[block.source_start:block.source_end]
    assert text[block.source_start:block.source_end].startswith(openings[0])
    (cleaned,) = deduplicate([text])
    assert cleaned == "\n".join(lines[: first + 4] + lines[first + 8:])
    return report


@needs_shared
def test_sample_article_has_exactly_one_repeated_block_of_four():
    check_article_with_a_repeated_block(SAMPLE_ARTICLE.read_text(encoding="utf-8"), REPEATED)


def test_bundled_article_has_exactly_one_repeated_block_of_four():
    text = (files("dedup") / "examples" / "article.txt").read_text(encoding="utf-8")
    check_article_with_a_repeated_block(text, BUNDLED_REPEATED)


def test_bundled_examples_show_near_and_cross_document_duplicates():
    report = find_duplicates(example_documents())
    near = [m for c in report.clusters for m in c.duplicates if m.document == "digest.txt"]
    assert [(m.paragraph, round(m.jaccard, 2) < 1) for m in near] == [(3, True), (5, False)]
    assert report.summary.near_duplicates == 1
    cleaned = report.cleaned_texts()[1]
    assert "paid from the harbour" not in cleaned and "Market day moves" in cleaned
    assert not cleaned.rstrip().endswith("editor.")


def test_earliest_occurrence_represents_its_cluster_across_documents():
    para = "The same paragraph appears in several documents of this corpus."
    report = find_duplicates([("c", "Intro of c.\n\n" + para), ("a", para), ("b", "x\n\n" + para)])
    (cluster,) = report.clusters
    assert [m.document for m in cluster.members] == ["c", "a", "b"]
    assert report.duplicate_spans == {"a": [(0, len(para))], "b": [(3, 3 + len(para))]}


def test_short_paragraphs_match_only_exactly():
    docs = ["Sorry!!\n\nOk then.", "Sorry!!\n\nOk than."]
    report = find_duplicates(docs)
    assert [[report.text(m) for m in c.members] for c in report.clusters] == [["Sorry!!", "Sorry!!"]]
    fuzzy = find_duplicates(docs, min_tokens=0, threshold=0.3)
    assert fuzzy.summary.duplicate_paragraphs == 1  # "ok then"/"ok than" share no bigram


def test_punctuation_only_paragraphs_do_not_match_each_other():
    report = find_duplicates(["Chapter one text is here.\n\n* * *\n\nMore.\n\n-----\n\n* * *"])
    assert [[report.text(m) for m in c.members] for c in report.clusters] == [["* * *", "* * *"]]


def test_cjk_text_is_shingled_by_characters():
    a = "东京是日本的首都，也是世界上人口最多的城市之一，拥有悠久的历史和丰富的文化。"
    b = "东京是日本的首都，也是世界上人口最多的城市之一，拥有悠久的历史和独特的文化。"
    report = find_duplicates([a, b], threshold=0.7)
    assert report.summary.near_duplicates == 1
    assert 0.7 <= report.clusters[0].members[1].jaccard < 1


def test_records_and_json_describe_every_member():
    report = find_duplicates(example_documents())
    records = report.to_records()
    assert len(records) == sum(len(c) for c in report.clusters)
    assert {"cluster", "representative", "document", "paragraph", "start", "end", "jaccard"} <= set(records[0])
    data = json.loads(report.to_json())
    assert data["summary"]["duplicate_paragraphs"] == report.summary.duplicate_paragraphs
    assert data["lsh"]["bands"] == report.lsh.bands
    assert len(data["clusters"]) == len(report.clusters)
    assert data["repeated_blocks"][0]["paragraphs"] == 4


def test_every_removed_paragraph_reaches_the_threshold_to_the_kept_one_in_its_place():
    report = find_duplicates(example_documents(), threshold=0.5)
    removed = report.is_duplicate
    assert (removed & ~report.exact).sum() >= 1 and np.all(report.jaccard[removed] >= 0.5)
    assert not report.is_duplicate[report.representative].any()


# --- bad input --------------------------------------------------------------

@pytest.mark.parametrize(
    "docs, error, message",
    [
        (["ok", None], TypeError, r"docs\[1\] \(id 1\) is NoneType; expected str"),
        (["ok", b"bytes"], TypeError, r"docs\[1\] \(id 1\) is bytes; expected str; decode it first"),
        (["ok", 3], TypeError, r"docs\[1\] \(id 1\) is int; expected str"),
        ([("a", "x"), ("a", "y")], ValueError, r"docs\[1\] repeats id 'a' of docs\[0\]"),
        ([("a", "x"), "y"], TypeError, r"docs\[1\] is str but docs\[0\] was an \(id, text\) pair"),
        (["x", ("a", "y")], TypeError, r"docs\[1\] is an \(id, text\) pair but docs\[0\] was a str"),
        ([("a", "x", "z")], TypeError, r"docs\[0\] is a tuple of 3 items; expected \(id, text\)"),
        ([(1.5, "x")], TypeError, r"docs\[0\] has id 1.5 of type float; expected a str or int id"),
        ([("a", None)], TypeError, r"docs\[0\] \(id 'a'\) is NoneType; expected str"),
        ("a single string", TypeError, r"not a single str; wrap it in a list"),
        (b"bytes", TypeError, r"not a single bytes"),
    ],
)
def test_bad_input_names_the_item_and_what_was_expected(docs, error, message):
    with pytest.raises(error, match=message):
        find_duplicates(docs)
    with pytest.raises(error, match=message):
        deduplicate(docs)


def test_empty_inputs_are_handled():
    assert find_duplicates([]).summary.documents == 0
    report = find_duplicates(["", "   ", "\n\n"])
    assert report.summary.documents == 3 and report.summary.paragraphs == 0
    assert deduplicate(["", "   ", "\n\n"]) == ["", "   ", "\n\n"]


def test_generators_and_lone_surrogates_are_accepted():
    docs = (t for t in ["bad \ud800 text with enough words here", "bad \ud800 text with enough words here"])
    report = find_duplicates(docs)
    assert report.summary.duplicate_paragraphs == 1


def test_a_50_megabyte_document():
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(50_000)])
    paragraphs = [" ".join(rng.choice(words, 60)) for _ in range(40_000)]
    paragraphs[30_000] = paragraphs[10]  # one far-apart repeat
    text = "\n\n".join(paragraphs)
    text = text + "\n\n" + "x" * (50_000_000 - len(text))  # pad with one huge paragraph
    assert len(text) >= 50_000_000
    report = find_duplicates([text])
    assert report.summary.paragraphs == 40_001
    assert [[m.paragraph for m in c.members] for c in report.clusters] == [[10, 30_000]]
    cleaned = report.cleaned_texts()[0]
    assert len(cleaned) == len(text) - len(paragraphs[10]) - 2


# --- properties ---------------------------------------------------------------

PARAGRAPHS = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "The quick brown fox jumps over the lazy cat near the river bank.",
    "A completely different paragraph about the weather in the hills today.",
    "Sorry!!",
    "Line one of a\nwrapped paragraph that goes on and\non until it ends.",
    "Short.",
    "东京是日本的首都，也是世界上人口最多的城市之一。",
    "* * *",
]
separators = st.sampled_from(["\n", "\n\n", "\r\n", "\n \n", "\u2029", "\n\n\n"])
documents = st.lists(
    st.tuples(st.sampled_from(PARAGRAPHS), separators).map("".join), max_size=10
).map("".join)
corpora = st.lists(documents, max_size=5)
modes = st.sampled_from(["auto", "blank-lines", "lines", "wrapped", "none"])


@given(corpora, modes)
def test_deduplicate_is_idempotent(docs, mode):
    once = deduplicate(docs, segmentation=mode)
    assert deduplicate(once, segmentation=mode) == once


@given(corpora, modes)
def test_kept_paragraphs_are_unchanged_and_in_order(docs, mode):
    report = find_duplicates(docs, segmentation=mode)
    for text, cleaned, doc in zip(docs, report.cleaned_texts(), range(len(docs))):
        rows = np.flatnonzero((report.paragraphs.doc == doc) & ~report.is_duplicate)
        kept = [text[report.paragraphs.start[r]:report.paragraphs.end[r]] for r in rows]
        position = 0
        for paragraph in kept:
            found = cleaned.find(paragraph, position)
            assert found >= 0
            position = found + len(paragraph)
        assert len(cleaned) <= len(text)


@given(corpora)
def test_results_are_identical_across_runs(docs):
    assert find_duplicates(docs).to_json() == find_duplicates(docs).to_json()


def test_results_are_identical_across_processes():
    script = (
        "import sys, json; sys.path.insert(0, '.'); from dedup import find_duplicates; "
        "from dedup.demo import example_documents; "
        "docs = example_documents() + [('x%d' % i, t * (i % 3 + 1)) for i, (_, t) in enumerate(example_documents())]; "
        "print(find_duplicates(docs, threshold=0.6).to_json(sort_keys=True))"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout
        for seed in ("0", "1", "random")
    }
    assert len(outputs) == 1 and json.loads(outputs.pop())["summary"]["duplicate_paragraphs"] > 0


def test_public_api_is_typed_and_documented():
    for name in dedup.__all__:
        assert getattr(dedup, name).__doc__, name


def test_readme_example_runs_and_its_comments_are_true():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {}
    exec(code, namespace)
    assert namespace["report"].duplicate_spans == {"a": [(52, 96)], "b": [(0, 44)]}
    assert '{"a": [(52, 96)], "b": [(0, 44)]}' in code


@pytest.mark.parametrize("mode", ["auto", "wrapped", "blank-lines", "lines"])  # cut at blank lines, or any break
def test_long_texts_go_through_the_stages_in_pieces_with_the_same_results(monkeypatch, mode):
    import dedup.engines.local

    long_text = "\n\n".join(text for _, text in example_documents() * 3)
    docs = ["A short one.", long_text, "", long_text.replace("\n\n", "\r\n\r\n")]
    in_memory, streamed = (find_duplicates(docs, n_jobs=1, segmentation=mode),
                           find_duplicates_streaming(lambda: iter(docs), n_jobs=1, segmentation=mode))
    monkeypatch.setattr(dedup.engines.local, "BATCH_CHARS", 300)
    rounds = []
    each_round = dedup.engines.local._round_features
    monkeypatch.setattr(dedup.engines.local, "_round_features",
                        lambda raw, *args: rounds.append(raw) or each_round(raw, *args))
    for n_jobs in (1, 2):
        for report, want in ((find_duplicates(docs, n_jobs=n_jobs, segmentation=mode), in_memory),
                             (find_duplicates_streaming(lambda: iter(docs), n_jobs=n_jobs, segmentation=mode),
                              streamed)):
            same_results(report, want)
            for column in ("doc", "index", "start", "end"):
                assert np.array_equal(getattr(report.paragraphs, column), getattr(want.paragraphs, column)), column
    assert find_duplicates(docs, segmentation=mode).cleaned_texts() == in_memory.cleaned_texts()
    assert len(rounds) > 20 and max(sum(map(len, raw)) - len(raw[0]) for raw in rounds) < 300
    assert in_memory.summary.duplicate_paragraphs > 10


# Paragraphs apart by blank lines, or single lines as in a scraped dump (one
# block, in mode "auto"), or all one line: one paragraph. Cut, normalised,
# shingled and signed all at once, as before pieces and rounds, the long text
# took 2.4 times as much in the first three cases, the one paragraph 5 times.
@pytest.mark.parametrize("separator, mode", [("\n\n", "auto"), ("\n", "lines"), ("\n", "auto"), (" ", "auto")])
def test_one_long_text_takes_about_the_memory_of_the_same_text_as_many_documents(separator, mode):
    import random
    import tracemalloc

    rng = random.Random(0)
    words = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(5000)]
    paragraphs = [" ".join(rng.choices(words, k=30)) + "." for _ in range(30_000)]
    docs = [separator.join(paragraphs[i : i + 300]) for i in range(0, len(paragraphs), 300)]
    long_text = separator.join(docs)
    assert len(long_text) > 2 * max(dedup.stages.segment.SEGMENT_CHARS, dedup.engines.local.BATCH_CHARS)

    def peak_bytes(texts):
        tracemalloc.start()
        try:
            report = find_duplicates(texts, n_jobs=1, segmentation=mode)
            return tracemalloc.get_traced_memory()[1], report
        finally:
            tracemalloc.stop()

    find_duplicates(docs[:1], n_jobs=1)  # lookup tables built beforehand, not counted
    (split_peak, split), (long_peak, whole) = peak_bytes(docs), peak_bytes([long_text])
    assert long_peak < 1.3 * split_peak
    if separator == " ":
        assert len(whole.representative) == 1 and len(split.representative) == len(docs)
    else:
        assert len(whole.representative) == len(split.representative) == len(paragraphs)


def test_worker_processes_give_identical_results(monkeypatch):
    import dedup.engines.local

    docs = [t * (i % 3 + 1) for i, (_, t) in enumerate(example_documents() * 4)]
    monkeypatch.setattr(dedup.engines.local, "BATCH_CHARS", 3000)  # many batches from a small corpus
    one = find_duplicates(docs, n_jobs=1)
    two = find_duplicates(docs, n_jobs=2)
    a, b = one.to_dict(), two.to_dict()
    assert a.pop("config").pop("n_jobs") == 1 and b.pop("config").pop("n_jobs") == 2
    assert a == b
    assert np.array_equal(one.representative, two.representative) and one.summary.duplicate_paragraphs > 10


@pytest.mark.parametrize("start_method", ["fork", "forkserver"])
def test_workers_started_either_way_give_identical_signatures_and_clusters(monkeypatch, start_method):
    # Forked workers read an in-memory corpus from inherited memory and write
    # signatures into shared memory; other workers get both through a pipe.
    import multiprocessing

    import dedup.engines.local
    from dedup import paragraph_signatures

    monkeypatch.setattr(dedup.engines.local, "_start_method", lambda: multiprocessing.get_context(start_method))
    monkeypatch.setattr(dedup.engines.local, "BATCH_CHARS", 3000)
    docs = [t * (i % 3 + 1) for i, (_, t) in enumerate(example_documents() * 4)]
    lines = [line for doc in docs for line in doc.splitlines()]
    signatures = paragraph_signatures(lines, n_jobs=2)
    assert np.array_equal(signatures, paragraph_signatures(lines, n_jobs=1))
    assert len(np.unique(signatures, axis=0)) > 10
    one, two = find_duplicates(docs, n_jobs=1), find_duplicates(docs, n_jobs=2)
    assert np.array_equal(one.representative, two.representative) and one.summary.duplicate_paragraphs > 10
    streamed = find_duplicates_streaming(lambda: iter(docs), n_jobs=2)
    assert np.array_equal(one.representative, streamed.representative)
    assert not dedup.engines.local._inherited


def interrupt_handlers(batch, config):
    return [signal.getsignal(signal.SIGINT)] * len(batch)


def test_worker_processes_leave_ctrl_c_to_the_calling_process():
    from dedup import DedupConfig
    from dedup.engines.local import map_batches

    texts = [f"text {i}" for i in range(40)]
    results = list(map_batches(interrupt_handlers, texts, DedupConfig(n_jobs=2)))
    assert len(results) > 2 and [h for _, part in results for h in part] == [signal.SIG_IGN] * len(texts)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the caller's own is untouched


@pytest.mark.parametrize("make_executor", [
    lambda: ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")),
    lambda: ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver")),
    lambda: ThreadPoolExecutor(2),
], ids=["fork-pool", "forkserver-pool", "threads"])
def test_one_executor_shared_by_many_calls_gives_identical_results(monkeypatch, make_executor):
    import dedup.engines.local
    from dedup import paragraph_signatures

    monkeypatch.setattr(dedup.engines.local, "BATCH_CHARS", 3000)
    docs = [t * (i % 3 + 1) for i, (_, t) in enumerate(example_documents() * 4)]
    lines = [line for doc in docs for line in doc.splitlines()]
    one = find_duplicates(docs, n_jobs=1)
    with make_executor() as executor:
        for _ in range(2):  # the second call reuses the workers the first one started
            assert np.array_equal(paragraph_signatures(lines, executor=executor), paragraph_signatures(lines, n_jobs=1))
            same_results(find_duplicates(docs, executor=executor), one)
            same_results(find_duplicates_streaming(lambda: iter(docs), executor=executor), one)
            assert deduplicate(docs, executor=executor) == one.cleaned_texts()
    assert one.summary.duplicate_paragraphs > 10


def test_every_batch_runs_in_the_given_executor_however_small_the_corpus(monkeypatch):
    import dedup.engines.local

    class Counting(ThreadPoolExecutor):
        tasks = 0

        def submit(self, *args, **kwargs):
            self.tasks += 1
            return super().submit(*args, **kwargs)

    monkeypatch.setattr(dedup.engines.local, "BATCH_CHARS", 300)
    docs = [text for _, text in example_documents()] * 3
    with Counting(2) as executor:
        report = find_duplicates(docs, n_jobs=1, executor=executor, segmentation="none")  # texts whole
    assert min(map(len, docs)) > 300 and executor.tasks == len(docs)  # a batch per text
    same_results(report, find_duplicates(docs, n_jobs=1, segmentation="none"))


def test_an_executor_must_be_an_executor():
    with pytest.raises(TypeError, match=r"executor must be None or a concurrent.futures.Executor.*got int"):
        find_duplicates(["some text"], executor=2)


def test_a_failed_batch_raises_and_cancels_the_batches_still_pending():
    from dedup.engines.local import _ordered

    with ThreadPoolExecutor(1) as executor:
        gate = threading.Event()

        def work(batch):
            if batch == ["bad"]:
                raise ValueError("bad batch")
            gate.wait(5)
            return batch

        futures = []

        def submit(position, batch):
            futures.append(executor.submit(work, batch))
            return futures[-1]

        results = _ordered(submit, iter([["bad"], ["a"], ["b"], ["c"]]), in_flight=2)
        with pytest.raises(ValueError, match="bad batch"):
            next(results)
        gate.set()
    assert futures[0].exception() is not None
    # ["c"] was never submitted; ["b"] waited behind ["a"] (perhaps running, then not cancellable).
    assert len(futures) == 3 and futures[2].cancelled()


def test_paragraph_signatures_match_the_stage_functions_and_datasketch():
    from datasketch import MinHash

    from dedup import paragraph_signatures
    from dedup.reference import reference_shingles

    texts = ["The quick brown fox jumps.", "", "东京是日本的首都", "Sorry!!"]
    sig = paragraph_signatures(texts, num_perm=64, seed=7)
    assert sig.shape == (4, 64) and sig.dtype == np.uint32
    for text, row in zip(texts, sig):
        m = MinHash(64, seed=7, hashfunc=lambda v: v)
        for h in reference_shingles(dedup.stages.normalize.normalize(text), "word", 2):
            m.update(h & 0xFFFFFFFF)
        assert np.array_equal(m.hashvalues, row)
    with pytest.raises(TypeError, match=r"docs\[1\] \(id 1\) is bytes"):
        paragraph_signatures(["ok", b"no"])


def same_results(streamed, in_memory):
    for name in ("representative", "jaccard", "exact"):
        assert np.array_equal(getattr(streamed, name), getattr(in_memory, name)), name
    assert streamed.summary == in_memory.summary


@given(corpora, modes)
def test_a_streamed_corpus_gives_the_same_results_as_one_in_memory(docs, mode):
    opened = []

    def open_texts():
        opened.append(1)
        return iter(docs)

    streamed = find_duplicates_streaming(open_texts, segmentation=mode, threshold=0.6)
    in_memory = find_duplicates(docs, segmentation=mode, threshold=0.6)
    same_results(streamed, in_memory)
    assert len(opened) == 2
    cleaned = [streamed.cleaned_text(i, text) for i, text in enumerate(docs)]
    assert cleaned == in_memory.cleaned_texts()
    with pytest.raises(ValueError, match="holds no text"):
        streamed.cleaned_texts()


@needs_shared
def test_streaming_20newsgroups_in_worker_processes_matches_in_memory():
    texts = [record["text"] for record in records("20newsgroups.jsonl.gz", 4000)]
    in_memory = find_duplicates(texts)
    streamed = find_duplicates_streaming(lambda: (text for text in texts), n_jobs=2)
    assert in_memory.summary.near_duplicates > 0
    same_results(streamed, in_memory)


@needs_shared
def test_cleaning_20newsgroups_once_leaves_nothing_to_find():
    texts = [record["text"] for record in records("20newsgroups.jsonl.gz")]
    report = find_duplicates(texts)
    assert report.summary.duplicate_paragraphs > 50_000
    again = find_duplicates(report.cleaned_texts())
    assert again.summary.duplicate_paragraphs == 0


FILING = ("Acme Widgets Inc said its first quarter net income was 1.25 dlrs a share, against 1.14 dlrs a year "
          "earlier, on sales of 45.6 mln dlrs.")


def test_paragraphs_whose_numbers_differ_are_marked_and_kept_apart_when_asked():
    other = FILING.replace("1.25", "1.31")
    default = find_duplicates([FILING, other, FILING.replace("Acme", "ACME")])
    assert default.representative.tolist() == [0, 0, 0]
    assert default.numbers_differ.tolist() == [False, True, False]
    assert [m.numbers_differ for m in default.clusters[0].members] == [False, True, False]
    strict = find_duplicates([FILING, other, FILING.replace("Acme", "ACME")], numbers_must_match=True)
    assert strict.representative.tolist() == [0, 1, 0]  # the same numbers still match
    assert deduplicate([FILING, other], numbers_must_match=True) == [FILING, other]


def test_numbers_and_abbreviations_are_one_token_each():
    # With their marks folded to spaces, "1.25" and "1,25" were both "1 25", and "U.S." was "u s".
    for a, b in (("Net income was 1.25 mln dlrs", "Net income was 1,25 mln dlrs"),
                 ("Talks with the U.S. resume on Monday", "Talks with the U S resume on Monday")):
        assert find_duplicates([a, b], min_tokens=0).summary.duplicate_paragraphs == 0
        assert find_duplicates([a, a.lower() + "!"], min_tokens=0).summary.exact_duplicates == 1
