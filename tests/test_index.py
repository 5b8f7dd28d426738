"""The persistent index: shard by shard, it decides what one run over the whole corpus decides."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from benchmarks.corpora import records
from dedup import DedupConfig, Index, find_duplicates
from dedup.config import OptionError
from dedup.store.segments import IndexFormatError, IndexLockedError, Segment
from tests.helpers import needs_shared

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "東", "京", "12", "3.5"]
paragraph = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)
templates = st.integers(0, 40).map(lambda k: f"dividend of {k} cents payable on day {k % 7} record date {k % 5}")
document = st.lists(st.one_of(paragraph, templates, templates), min_size=0, max_size=6).map("\n".join)
corpus = st.lists(document, min_size=2, max_size=14)
configs = st.builds(
    DedupConfig,
    threshold=st.sampled_from([0.5, 0.7, 0.8, 1.0]),
    segmentation=st.just("lines"),
    shingle=st.sampled_from(["word", "word", "char"]),
    min_tokens=st.sampled_from([0, 3, 5]),
    num_perm=st.sampled_from([16, 64]),
    scope=st.sampled_from(["all", "all", "across"]),
    keep_shorter_than=st.sampled_from([0, 0, 4]),
    numbers_must_match=st.booleans(),
    kernel=st.sampled_from(["numpy", "numba"]),
)


def decisions(report):
    """For each paragraph searched, in order: where it is, and where the paragraph kept in its place is."""
    first = int(report._document_bounds[report.indexed_documents])
    out = []
    for row in range(first, len(report.paragraphs)):
        mine, kept = report.member(row), report.member(int(report.representative[row]))
        out.append(((mine.document, mine.paragraph), (kept.document, kept.paragraph), round(mine.jaccard, 12),
                    bool(report.exact[row]) if report.is_duplicate[row] else None, mine.numbers_differ))
    return out


def shards(docs, cuts):
    bounds = [0, *sorted(set(cuts)), len(docs)]
    return [docs[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


@settings(max_examples=60)
@given(corpus, configs, st.lists(st.integers(1, 13), min_size=1, max_size=5), st.booleans())
def test_adding_shard_by_shard_decides_what_one_run_decides(tmp_path_factory, texts, config, cuts, reopen):
    docs = [(f"d{i}", text) for i, text in enumerate(texts)]
    whole = decisions(find_duplicates(docs, config=config))
    folder = tmp_path_factory.mktemp("index") / "corpus.idx"
    index = Index.open(folder, config=config) if reopen else Index(config=config)
    found = []
    for shard in shards(docs, [c for c in cuts if c <= len(docs)]):
        queried = decisions(index.query(shard))
        added = decisions(index.add(shard))
        assert queried == added
        found += added
        if reopen:
            index.close()
            index = Index.open(folder, kernel=config.kernel)
    assert found == whole
    assert index.documents == len(docs) and len(index) == len(whole)


def test_a_query_names_the_indexed_paragraph_and_quotes_only_its_own_text():
    index = Index()
    index.add([("old", "Intro words here.\n\nThe licence of this file is the MIT licence, see below.")])
    report = index.query([("new", "The licence of this file is the MIT licence; see below!")])
    (cluster,) = report.clusters
    kept, copy = cluster.members
    assert (kept.document, kept.paragraph, kept.start, kept.end) == ("old", 1, 19, 74)
    assert report.text(copy) == "The licence of this file is the MIT licence; see below!"
    with pytest.raises(ValueError, match="'old' is in the index, which keeps no text"):
        report.text(kept)
    assert report.summary.documents == 1 and report.summary.duplicate_paragraphs == 1
    assert report.cleaned_texts() == [""]
    assert report.duplicate_spans == {"new": [(0, 55)]}


def test_texts_without_ids_are_numbered_on_from_the_documents_in_the_index():
    index = Index()
    index.add(["A paragraph long enough to be compared here."])
    report = index.add(["A paragraph long enough to be compared here!"])
    assert [m.document for m in report.clusters[0].members] == [0, 1]
    with pytest.raises(ValueError, match=r"docs\[0\] has id 0, already in the index"):
        index.add([(0, "anything")])


def test_a_query_threshold_may_be_raised_not_lowered():
    index = Index(threshold=0.6)
    index.add(["one two three four five six seven eight nine ten"])
    loose = index.query(["one two three four five six seven eight nine eleven"])
    strict = index.query(["one two three four five six seven eight nine eleven"], threshold=0.95)
    assert loose.summary.near_duplicates == 1 and strict.summary.near_duplicates == 0
    with pytest.raises(OptionError, match="threshold must be >= 0.6"):
        index.query(["x"], threshold=0.5)


def test_removed_documents_no_longer_match_and_are_counted_out(tmp_path):
    index = Index.open(tmp_path / "i.idx")
    text = "The same paragraph in two documents, long enough."
    index.add([("a", text + "\n\nAnother paragraph that a holds alone here."), ("b", "Short.")])
    assert index.remove(["a"]) == 1
    assert index.documents == 1 and len(index) == 1
    assert index.query([text]).summary.duplicate_paragraphs == 0
    with pytest.raises(KeyError, match="not in the index: 'a', 'zz'"):
        index.remove(["a", "zz"])
    index.add([("a", text)])  # an id removed may come again
    index.compact()
    assert index.info()["segments"] == 1 and index.info()["removed_documents"] == 1
    assert index.query([text]).summary.duplicate_paragraphs == 1
    index.close()
    reopened = Index.open(tmp_path / "i.idx")
    assert reopened.query([text]).clusters[0].members[0].document == "a"


def test_many_adds_compact_in_the_background_and_answer_the_same(tmp_path):
    docs = [(f"d{i}", f"Paragraph number {i % 7} of a longish corpus, word {i % 5}.\n\nUnique {i} here is.")
            for i in range(40)]
    index = Index.open(tmp_path / "i.idx", n_jobs=1)
    found = [decisions(index.add([doc])) for doc in docs]
    index.flush()
    assert index.info()["segments"] <= 9
    assert sum(found, []) == decisions(find_duplicates(docs))
    assert sorted(p.name for p in (tmp_path / "i.idx").iterdir() if p.suffix == ".dseg") == sorted(
        entry["file"] for entry in json.loads(json.loads((tmp_path / "i.idx" / "MANIFEST").read_text())["manifest"])
        ["segments"])


def test_save_then_open_in_a_fresh_process_gives_the_same_answers(tmp_path):
    docs = [("a", "The first paragraph, long enough to be compared.\n\nSecond one of the first text here."),
            ("b", "The first paragraph; long enough to be compared!")]
    index = Index(threshold=0.8)
    index.add(docs[:1])
    index.save(tmp_path / "saved.idx")
    expected = decisions(index.query(docs[1:]))
    script = ("import dedup, json, sys; from tests.test_index import decisions; "
              "i = dedup.Index.open(sys.argv[1]); print(json.dumps(decisions(i.query([('b', sys.argv[2])]))))")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "saved.idx"), docs[1][1]],
                         capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1])
    assert json.loads(out.stdout) == json.loads(json.dumps(expected))


def test_options_that_decide_what_is_held_cannot_change(tmp_path):
    Index.open(tmp_path / "i.idx", threshold=0.7, ngram=3).close()
    with pytest.raises(OptionError, match="ngram must be 3, the value .* was built with"):
        Index.open(tmp_path / "i.idx", ngram=2)
    with pytest.raises(OptionError, match="threshold must be 0.7"):
        Index.open(tmp_path / "i.idx", threshold=0.8)
    assert Index.open(tmp_path / "i.idx", kernel="numba", n_jobs=1).config.ngram == 3
    with pytest.raises(OptionError, match="scope must be 'all' or 'across' for an index"):
        Index(scope="within")


def test_what_is_not_an_intact_index_is_named_and_refused(tmp_path):
    (tmp_path / "file.txt").write_text("hello")
    with pytest.raises(IndexFormatError, match="file.txt: not a dedup index"):
        Index.open(tmp_path / "file.txt")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "x").write_text("")
    with pytest.raises(IndexFormatError, match="no MANIFEST"):
        Index.open(tmp_path / "folder")
    folder = tmp_path / "i.idx"
    with Index.open(folder) as index:
        index.add(["A paragraph long enough to be compared here, and more."])
    segment = next(folder.glob("*.dseg"))
    manifest_entry = json.loads(json.loads((folder / "MANIFEST").read_text())["manifest"])["segments"][0]
    opened = Segment.open(segment, manifest_entry)
    data = bytearray(segment.read_bytes())
    data[opened._start + opened._arrays["fp_lo"]["offset"] + 3] ^= 0xFF
    segment.write_bytes(bytes(data))
    with pytest.raises(IndexFormatError, match="checksum mismatch in array"):
        Index.open(folder).query(["A paragraph long enough to be compared here, and more."])
    segment.write_bytes(bytes(data[:-100]))
    with pytest.raises(IndexFormatError, match="truncated"):
        Index.open(folder)
    manifest = folder / "MANIFEST"
    manifest.write_text(manifest.read_text().replace('\\"version\\": 1', '\\"version\\": 99'))
    with pytest.raises(IndexFormatError, match="checksum mismatch; the manifest is corrupted"):
        Index.open(folder)
    body = json.loads(json.loads(manifest.read_text())["manifest"])
    body["version"] = 99
    encoded = json.dumps(body)
    import xxhash
    manifest.write_text(json.dumps({"checksum": xxhash.xxh3_64_hexdigest(encoded.encode()), "manifest": encoded}))
    with pytest.raises(IndexFormatError, match="index format version 99; this dedup reads version 1"):
        Index.open(folder)


def test_one_writer_at_a_time_while_readers_read(tmp_path):
    folder = tmp_path / "i.idx"
    writer = Index.open(folder)
    writer.add(["A paragraph long enough to be compared here, and more."])
    script = ("import dedup, sys; i = dedup.Index.open(sys.argv[1]); "
              "r = i.query(['A paragraph long enough to be compared here, and more!']); "
              "print(r.summary.duplicate_paragraphs); "
              "i.add(['x'])")
    out = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True,
                         cwd=Path(__file__).parents[1])
    assert out.stdout.strip() == "1"
    assert out.returncode != 0 and f"another process (pid {os.getpid()})" in out.stderr
    assert IndexLockedError.__name__ in out.stderr and "one writer at a time" in out.stderr
    writer.close()
    stale = Index.open(folder)
    with Index.open(folder) as other:
        other.add(["Something else entirely, of several words."])
    with pytest.raises(RuntimeError, match="another process changed this index since it was opened"):
        stale.add(["and more"])


@pytest.mark.parametrize("stage", ["segment", "manifest"])
def test_a_process_killed_while_adding_leaves_the_index_as_it_was(tmp_path, stage):
    folder = tmp_path / "i.idx"
    with Index.open(folder) as index:
        index.add([("a", "A paragraph long enough to be compared here, and more.")])
    before = decisions(Index.open(folder).query([("q", "A paragraph long enough to be compared here, and more!")]))
    # The child dies by SIGKILL just before the segment (or the manifest) is renamed into place.
    script = f"""
import os, signal, dedup.store.segments as s
real = os.replace
def dying(src, dst):
    if str(dst).endswith({".dseg" if stage == "segment" else "MANIFEST"!r}):
        os.kill(os.getpid(), signal.SIGKILL)
    real(src, dst)
s.os.replace = dying
import dedup
i = dedup.Index.open({str(folder)!r})
i.add([("b", "Another paragraph that would have been added to it.")])
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[1])
    assert out.returncode == -9
    index = Index.open(folder)
    assert index.documents == 1
    assert decisions(index.query([("q", "A paragraph long enough to be compared here, and more!")])) == before
    index.add([("b", "Another paragraph that would have been added to it.")])  # the writer cleans up
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_merged_indexes_answer_as_the_indexes_in_order(tmp_path):
    first = [("a", "The shared licence paragraph, long enough to be matched.\n\nOnly in a, this one here.")]
    second = [("b", "The shared licence paragraph, long enough to be matched!\n\nOnly in b, this other one.")]
    with Index.open(tmp_path / "a.idx") as a:
        a.add(first)
    with Index.open(tmp_path / "b.idx") as b:
        b.add(second)
    merged = Index.merge([tmp_path / "a.idx", tmp_path / "b.idx"], tmp_path / "ab.idx")
    assert merged.documents == 2 and len(merged) == 4
    report = merged.query([("c", "The shared licence paragraph, long enough to be matched?")])
    assert report.clusters[0].members[0].document == "a"
    assert merged.query([("c", "Only in b, this other one.")]).clusters[0].members[0].document == "b"
    with pytest.raises(ValueError, match="document id 'a' is in more than one of the indexes"):
        Index.merge([tmp_path / "a.idx", tmp_path / "a.idx"], tmp_path / "aa.idx")
    with Index.open(tmp_path / "c.idx", ngram=3):
        pass
    with pytest.raises(OptionError, match="ngram"):
        Index.merge([tmp_path / "a.idx", tmp_path / "c.idx"], tmp_path / "ac.idx")
    with pytest.raises(IndexFormatError, match="missing.idx: not a dedup index"):
        Index.merge([tmp_path / "a.idx", tmp_path / "missing.idx"], tmp_path / "am.idx")


def test_opening_reads_no_array(tmp_path, monkeypatch):
    folder = tmp_path / "i.idx"
    with Index.open(folder) as index:
        index.add([f"Paragraph {i} of many words, some of them repeated." for i in range(50)])
    read = []
    real = dedup.store.segments.Segment.__getitem__
    monkeypatch.setattr(dedup.store.segments.Segment, "__getitem__",
                        lambda self, name: read.append(name) or real(self, name))
    Index.open(folder)
    assert read == ["removed_docs"]  # a few bytes: the documents removed


_ADD_SHARD = """
import json, sys
from benchmarks.corpora import records
from tests.test_index import decisions
import dedup
docs = [(r["id"], r["text"]) for r in records("20newsgroups.jsonl.gz")][int(sys.argv[2]) : int(sys.argv[3])]
with dedup.Index.open(sys.argv[1]) as index:
    print(json.dumps(decisions(index.add(docs))))
"""


@needs_shared
def test_20newsgroups_in_five_shards_each_added_by_a_fresh_process_decides_as_one_run(tmp_path):
    docs = [(r["id"], r["text"]) for r in records("20newsgroups.jsonl.gz")]
    whole = json.loads(json.dumps(decisions(find_duplicates(docs))))
    bounds = np.linspace(0, len(docs), 6).astype(int).tolist()
    found = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        out = subprocess.run([sys.executable, "-c", _ADD_SHARD, str(tmp_path / "ng.idx"), str(a), str(b)],
                             capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1])
        found += json.loads(out.stdout)
    assert len(found) == len(whole) and sum(kept != mine for mine, kept, *_ in whole) > 10000
    assert found == whole


def test_a_query_of_the_index_only_removes_what_repeats_an_indexed_paragraph():
    index = Index()
    index.add([("q1", "What is the capital city of France, in a few words?")])
    train = [("t1", "What is the capital city of France, in a few words!\n\nA sentence the training set repeats."),
             ("t2", "A sentence the training set repeats.\n\nWhat is the capital city of France in a few words")]
    both = index.query(train)
    only = index.query(train, each_other=False)
    assert both.summary.duplicate_paragraphs == 3
    assert only.summary.duplicate_paragraphs == 2
    assert only.cleaned_texts() == ["A sentence the training set repeats.", "A sentence the training set repeats."]
    assert {m.document for c in only.clusters for m in c.members} == {"q1", "t1", "t2"}


def test_empty_indexes_save_merge_and_answer(tmp_path):
    empty = Index()
    assert empty.query([]).summary.paragraphs == 0
    assert empty.query(["A paragraph long enough to be compared here."], each_other=False).summary.paragraphs == 1
    empty.save(tmp_path / "e.idx")
    empty.close()
    with Index.open(tmp_path / "f.idx") as other:
        other.add([("x", "A paragraph long enough to be compared here.")])
    merged = Index.merge([tmp_path / "e.idx", tmp_path / "f.idx"], tmp_path / "m.idx")
    assert merged.documents == 1 and "x" in merged and "y" not in merged
    assert merged.query(["A paragraph long enough to be compared here!"]).summary.duplicate_paragraphs == 1
