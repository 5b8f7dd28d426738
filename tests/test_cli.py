"""End-to-end tests of the ``dedup`` command, run for real in a subprocess on files written here."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

import dedup
from benchmarks.corpora import records
from dedup.demo import example_documents
from tests.helpers import SAMPLE_ARTICLE, SHARED_DATA, needs_shared

ROOT = Path(__file__).resolve().parents[1]
BOILERPLATE = "This message was sent from a mailing list archive and may be shared under the list's terms."
QUOTE = ("The committee will meet again on Thursday to review the budget and the new parking rules "
         "for the town centre.")
EDITED = ("The committee will meet again on Thursday to review the budget and the new parking rules "
          "for the city centre.")
POSTS = [
    {"id": "p1", "group": "town", "text": f"Hello all.\n\n{QUOTE}\n\n{BOILERPLATE}"},
    {"id": "p2", "group": "town", "text": f"> {QUOTE}\n\nI will be there, with questions.\n\n{BOILERPLATE}"},
    {"id": "p3", "group": "misc", "text": "Nothing repeated in this post at all, just some words of its own."},
    {"id": "p4", "group": "town", "text": f"{EDITED}\n\n{BOILERPLATE}", "score": 1.5e-3},
    {"id": "p5", "group": "town", "text": f"{BOILERPLATE}"},
]


def run(*args, cwd=None, check_code=0, **kwargs):
    result = subprocess.run([sys.executable, "-m", "dedup", *map(str, args)], capture_output=True, text=True,
                            cwd=cwd or ROOT, **kwargs)
    if check_code is not None:
        assert result.returncode == check_code, result.stderr
    return result


def write_jsonl(path, records, opener=open):
    with opener(path, "wt", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
    return path


def read_jsonl(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def expected_clean(records, **options):
    return dedup.deduplicate([(r["id"], r["text"]) for r in records], **options)


def test_help_explains_every_option_and_exits_0():
    result = run("--help")
    assert all(command in result.stdout for command in ("find", "clean", "stats", "report"))
    for command in ("find", "clean", "stats", "report"):
        text = run(command, "--help").stdout
        for option in ("--threshold", "--ngram", "--num-perm", "--bands", "--rows", "--segmentation", "--seed",
                       "--text-field", "--id-field", "--on-error", "--config", "--quiet", "--kernel"):
            assert option in text, (command, option)


def test_find_writes_one_record_per_cluster_and_a_summary(tmp_path):
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    result = run("find", posts, "-o", tmp_path / "clusters.jsonl", cwd=tmp_path)
    clusters = read_jsonl(tmp_path / "clusters.jsonl")
    report = dedup.find_duplicates([(p["id"], p["text"]) for p in POSTS])
    assert len(clusters) == len(report.clusters) == 2
    for got, want in zip(clusters, report.clusters):
        assert got["size"] == len(want)
        assert [(m["id"], m["paragraph"], m["start"], m["end"], m["jaccard"]) for m in got["members"]] == \
            [(m.document, m.paragraph, m.start, m.end, m.jaccard) for m in want.members]
        assert all(m["file"] == str(posts) and m["line"] == [p["id"] for p in POSTS].index(m["id"]) + 1
                   for m in got["members"])
    near = [m for c in clusters for m in c["members"] if not m["exact"]]
    assert [m["id"] for m in near] == ["p4"] and near[0]["jaccard"] < 1
    assert "5 records from 1 file, none skipped" in result.stdout
    assert "duplicates" in result.stdout and "wrote 2 clusters" in result.stdout
    assert result.stderr == ""  # no progress bars when stderr is not a terminal


@needs_shared
def test_the_compiled_kernel_writes_the_same_clusters(tmp_path):
    pytest.importorskip("numba", reason="numba is in the test extra: pip install -e '.[test]'")
    posts = write_jsonl(tmp_path / "posts.jsonl", records("20newsgroups.jsonl.gz", 2000))
    run("find", posts, "-o", tmp_path / "numpy.jsonl", "-q", cwd=tmp_path)
    run("find", posts, "-o", tmp_path / "numba.jsonl", "-q", "--kernel", "numba", cwd=tmp_path)
    assert (tmp_path / "numba.jsonl").read_bytes() == (tmp_path / "numpy.jsonl").read_bytes()
    assert len(read_jsonl(tmp_path / "numpy.jsonl")) > 100


def test_clean_jsonl_keeps_order_and_other_fields_and_unchanged_lines(tmp_path):
    posts = tmp_path / "posts.jsonl"
    lines = [json.dumps(p, separators=(",", ":")) for p in POSTS]  # unusual spacing, kept for unchanged records
    posts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("clean", posts, "-o", tmp_path / "clean.jsonl")
    out_lines = (tmp_path / "clean.jsonl").read_text(encoding="utf-8").splitlines()
    cleaned = [json.loads(line) for line in out_lines]
    assert [r["text"] for r in cleaned] == expected_clean(POSTS)
    assert [{k: v for k, v in r.items() if k != "text"} for r in cleaned] == \
        [{k: v for k, v in p.items() if k != "text"} for p in POSTS]
    assert out_lines[0] == lines[0] and out_lines[2] == lines[2]  # untouched records byte for byte
    assert BOILERPLATE not in cleaned[1]["text"] and QUOTE in cleaned[0]["text"]
    assert "2 kept as they were, 3 cleaned (2 of them left empty, written), 0 skipped; wrote 5" in result.stdout


def test_clean_drops_documents_left_empty_only_when_asked(tmp_path):
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    kept = read_jsonl(run("clean", posts, "-o", tmp_path / "a.jsonl") and tmp_path / "a.jsonl")
    assert len(kept) == 5 and kept[3]["text"] == kept[4]["text"] == ""
    result = run("clean", posts, "-o", tmp_path / "b.jsonl", "--drop-empty")
    assert [r["id"] for r in read_jsonl(tmp_path / "b.jsonl")] == ["p1", "p2", "p3"]
    assert "3 cleaned (2 of them left empty, dropped)" in result.stdout and "wrote 3" in result.stdout


def test_annotate_lists_the_removed_spans_and_keeps_texts(tmp_path):
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    run("clean", posts, "-o", tmp_path / "a.jsonl", "--annotate", "--annotate-field", "removed")
    annotated = read_jsonl(tmp_path / "a.jsonl")
    report = dedup.find_duplicates([(p["id"], p["text"]) for p in POSTS])
    assert [r["text"] for r in annotated] == [p["text"] for p in POSTS]
    assert {r["id"]: [tuple(s) for s in r["removed"]] for r in annotated if r["removed"]} == report.duplicate_spans


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_compressed_input_and_output_by_extension(tmp_path, suffix):
    import zstandard

    plain = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    packed = tmp_path / f"posts.jsonl{suffix}"
    data = plain.read_bytes()
    packed.write_bytes(gzip.compress(data) if suffix == ".gz" else zstandard.ZstdCompressor().compress(data))
    run("clean", packed, "-o", tmp_path / f"out.jsonl{suffix}")
    out = (tmp_path / f"out.jsonl{suffix}").read_bytes()
    raw = gzip.decompress(out) if suffix == ".gz" else zstandard.ZstdDecompressor().decompressobj().decompress(out)
    assert [json.loads(line)["text"] for line in raw.decode().splitlines()] == expected_clean(POSTS)


def test_json_array_input(tmp_path):
    posts = tmp_path / "posts.json"
    posts.write_text(json.dumps([{"title": p["id"], "body": p["text"]} for p in POSTS]), encoding="utf-8")
    run("clean", posts, "-o", tmp_path / "out.json", "--text-field", "body", "--id-field", "title")
    out = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [r["body"] for r in out] == expected_clean(POSTS) and [r["title"] for r in out] == [p["id"] for p in POSTS]


def test_parquet_in_parquet_out_with_the_same_schema(tmp_path):
    pa = pytest.importorskip("pyarrow", reason="pyarrow is in the test extra")
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([{"id": p["id"], "text": p["text"], "n": i} for i, p in enumerate(POSTS)])
    pq.write_table(table, tmp_path / "posts.parquet")
    run("clean", tmp_path / "posts.parquet", "-o", tmp_path / "out.parquet")
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.schema == table.schema
    assert out.column("text").to_pylist() == expected_clean(POSTS) and out.column("n").to_pylist() == list(range(5))
    run("clean", tmp_path / "posts.parquet", "-o", tmp_path / "annotated.parquet", "--annotate")
    annotated = pq.read_table(tmp_path / "annotated.parquet")
    assert annotated.column("text").to_pylist() == [p["text"] for p in POSTS]
    assert sum(len(spans) for spans in annotated.column("dedup_removed").to_pylist()) == 5


def test_a_text_directory_is_cleaned_into_a_mirrored_directory(tmp_path):
    folder = tmp_path / "texts"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "b.txt").write_text(POSTS[1]["text"], encoding="utf-8")
    (folder / "a.txt").write_text(POSTS[0]["text"], encoding="utf-8")
    (folder / "c.txt").write_text(BOILERPLATE + "\n", encoding="utf-8")
    (folder / ".hidden").write_text(BOILERPLATE, encoding="utf-8")
    result = run("clean", folder, "-o", tmp_path / "out", "--drop-empty")
    docs = [("a.txt", POSTS[0]["text"]), ("c.txt", BOILERPLATE + "\n"), ("sub/b.txt", POSTS[1]["text"])]
    cleaned = dedup.deduplicate(docs)
    assert (tmp_path / "out" / "a.txt").read_text(encoding="utf-8") == cleaned[0]
    assert (tmp_path / "out" / "sub" / "b.txt").read_text(encoding="utf-8") == cleaned[2]
    assert not (tmp_path / "out" / "c.txt").exists() and not (tmp_path / "out" / ".hidden").exists()
    assert "3 records from 3 files" in result.stdout and "(1 of them left empty, dropped)" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["a.txt", "b.txt", "sub"]


def test_the_bundled_article_as_a_text_file(tmp_path):
    article = dict(example_documents())["article.txt"]
    (tmp_path / "article.txt").write_text(article, encoding="utf-8")
    run("find", "article.txt", "-o", "clusters.jsonl", cwd=tmp_path)
    clusters = read_jsonl(tmp_path / "clusters.jsonl")
    assert [[m["paragraph"] for m in c["members"]] for c in clusters] == [[4, 8], [5, 9], [6, 10], [7, 11]]
    run("clean", "article.txt", "-o", "clean.txt", cwd=tmp_path)
    assert (tmp_path / "clean.txt").read_text(encoding="utf-8") == dedup.deduplicate([article])[0]


@needs_shared
def test_the_sample_article_loses_exactly_its_repeated_four_paragraphs(tmp_path):
    run("clean", SAMPLE_ARTICLE, "-o", tmp_path / "clean.txt")
    text = SAMPLE_ARTICLE.read_text(encoding="utf-8")
    cleaned = (tmp_path / "clean.txt").read_text(encoding="utf-8")
    assert cleaned == dedup.deduplicate([text])[0]
    assert text.count("Zakharova explained") == 2 and cleaned.count("Zakharova explained") == 1


BAD_LINES = {
    "malformed JSON": b'{"id": "x", "text": "broken\n',
    "invalid UTF-8": b'{"id": "x", "text": "caf\xe9"}\n',
    "missing text field": b'{"id": "x", "body": "no text field"}\n',
    "text not a string": b'{"id": "x", "text": 42}\n',
    "not an object": b'["a", "list"]\n',
}


@pytest.mark.parametrize("kind", sorted(BAD_LINES))
def test_a_bad_record_stops_with_file_and_line_or_is_skipped_and_counted(tmp_path, kind):
    good = json.dumps(POSTS[0]).encode() + b"\n"
    path = tmp_path / "posts.jsonl"
    path.write_bytes(good + b"\n" + BAD_LINES[kind] + good.replace(b'"p1"', b'"p9"'))
    result = run("clean", path, "-o", tmp_path / "out.jsonl", check_code=1)
    assert f"{path}:3:" in result.stderr and "--on-error skip" in result.stderr
    assert not (tmp_path / "out.jsonl").exists() and list(tmp_path.iterdir()) == [path]
    result = run("clean", path, "-o", tmp_path / "out.jsonl", "--on-error", "skip")
    assert [r["id"] for r in read_jsonl(tmp_path / "out.jsonl")] == ["p1", "p9"]
    assert f"2 records from 1 file; skipped 1 (1 {kind}; first: {path}:3:" in result.stdout
    assert "1 kept as they were, 1 cleaned (1 of them left empty, written), 1 skipped" in result.stdout


def test_unreadable_files_and_bad_text_files(tmp_path):
    (tmp_path / "bad.txt").write_bytes(b"line one\nline \xff two\n")
    packed = gzip.compress("".join(json.dumps({"text": f"{i} {i * i} {i ** 3}"}) + "\n" for i in range(2000)).encode())
    (tmp_path / "broken.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    (tmp_path / "good.txt").write_text(BOILERPLATE, encoding="utf-8")
    result = run("find", tmp_path / "bad.txt", "-o", tmp_path / "c.jsonl", check_code=1)
    assert f"{tmp_path / 'bad.txt'}:2: invalid UTF-8" in result.stderr
    result = run("find", tmp_path / "broken.jsonl.gz", "-o", tmp_path / "c.jsonl", check_code=1)
    assert str(tmp_path / "broken.jsonl.gz") in result.stderr and "cannot read" in result.stderr
    result = run("find", tmp_path / "missing.jsonl", "-o", tmp_path / "c.jsonl", check_code=1)
    assert "missing.jsonl" in result.stderr and "No such file" in result.stderr
    result = run("stats", tmp_path / "bad.txt", tmp_path / "broken.jsonl.gz", tmp_path / "good.txt",
                 "--on-error", "skip")
    assert "skipped" in result.stdout and "1 invalid UTF-8" in result.stdout and "1 unreadable file" in result.stdout
    assert not (tmp_path / "c.jsonl").exists()


@pytest.mark.parametrize("args, message", [
    (["--threshold", "1.5"], "--threshold must be a number in (0, 1]; got 1.5"),
    (["--bands", "4"], "--bands and --rows must be given together; got --bands 4 alone"),
    (["--bands", "20", "--rows", "10"], "--bands times --rows must be <= --num-perm (128); got --bands 20, --rows 10"),
    (["--jobs", "0"], "--jobs must be an integer >= 1; got 0"),
    (["--scope", "everything"], "invalid choice: 'everything'"),
    (["--no-such-option"], "unrecognized arguments"),
])
def test_usage_errors_exit_2(tmp_path, args, message):
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    result = run("find", posts, "-o", tmp_path / "c.jsonl", *args, check_code=2)
    assert message in result.stderr and not (tmp_path / "c.jsonl").exists()


def test_refuses_to_overwrite_an_input_or_mix_up_formats(tmp_path):
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    before = posts.read_bytes()
    assert "refusing to overwrite input" in run("clean", posts, "-o", posts, check_code=2).stderr
    assert "refusing to overwrite input" in run("find", posts, "-o", posts, check_code=2).stderr
    assert "must be jsonl" in run("clean", posts, "-o", tmp_path / "out.parquet", check_code=2).stderr
    (tmp_path / "a.txt").write_text("text", encoding="utf-8")
    assert "--annotate" in run("clean", tmp_path / "a.txt", "-o", tmp_path / "b.txt", "--annotate",
                               check_code=2).stderr
    assert posts.read_bytes() == before


def test_an_output_that_cannot_be_written_is_a_usage_error(tmp_path):
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    (tmp_path / "file").write_text("not a directory", encoding="utf-8")
    result = run("find", posts, "-o", tmp_path / "file" / "clusters.jsonl", check_code=2)
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_options_come_from_a_toml_config_and_the_command_line_overrides_them(tmp_path):
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    (tmp_path / "dedup.toml").write_text('threshold = 0.99\nmin-documents = 2\n', encoding="utf-8")
    strict = run("stats", posts, "--config", tmp_path / "dedup.toml", "--json")
    assert json.loads(strict.stdout)["summary"]["near_duplicates"] == 0
    assert json.loads(strict.stdout)["min_documents"] == 2
    loose = run("stats", posts, "--config", tmp_path / "dedup.toml", "--threshold", "0.8", "--json")
    assert json.loads(loose.stdout)["summary"]["near_duplicates"] == 1
    (tmp_path / "bad.toml").write_text('treshold = 0.9\n', encoding="utf-8")
    result = run("stats", posts, "--config", tmp_path / "bad.toml", check_code=2)
    assert "unknown option(s) ['treshold']" in result.stderr and "bad.toml" in result.stderr
    (tmp_path / "choices.toml").write_text('scope = "within"\nkeep-shorter-than = 3\nnumbers-must-match = true\n',
                                           encoding="utf-8")
    settings = run("report", posts, "-o", tmp_path / "r.html", "--config", tmp_path / "choices.toml", "-q")
    assert settings.returncode == 0 and "scope=within, keep_shorter_than=3, numbers_must_match=True" in (
        tmp_path / "r.html").read_text(encoding="utf-8")
    (tmp_path / "jobs.toml").write_text('jobs = 0\n', encoding="utf-8")
    result = run("stats", posts, "--config", tmp_path / "jobs.toml", check_code=2)
    assert f"jobs in {tmp_path / 'jobs.toml'} must be an integer >= 1; got 0" in result.stderr


def test_stats_lists_boilerplate_with_document_counts_and_blocks_inside_documents(tmp_path):
    article = dict(example_documents())["article.txt"]
    posts = write_jsonl(tmp_path / "posts.jsonl", [*POSTS, {"id": "article", "text": article}])
    stats = json.loads(run("stats", posts, "--json").stdout)
    top, quote = stats["boilerplate"]
    assert (top["documents"], top["occurrences"], top["id"], top["text"]) == (4, 4, "p1", BOILERPLATE)
    assert (quote["documents"], quote["occurrences"], quote["id"], quote["text"]) == (3, 3, "p1", QUOTE)
    (block,) = stats["blocks"]
    assert (block["id"], block["paragraphs"], block["paragraph"], block["source_paragraph"]) == ("article", 4, 8, 4)
    assert stats["removed_by_choice"]["all"] == stats["summary"]["duplicate_paragraphs"] == 9
    assert stats["removed_by_choice"]["across"] + stats["removed_by_choice"]["within"] == 9
    text = run("stats", posts).stdout
    assert "Paragraphs found in >= 3 documents (boilerplate): 2" in text and BOILERPLATE[:40] in text
    assert "Blocks repeated inside one document: 1" in text
    assert "2 repeated blocks (1 inside one document)" in text
    assert "--scope all 9, across (repeats of another document) 5, within (repeats inside one document) 4" in text
    one = run("stats", posts, "--top", "1").stdout
    assert "(boilerplate): 2 (the 1 in most documents below)" in one


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.open = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in ("meta", "br"):
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, tag


def test_report_is_one_self_contained_page_with_clusters_diffs_boilerplate_and_s_curve(tmp_path):
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    run("report", posts, "-o", tmp_path / "report.html", "--min-documents", "2")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(page)
    assert parser.open == [] and "svg" in parser.tags and "polyline" in parser.tags
    assert "<del>town</del>" in page and "<ins>city</ins>" in page  # the one word that differs
    assert "18 bands × 7 rows" in page and "threshold 0.8</text>" in page and "P = 0.986" in page
    assert "ngram=2, min_tokens=5, scope=all, keep_shorter_than=0, numbers_must_match=False, num_perm=128, " \
           "bands=18, rows=7" in page
    assert "scope all 5; across 5; within 0" in page
    assert "src=" not in page and "href=" not in page and "<script" not in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(tmp_path):
    article = dict(example_documents())
    posts = write_jsonl(tmp_path / "posts.jsonl", [*POSTS, *({"id": k, "text": v} for k, v in article.items())])
    run("report", posts, "-o", tmp_path / "report.html", "--min-documents", "2")
    # DEDUP_SCREENSHOT=path keeps the screenshot, to look at.
    shot = Path(os.environ.get("DEDUP_SCREENSHOT", tmp_path / "report.png")).resolve()
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,2400",
                    f"--screenshot={shot}", (tmp_path / "report.html").as_uri()],
                   capture_output=True, timeout=120, check=True)
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000  # a blank page compresses to a few KB


@needs_shared
def test_an_interrupted_run_leaves_no_output(tmp_path):
    out = tmp_path / "out.jsonl"
    for signum in (signal.SIGINT, signal.SIGTERM):
        for _ in range(3):  # on a loaded machine the run may finish before the signal lands: run again
            process = subprocess.Popen([sys.executable, "-m", "dedup", "clean", SHARED_DATA / "20newsgroups.jsonl.gz",
                                        "-o", out], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 120
            while not list(tmp_path.glob(".out.jsonl.*")) and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)  # until the output is being written
            process.send_signal(signum)
            _, stderr = process.communicate(timeout=120)
            if process.returncode != 0:
                break
            out.unlink()
        assert process.returncode == 130 and "interrupted; no output written" in stderr
        assert list(tmp_path.iterdir()) == []


@needs_shared
def test_cleaning_20newsgroups_removes_exactly_what_find_reports_and_a_second_clean_nothing(tmp_path):
    corpus = SHARED_DATA / "20newsgroups.jsonl.gz"
    run("find", corpus, "-o", tmp_path / "clusters.jsonl", "-q")
    reported = {(m["id"], m["start"], m["end"]) for c in read_jsonl(tmp_path / "clusters.jsonl")
                for m in c["members"][1:]}
    run("clean", corpus, "-o", tmp_path / "annotated.jsonl.gz", "--annotate", "-q")
    removed = {(r["id"], s, e) for r in read_jsonl(tmp_path / "annotated.jsonl.gz") for s, e in r["dedup_removed"]}
    assert removed == reported and len(removed) > 90_000
    run("clean", corpus, "-o", tmp_path / "clean.jsonl.gz", "-q")
    originals = {r["id"]: r["text"] for r in read_jsonl(corpus)}
    removed_from = {}
    for i, s, e in removed:
        removed_from.setdefault(i, []).append((s, e))
    for record in read_jsonl(tmp_path / "clean.jsonl.gz")[:2000]:
        spans = sorted(removed_from.get(record["id"], []))
        text = originals[record["id"]]
        assert all(text[s:e] not in record["text"] or text.count(text[s:e]) > 1 for s, e in spans)
    again = run("clean", tmp_path / "clean.jsonl.gz", "-o", tmp_path / "again.jsonl.gz")
    assert "0 duplicates" in again.stdout and "18,846 kept as they were, 0 cleaned" in again.stdout


def test_the_readme_walk_through_prints_what_it_shows(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    session = readme.split("```console\n", 1)[1].split("```", 1)[0]
    shutil.copytree(ROOT / "dedup" / "examples", tmp_path / "dedup" / "examples")
    commands = session.split("$ ")[1:]
    assert len(commands) >= 5
    for block in commands:
        command, _, shown = block.partition("\n")
        # The installed console script: `python -m dedup` would import the copied
        # dedup/examples folder as a namespace package.
        command = command.replace(".venv/bin/dedup", str(Path(sys.executable).parent / "dedup"))
        result = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True, check=True)
        assert result.stdout.rstrip("\n") == shown.rstrip("\n"), command


@needs_shared
def test_ctrl_c_to_the_whole_process_group_while_workers_run_leaves_no_output_and_no_process(tmp_path):
    out = tmp_path / "out.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "dedup", "clean", SHARED_DATA / "20newsgroups.jsonl.gz",
                                "-o", out, "--jobs", "2"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    time.sleep(2)  # reading, with two worker processes
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and "interrupted; no output written" in stderr
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # no worker left behind


def _children(pid):
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.append(int(status.parent.name))
    return found


def _state(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to find worker processes")
@needs_shared
def test_no_worker_outlives_a_command_killed_outright(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "dedup", "find", SHARED_DATA / "20newsgroups.jsonl.gz",
                                "-o", tmp_path / "out.jsonl", "--jobs", "2", "-q"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(workers := _children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(workers) >= 2, "the command did not start its two workers"
    process.kill()  # as the OOM killer does: no handler runs
    process.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{w}").exists() and "Z" not in _state(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if Path(f"/proc/{w}").exists() and "Z" not in _state(w)]


def test_progress_bars_show_documents_per_second_on_a_terminal_and_quiet_silences_them(tmp_path):
    import fcntl
    import pty
    import struct
    import termios

    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS * 2000)
    for quiet in ([], ["--quiet"]):
        terminal, stderr = pty.openpty()
        # A terminal of 100 columns: a new pseudo-terminal has none, and tqdm fits its bar to the width.
        fcntl.ioctl(stderr, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        result = subprocess.run([sys.executable, "-m", "dedup", "stats", posts, *quiet], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=stderr, check=True, text=True)
        os.close(stderr)
        shown = b""
        while True:
            try:
                chunk = os.read(terminal, 65536)
            except OSError:  # the other end is closed
                break
            if not chunk:
                break
            shown += chunk
        os.close(terminal)
        assert (b"docs/s" in shown) == (not quiet), shown[-300:]
        assert "Paragraphs found in >= 3 documents" in result.stdout  # the statistics are the result, never silenced


@pytest.mark.parametrize("suffix, delimiter", [(".csv", ","), (".tsv", "\t")])
def test_csv_and_tsv_keep_their_header_and_unchanged_rows_byte_for_byte(tmp_path, suffix, delimiter):
    import csv

    path = tmp_path / f"posts{suffix}"
    with open(path, "w", encoding="utf-8", newline="") as out:
        rows = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        rows.writerow(["id", "text", "group"])
        rows.writerows([p["id"], p["text"], p["group"]] for p in POSTS)
    raw_rows = path.read_bytes().split(b"\r\n")
    result = run("clean", path, "-o", tmp_path / f"out{suffix}")
    out = (tmp_path / f"out{suffix}").read_bytes()
    with open(tmp_path / f"out{suffix}", encoding="utf-8", newline="") as cleaned:
        table = list(csv.reader(cleaned, delimiter=delimiter))
    assert table[0] == ["id", "text", "group"] and [row[0] for row in table[1:]] == [p["id"] for p in POSTS]
    assert [row[1] for row in table[1:]] == expected_clean(POSTS)
    assert out.startswith(raw_rows[0] + b"\r\n" + raw_rows[1]) and raw_rows[-2] not in out  # p1 as it was read
    assert "5 records from 1 file" in result.stdout
    run("clean", path, "-o", tmp_path / f"annotated{suffix}", "--annotate")
    with open(tmp_path / f"annotated{suffix}", encoding="utf-8", newline="") as annotated:
        table = list(csv.reader(annotated, delimiter=delimiter))
    assert table[0][-1] == "dedup_removed" and [row[1] for row in table[1:]] == [p["text"] for p in POSTS]
    assert {row[0]: [tuple(s) for s in json.loads(row[-1])] for row in table[1:] if row[-1] != "[]"} == \
        dedup.find_duplicates([(p["id"], p["text"]) for p in POSTS]).duplicate_spans


def test_a_csv_row_with_too_few_columns_is_a_bad_record(tmp_path):
    (tmp_path / "posts.csv").write_text("id,text\na,Some text here.\nb\n", encoding="utf-8")
    result = run("stats", tmp_path / "posts.csv", check_code=1)
    assert f"{tmp_path / 'posts.csv'}:3: 1 columns; the header has 2" in result.stderr
    assert "1 wrong number of columns" in run("stats", tmp_path / "posts.csv", "--on-error", "skip").stdout


def test_standard_input_and_output(tmp_path):
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    run("clean", posts, "-o", tmp_path / "file.jsonl", "-q")
    for data in (posts.read_bytes(), gzip.compress(posts.read_bytes())):
        result = run("clean", "-", "--format", "jsonl", "-o", "-", input=data.decode("latin-1"),
                     encoding="latin-1")
        assert result.stdout.encode("latin-1") == (tmp_path / "file.jsonl").read_bytes()
        assert "5 records from 1 file" in result.stderr  # the summary stays off the output
    result = run("find", "-", "--format", "jsonl", "-o", "-", "-q", input=posts.read_text(encoding="utf-8"))
    assert [m["file"] for c in map(json.loads, result.stdout.splitlines()) for m in c["members"]][0] == "<stdin>"
    assert "needs --format" in run("stats", "-", input="", check_code=2).stderr
    assert "directory" in run("clean", posts, posts, "-o", "-", check_code=2).stderr


def test_a_file_whose_name_tells_no_format_is_an_error_listing_the_formats(tmp_path):
    (tmp_path / "notes.dat").write_text(POSTS[0]["text"], encoding="utf-8")
    result = run("stats", tmp_path / "notes.dat", check_code=2)
    assert "cannot tell the format" in result.stderr and ".jsonl" in result.stderr and "--format" in result.stderr
    assert "1 unknown format" in run("stats", tmp_path / "notes.dat", "--on-error", "skip").stdout
    assert "1 record from 1 file" in run("stats", tmp_path / "notes.dat", "--format", "text").stdout


def test_scope_and_keep_shorter_than_change_what_clean_removes(tmp_path):
    article = dict(example_documents())["article.txt"]
    posts = write_jsonl(tmp_path / "posts.jsonl", [*POSTS, {"id": "article", "text": article}])
    cleaned = {}
    for option, value, name in (("--scope", "across", "scope"), ("--scope", "within", "scope"),
                                ("--keep-shorter-than", "20", "keep_shorter_than")):
        run("clean", posts, "-o", tmp_path / "out.jsonl", option, value)
        texts = [r["text"] for r in read_jsonl(tmp_path / "out.jsonl")]
        assert texts == expected_clean([*POSTS, {"id": "article", "text": article}],
                                       **{name: int(value) if value.isdigit() else value})
        cleaned[value] = texts
    assert cleaned["across"][5].count("Councillor Amira Osei") == 2  # the article's own repeat stays
    assert cleaned["within"][5].count("Councillor Amira Osei") == 1 and BOILERPLATE in cleaned["within"][4]
    assert BOILERPLATE in cleaned["20"][4]  # 18 tokens: protected everywhere


def test_find_marks_near_duplicates_whose_numbers_differ_and_the_flag_keeps_them(tmp_path):
    filing = ("Acme Widgets Inc said its first quarter net income was 1.25 dlrs a share, against 1.14 dlrs a year "
              "earlier, on sales of 45.6 mln dlrs.")
    posts = write_jsonl(tmp_path / "filings.jsonl", [{"id": "a", "text": filing},
                                                     {"id": "b", "text": filing.replace("1.25", "1.31")}])
    run("find", posts, "-o", tmp_path / "clusters.jsonl", "-q")
    (cluster,) = read_jsonl(tmp_path / "clusters.jsonl")
    assert [m["numbers_differ"] for m in cluster["members"]] == [False, True]
    run("find", posts, "-o", tmp_path / "strict.jsonl", "-q", "--numbers-must-match")
    assert read_jsonl(tmp_path / "strict.jsonl") == []
    run("report", posts, "-o", tmp_path / "report.html", "-q")
    assert "numbers differ</span>" in (tmp_path / "report.html").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- dedup index

LICENCE = "The licence paragraph of this corpus, long enough to match."


def test_the_crawlers_loop_cleans_each_batch_against_everything_kept_before(tmp_path):
    index = tmp_path / "seen.idx"
    old = write_jsonl(tmp_path / "old.jsonl", [{"id": "a", "text": f"{LICENCE}\n\nOnly in a."},
                                               {"id": "b", "text": f"Other text of b here.\n\n{LICENCE}"}])
    new = write_jsonl(tmp_path / "new.jsonl", [{"id": "c", "text": f"{LICENCE.replace(',', ';')}\n\nNew in c."},
                                               {"id": "d", "text": "Nothing repeated in this one at all."}])
    run("index", "create", index, "--threshold", "0.7")
    added = run("index", "add", index, old)
    assert "added 2 documents" in added.stdout and "2 documents, 4 paragraphs" in added.stdout
    run("find", new, "--index", index, "-o", tmp_path / "clusters.jsonl")
    (cluster,) = read_jsonl(tmp_path / "clusters.jsonl")
    assert [(m["index"] if m["file"] is None else m["file"], m["id"], m["paragraph"]) for m in cluster["members"]] == [
        (str(index), "a", 0), (str(new), "c", 0)]
    cleaned = run("clean", new, "--index", index, "--add", "-o", tmp_path / "clean.jsonl")
    assert "added 2 documents to the index" in cleaned.stdout
    assert [r["text"] for r in read_jsonl(tmp_path / "clean.jsonl")] == ["New in c.",
                                                                          "Nothing repeated in this one at all."]
    again = run("clean", new, "--index", index, "--add", "-o", tmp_path / "again.jsonl", check_code=2)
    assert "'c', already in the index" in again.stderr and not (tmp_path / "again.jsonl").exists()
    info = json.loads(run("index", "info", index, "--json").stdout)
    assert info["documents"] == 4 and info["segments"] == 2
    stats = run("stats", new, "--index", index)
    assert "3 duplicates (100.0%)" in stats.stdout


def test_index_actions_name_what_is_wrong(tmp_path):
    index = tmp_path / "i.idx"
    run("index", "create", index)
    docs = write_jsonl(tmp_path / "d.jsonl", [{"text": f"{LICENCE} {i}"} for i in range(3)])
    run("index", "add", index, docs)  # ids are line numbers
    assert "removed 1 document" in run("index", "remove", index, "2").stdout
    missing = run("index", "remove", index, "2", "zz", check_code=2)
    assert "not in the index: 2, 'zz'; nothing removed" in missing.stderr
    assert "1 segment" in run("index", "compact", index).stdout
    assert "no index at" in run("find", docs, "--index", tmp_path / "none", "-o", tmp_path / "c.jsonl",
                                check_code=2).stderr
    other = run("find", docs, "--index", index, "--ngram", "3", "-o", tmp_path / "c.jsonl", check_code=2)
    assert "--ngram must be None, the value" in other.stderr
    assert "--add needs an index" in run("find", docs, "--add", "-o", tmp_path / "c.jsonl", check_code=2).stderr
    (tmp_path / "file").write_text("x")
    assert "not a dedup index" in run("index", "info", tmp_path / "file", check_code=2).stderr
    assert "exists; dedup index create" in run("index", "create", index, check_code=2).stderr
    run("index", "create", tmp_path / "j.idx", "--ngram", "3")
    merged = run("index", "merge", tmp_path / "m.idx", index, tmp_path / "j.idx", check_code=2)
    assert "cannot be merged" in merged.stderr and "ngram" in merged.stderr
    locked = dedup.Index.open(index)
    locked.remove([1])
    assert "another process" in run("index", "compact", index, check_code=2).stderr
    locked.close()
